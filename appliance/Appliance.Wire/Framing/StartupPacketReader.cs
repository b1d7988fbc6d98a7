using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Framing;

/// <summary>
/// Reads the first packet of a connection: <c>Int32 length, Int32 code, ...</c> with no type
/// byte, bounded by <see cref="PgLimits.MaxStartupPacketLength"/> like the postmaster's
/// ProcessStartupPacket. Anything malformed throws <see cref="PgProtocolException"/>.
/// </summary>
internal static class StartupPacketReader
{
    public const int SslRequestCode = 80877103;
    public const int GssEncRequestCode = 80877104;
    public const int CancelRequestCode = 80877102;

    private const string Name = "startup packet";

    /// <summary>
    /// Pipe flavour. Complete: consumed = examined = end of the packet (for <see cref="DirectTlsHandshake"/>
    /// both are the start: the bytes belong to TLS). Incomplete: consumed = start, examined = end.
    /// </summary>
    public static bool TryRead(
        in ReadOnlySequence<byte> buffer,
        out StartupPacket? packet,
        out SequencePosition consumed,
        out SequencePosition examined)
    {
        consumed = buffer.Start;
        examined = buffer.End;
        if (buffer.IsSingleSegment)
        {
            var result = TryRead(buffer.FirstSpan, out packet, out var used);
            if (result)
            {
                consumed = buffer.GetPosition(used);
                examined = consumed;
            }

            return result;
        }

        // Split across segments: rare and once per connection, so copy at most the bounded packet.
        var length = (int)Math.Min(buffer.Length, PgLimits.MaxStartupPacketLength);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.Slice(0, length).CopyTo(rented);
            var result = TryRead(rented.AsSpan(0, length), out packet, out var used);
            if (result)
            {
                consumed = buffer.GetPosition(used);
                examined = consumed;
            }

            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Contiguous flavour; on success consume <paramref name="consumed"/> bytes (0 for a direct TLS handshake).</summary>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out StartupPacket? packet, out int consumed)
    {
        packet = null;
        consumed = 0;
        if (buffer.IsEmpty)
        {
            return false;
        }

        if (buffer[0] == DirectTlsHandshake.TlsHandshakeRecordType)
        {
            packet = DirectTlsHandshake.Instance;
            return true;
        }

        if (buffer.Length < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(buffer);
        if (length is < PgLimits.MinStartupPacketLength or > PgLimits.MaxStartupPacketLength)
        {
            WireThrow.Protocol($"Invalid length {length} of startup packet: it must be between {PgLimits.MinStartupPacketLength} and {PgLimits.MaxStartupPacketLength} bytes.");
        }

        if (buffer.Length < length)
        {
            return false;
        }

        packet = Parse(buffer[4..length]);
        consumed = length;
        return true;
    }

    private static StartupPacket Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, Name);
        var code = reader.ReadInt32();
        switch (code)
        {
            case SslRequestCode:
                reader.EnsureEnd();
                return SslRequestPacket.Instance;
            case GssEncRequestCode:
                reader.EnsureEnd();
                return GssEncRequestPacket.Instance;
            case CancelRequestCode:
                return ParseCancel(ref reader);
            default:
                return ParseStartup(ref reader, ProtocolVersion.FromCode(code));
        }
    }

    private static CancelRequestPacket ParseCancel(ref PgBodyReader reader)
    {
        var processId = reader.ReadInt32();
        var key = reader.ReadToEnd();
        if (key.Length is < PgLimits.MinCancelKeyLength or > PgLimits.MaxCancelKeyLength)
        {
            WireThrow.Malformed("CancelRequest", $"a cancel key of {key.Length} bytes (4 to 256 allowed)");
        }

        return new CancelRequestPacket(processId, key.ToArray());
    }

    private static StartupMessagePacket ParseStartup(ref PgBodyReader reader, ProtocolVersion version)
    {
        if (version.Major != 3)
        {
            throw new PgProtocolException(
                $"Unsupported frontend protocol {version}: the gateway supports 3.0 (and answers a newer 3.x with 3.0).",
                SqlStates.FeatureNotSupported);
        }

        var parameters = new List<KeyValuePair<string, string>>();
        while (true)
        {
            var name = reader.ReadCString();
            if (name.IsEmpty)
            {
                break;
            }

            var value = reader.ReadCString();
            parameters.Add(new(Decode(name), Decode(value)));
        }

        // The postmaster insists the terminator is the last byte.
        reader.EnsureEnd();
        return new StartupMessagePacket(version, parameters);
    }

    private static string Decode(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            WireThrow.Malformed(Name, "a parameter is not valid UTF-8");
        }

        return Encoding.UTF8.GetString(utf8);
    }
}
