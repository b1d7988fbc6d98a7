using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>NotificationResponse 'A': a NOTIFY delivered to this session; may arrive at any time.</summary>
internal readonly ref struct NotificationResponseMessage
{
    private NotificationResponseMessage(int processId, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> payload)
    {
        ProcessId = processId;
        Channel = channel;
        Payload = payload;
    }

    /// <summary>The notifying backend's pid (an upstream pid: do not leak it where the gateway hides pids).</summary>
    public int ProcessId { get; }

    public ReadOnlySpan<byte> Channel { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public static NotificationResponseMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "NotificationResponse");
        var processId = reader.ReadInt32();
        var channel = reader.ReadCString();
        var payload = reader.ReadCString();
        reader.EnsureEnd();
        return new NotificationResponseMessage(processId, channel, payload);
    }
}
