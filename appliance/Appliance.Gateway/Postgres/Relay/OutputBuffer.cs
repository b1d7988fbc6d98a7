using System.Buffers;
using Appliance.Policy.Buffers;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// Collects whole messages for one write: everything one received chunk produced goes out in a
/// single send (performance.md: every syscall and context switch shows on these machines). A
/// pooled, growable <see cref="IBufferWriter{T}"/> the wire writers write into; it shrinks back
/// after a large batch.
/// </summary>
internal sealed class OutputBuffer : IBufferWriter<byte>, IDisposable
{
    public const int DefaultSize = 32 * 1024;

    private byte[] _buffer;
    private int _written;

    /// <summary>How much of the written bytes a non-blocking send already got out.</summary>
    private int _sent;

    public OutputBuffer(int size = DefaultSize) => _buffer = Pool<byte>.Rent(size);

    public int Length => _written;

    public bool IsEmpty => _written == 0;

    /// <summary>Bytes written and not sent yet.</summary>
    public int Pending => _written - _sent;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _written += bytes.Length;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Writes everything collected (and not sent yet) to <paramref name="stream"/> in one call and starts over.</summary>
    public void FlushTo(Stream stream)
    {
        if (_written == _sent)
        {
            Clear();
            return;
        }

        stream.Write(_buffer, _sent, _written - _sent);
        Clear();
    }

    /// <summary>
    /// Sends what the socket takes without blocking; true when everything went out (and the
    /// buffer starts over), false when the rest waits for the socket to be writable.
    /// </summary>
    /// <exception cref="System.Net.Sockets.SocketException">The connection failed.</exception>
    public bool TrySendTo(System.Net.Sockets.Socket socket)
    {
        while (_sent < _written)
        {
            var sent = socket.Send(_buffer, _sent, _written - _sent, System.Net.Sockets.SocketFlags.None, out var error);
            if (error == System.Net.Sockets.SocketError.WouldBlock)
            {
                return false;
            }

            if (error != System.Net.Sockets.SocketError.Success)
            {
                throw new System.Net.Sockets.SocketException((int)error);
            }

            _sent += sent;
        }

        Clear();
        return true;
    }

    public void Clear()
    {
        _written = 0;
        _sent = 0;
        if (_buffer.Length > 8 * DefaultSize)
        {
            Pool<byte>.Return(_buffer);
            _buffer = Pool<byte>.Rent(DefaultSize);
        }
    }

    /// <summary>Gives the buffer back to the pool while nothing waits to be sent.</summary>
    public void ReleaseIfEmpty()
    {
        if (_written == 0 && _buffer.Length > 0)
        {
            Pool<byte>.Return(_buffer);
            _buffer = [];
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

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var grown = Pool<byte>.Rent(Math.Max(needed, Math.Max(DefaultSize, _buffer.Length * 2)));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            Pool<byte>.Return(_buffer);
        }

        _buffer = grown;
    }
}
