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

    public static string Hash(string prevHash, long seq, string id, string type, long occurredAt,
        string? actor, string? connection, string? requestId, string? sessionId, string data)
    {
        // Fields are length-prefixed so that no choice of values can make two different events
        // produce the same input ("ab"+"c" vs "a"+"bc").
        var sb = new StringBuilder(256 + data.Length);
        Append(sb, prevHash);
        Append(sb, seq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Append(sb, id);
        Append(sb, type);
        Append(sb, occurredAt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Append(sb, actor);
        Append(sb, connection);
        Append(sb, requestId);
        Append(sb, sessionId);
        Append(sb, data);
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public static string Hash(StoredEvent e) =>
        Hash(e.PrevHash, e.Seq, e.Id, e.Type, e.OccurredAt, e.Actor, e.Connection, e.RequestId, e.SessionId, e.Data);

    private static void Append(StringBuilder sb, string? value)
    {
        if (value is null)
        {
            sb.Append("-1:");
            return;
        }

        sb.Append(value.Length).Append(':').Append(value);
    }
}
