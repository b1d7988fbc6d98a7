using Appliance.Wire.Backend;
using Appliance.Wire.Frontend;

namespace Appliance.Wire.Framing;

/// <summary>One typed message located in a contiguous buffer.</summary>
internal readonly ref struct PgSpanFrame
{
    public PgSpanFrame(byte type, int length, ReadOnlySpan<byte> message)
    {
        Type = type;
        Length = length;
        Message = message;
    }

    public byte Type { get; }

    /// <summary>The length word as sent: counts itself, not the type byte. 0 when the header has not arrived yet.</summary>
    public int Length { get; }

    /// <summary>Bytes the whole message occupies (type byte + length); what to consume once it is handled.</summary>
    public int TotalLength => Length + 1;

    /// <summary>The whole message, header included. Empty unless the frame is complete.</summary>
    public ReadOnlySpan<byte> Message { get; }

    /// <summary>The message after its 5-byte header. Empty unless the frame is complete.</summary>
    public ReadOnlySpan<byte> Body => Message.IsEmpty ? default : Message[PgLimits.MessageHeaderLength..];

    public FrontendMessageType FrontendType => (FrontendMessageType)Type;

    public BackendMessageType BackendType => (BackendMessageType)Type;
}
