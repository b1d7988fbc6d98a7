using System.Buffers;
using Appliance.Wire.Backend;
using Appliance.Wire.Frontend;

namespace Appliance.Wire.Framing;

/// <summary>One typed message located in a pipe buffer, without copying it.</summary>
internal readonly struct PgFrame
{
    public PgFrame(byte type, int length, ReadOnlySequence<byte> message)
    {
        Type = type;
        Length = length;
        Message = message;
    }

    public byte Type { get; }

    /// <summary>The length word as sent: counts itself, not the type byte. 0 when the header has not arrived yet.</summary>
    public int Length { get; }

    /// <summary>The whole message, header included, for relaying it unchanged. Empty unless the frame is complete.</summary>
    public ReadOnlySequence<byte> Message { get; }

    /// <summary>The message after its 5-byte header. Empty unless the frame is complete.</summary>
    public ReadOnlySequence<byte> Body => Message.IsEmpty ? default : Message.Slice(PgLimits.MessageHeaderLength);

    public FrontendMessageType FrontendType => (FrontendMessageType)Type;

    public BackendMessageType BackendType => (BackendMessageType)Type;
}
