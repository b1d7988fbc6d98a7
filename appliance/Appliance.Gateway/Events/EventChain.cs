using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Gateway.Events;

/// <summary>
/// The hash that seals each event to the one before it. Editing any field of a stored event,
/// deleting one, or reordering them breaks the chain from that point on.
/// </summary>
internal static class EventChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Characters encoded per step: a statements event's data runs to tens of kilobytes.</summary>
    private const int ChunkChars = 4096;

    /// <summary>
    /// SHA-256 over the UTF-8 encoding of the fields in order, each written as
    /// <c>&lt;length in UTF-16 code units&gt;:&lt;value&gt;</c> (<c>-1:</c> for null). The length
    /// prefix makes the input unambiguous: no choice of values makes two different events produce
    /// the same input ("ab"+"c" vs "a"+"bc"). The input is fed to the hash a piece at a time, so a
    /// large event costs no copy of itself.
    /// </summary>
    public static string Hash(string prevHash, long seq, string id, string type, long occurredAt,
        string? actor, string? connection, string? requestId, string? sessionId, string data)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(ChunkChars));
        try
        {
            Append(sha, buffer, prevHash);
            Append(sha, buffer, seq.ToString(CultureInfo.InvariantCulture));
            Append(sha, buffer, id);
            Append(sha, buffer, type);
            Append(sha, buffer, occurredAt.ToString(CultureInfo.InvariantCulture));
            Append(sha, buffer, actor);
            Append(sha, buffer, connection);
            Append(sha, buffer, requestId);
            Append(sha, buffer, sessionId);
            Append(sha, buffer, data);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        sha.GetHashAndReset(hash);
        return Convert.ToHexStringLower(hash);
    }

    public static string Hash(StoredEvent e) =>
        Hash(e.PrevHash, e.Seq, e.Id, e.Type, e.OccurredAt, e.Actor, e.Connection, e.RequestId, e.SessionId, e.Data);

    private static void Append(IncrementalHash sha, byte[] buffer, string? value)
    {
        if (value is null)
        {
            sha.AppendData("-1:"u8);
            return;
        }

        value.Length.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture);
        buffer[written++] = (byte)':';
        sha.AppendData(buffer, 0, written);

        // Whole characters per chunk: a surrogate pair split across two chunks would encode as two
        // replacement characters instead of one code point.
        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            var take = Math.Min(rest.Length, ChunkChars);
            if (take < rest.Length && char.IsHighSurrogate(rest[take - 1]))
            {
                take--;
            }

            var bytes = Encoding.UTF8.GetBytes(rest[..take], buffer);
            sha.AppendData(buffer, 0, bytes);
            rest = rest[take..];
        }
    }
}
