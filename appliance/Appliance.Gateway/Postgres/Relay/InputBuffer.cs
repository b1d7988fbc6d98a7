using System.Buffers;
using Appliance.Policy.Buffers;
using Appliance.Wire;
using Appliance.Wire.Framing;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// One direction's receive buffer: bytes are read from the stream into one pooled array and
/// framed in place, so a message is parsed where it landed. It grows only for a message larger
/// than itself (bounded by the session's maximum) and shrinks back once that message is gone.
/// Used by one thread.
/// </summary>
internal sealed class InputBuffer : IDisposable
{
    public const int DefaultSize = 32 * 1024;

    private byte[] _buffer;
    private int _start;
    private int _end;

    public InputBuffer(int size = DefaultSize) => _buffer = Pool<byte>.Rent(size);

    /// <summary>The bytes received and not consumed yet.</summary>
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(_start, _end - _start);

    public int Length => _end - _start;

    /// <summary>Reads what the stream has (at least one byte); false at end of stream.</summary>
    public bool Fill(Stream stream)
    {
        Prepare();
        var read = stream.Read(_buffer, _end, _buffer.Length - _end);
        _end += read;
        return read > 0;
    }

    /// <summary>Reads what a non-blocking socket has: the byte count, 0 at end of stream, -1 when nothing is there yet.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The connection failed.</exception>
    public int Receive(System.Net.Sockets.Socket socket)
    {
        Prepare();
        var read = socket.Receive(_buffer, _end, _buffer.Length - _end, System.Net.Sockets.SocketFlags.None, out var error);
        if (error == System.Net.Sockets.SocketError.WouldBlock)
        {
            return -1;
        }

        if (error != System.Net.Sockets.SocketError.Success)
        {
            throw new System.Net.Sockets.SocketException((int)error);
        }

        _end += read;
        return read;
    }

    /// <summary>Frames the next message; the frame's spans point into this buffer until the next <see cref="Consume"/>.</summary>
    public PgFrameStatus TryRead(int maxLength, out PgSpanFrame frame)
    {
        var status = PgFrameReader.TryRead(Span, maxLength, out frame);
        if (status == PgFrameStatus.Incomplete && frame.Length > 0)
        {
            // The header is in: make room for the whole message before the next read.
            Reserve(frame.Length + 1);
        }

        return status;
    }

    public void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            _start = _end = 0;
            Shrink();
        }
    }

    /// <summary>Gives the buffer back to the pool while nothing is buffered (an idle session on an event loop holds none).</summary>
    public void ReleaseIfEmpty()
    {
        if (_start == _end && _buffer.Length > 0)
        {
            Pool<byte>.Return(_buffer);
            _buffer = [];
            _start = _end = 0;
        }
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            Pool<byte>.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>Room for at least one more byte at the end: compact, or grow when the data fills the buffer.</summary>
    private void Prepare()
    {
        if (_buffer.Length == 0)
        {
            _buffer = Pool<byte>.Rent(DefaultSize);
            return;
        }

        if (_end < _buffer.Length)
        {
            return;
        }

        if (_start > 0)
        {
            Compact();
            return;
        }

        Grow(_buffer.Length * 2);
    }

    private void Reserve(int messageLength)
    {
        if (messageLength <= _buffer.Length - _start)
        {
            return;
        }

        if (messageLength <= _buffer.Length)
        {
            Compact();
            return;
        }

        Grow(messageLength);
    }

    private void Compact()
    {
        var length = _end - _start;
        _buffer.AsSpan(_start, length).CopyTo(_buffer);
        _start = 0;
        _end = length;
    }

    private void Grow(int size)
    {
        var grown = Pool<byte>.Rent(Math.Min(Math.Max(size, DefaultSize), PgLimits.MaxProtocolMessageLength + 1));
        var length = _end - _start;
        _buffer.AsSpan(_start, length).CopyTo(grown);
        Pool<byte>.Return(_buffer);
        _buffer = grown;
        _start = 0;
        _end = length;
    }

    /// <summary>After a large message, give the memory back: 500 idle sessions must not each hold megabytes.</summary>
    private void Shrink()
    {
        if (_buffer.Length > 4 * DefaultSize)
        {
            // Shrink only what grew for a large message; an empty released buffer stays released.
            Pool<byte>.Return(_buffer);
            _buffer = Pool<byte>.Rent(DefaultSize);
        }
    }
}
