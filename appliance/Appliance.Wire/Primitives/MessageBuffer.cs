using System.Buffers;
using Appliance.Wire.Framing;

namespace Appliance.Wire.Primitives;

/// <summary>
/// Turns a framed body into one span for the span-based parsers. A body inside one pipe
/// segment (the usual case) is returned in place; one the pipe split across segments is
/// copied into a pooled buffer owned by this object, valid until the next call. One per
/// connection direction; not thread-safe.
/// </summary>
internal sealed class MessageBuffer : IDisposable
{
    private byte[] _buffer = [];

    /// <summary>The body of a complete frame as one span (the usual way to feed a frame to a parser).</summary>
    public ReadOnlySpan<byte> GetBody(scoped in PgFrame frame)
    {
        var message = frame.Message;
        return message.IsSingleSegment ? message.FirstSpan[PgLimits.MessageHeaderLength..] : GetSpan(frame.Body);
    }

    public ReadOnlySpan<byte> GetSpan(scoped in ReadOnlySequence<byte> body)
    {
        if (body.IsSingleSegment)
        {
            return body.FirstSpan;
        }

        var length = checked((int)body.Length);
        if (_buffer.Length < length)
        {
            Return();
            _buffer = ArrayPool<byte>.Shared.Rent(length);
        }

        body.CopyTo(_buffer);
        return _buffer.AsSpan(0, length);
    }

    public void Dispose() => Return();

    private void Return()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
