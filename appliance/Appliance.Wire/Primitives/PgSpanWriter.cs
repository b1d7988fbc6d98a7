using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Appliance.Wire.Primitives;

/// <summary>
/// Writes one message whose length is known up front into a single span taken from the
/// output, then advances the output once. Callers compute the exact body length first, so
/// the length word is right by construction (checked again in <see cref="Complete"/>).
/// </summary>
internal ref struct PgSpanWriter
{
    private readonly IBufferWriter<byte> _output;
    private readonly Span<byte> _span;
    private int _position;

    private PgSpanWriter(IBufferWriter<byte> output, int totalLength)
    {
        _output = output;
        _span = output.GetSpan(totalLength)[..totalLength];
        _position = 0;
    }

    /// <summary>Starts a typed message: writes the type byte and the length word (body + 4).</summary>
    public static PgSpanWriter Start(IBufferWriter<byte> output, byte type, int bodyLength)
    {
        CheckLength(bodyLength);
        var writer = new PgSpanWriter(output, bodyLength + PgLimits.MessageHeaderLength);
        writer.WriteByte(type);
        writer.WriteInt32(bodyLength + 4);
        return writer;
    }

    /// <summary>Starts an untyped startup-phase packet (StartupMessage, SSLRequest, CancelRequest).</summary>
    public static PgSpanWriter StartUntyped(IBufferWriter<byte> output, int bodyLength)
    {
        CheckLength(bodyLength);
        var writer = new PgSpanWriter(output, bodyLength + 4);
        writer.WriteInt32(bodyLength + 4);
        return writer;
    }

    /// <summary>Only the 5-byte header, for a caller that streams a large body after it.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, byte type, int bodyLength)
    {
        CheckLength(bodyLength);
        var span = output.GetSpan(PgLimits.MessageHeaderLength);
        span[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], bodyLength + 4);
        output.Advance(PgLimits.MessageHeaderLength);
    }

    public void WriteByte(byte value) => _span[_position++] = value;

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> value)
    {
        value.CopyTo(_span[_position..]);
        _position += value.Length;
    }

    public void WriteCString(scoped ReadOnlySpan<byte> value)
    {
        WriteBytes(value);
        WriteByte(0);
    }

    public void WriteCString(scoped ReadOnlySpan<char> value)
    {
        _position += Encoding.UTF8.GetBytes(value, _span[_position..]);
        WriteByte(0);
    }

    /// <summary>A text value with its length word; <paramref name="byteCount"/> is its UTF-8 length, computed when sizing the message.</summary>
    public void WriteUtf8Value(scoped ReadOnlySpan<char> value, int byteCount)
    {
        WriteInt32(byteCount);
        _position += Encoding.UTF8.GetBytes(value, _span[_position..]);
    }

    /// <summary>A value with its length word; <paramref name="isNull"/> writes length -1 and no bytes.</summary>
    public void WriteValue(scoped ReadOnlySpan<byte> value, bool isNull)
    {
        if (isNull)
        {
            WriteInt32(-1);
            return;
        }

        WriteInt32(value.Length);
        WriteBytes(value);
    }

    public readonly void Complete()
    {
        if (_position != _span.Length)
        {
            throw new InvalidOperationException($"Message length mismatch: computed {_span.Length} bytes, wrote {_position}.");
        }

        _output.Advance(_position);
    }

    /// <summary>Bytes a string takes on the wire: UTF-8 plus its NUL.</summary>
    public static int CStringLength(scoped ReadOnlySpan<char> value) => Encoding.UTF8.GetByteCount(value) + 1;

    public static void CheckLength(long bodyLength)
    {
        if (bodyLength < 0 || bodyLength > PgLimits.MaxProtocolMessageLength - 4)
        {
            WireThrow.TooLongToWrite(bodyLength);
        }
    }
}
