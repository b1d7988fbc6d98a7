using System.Buffers;
using Appliance.Policy.Buffers;

namespace Appliance.Policy.Masking;

/// <summary>A growable scratch buffer from the shared pool, reused per thread for the rare masking paths that need two passes.</summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    // 0: the masker's patterns pass; 1-3: a COPY row, a value read, its masked form; 4: the
    // lookalike reading; 5: a bytea's decoded bytes masked (inside a COPY row's value too), or text
    // holding a bytea's hex masked (to see whether it would change).
    private const int Slots = 6;

    [ThreadStatic]
    private static PooledBufferWriter?[]? _slots;

    private byte[] _buffer = [];
    private int _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>This thread's scratch buffer number 0 to 5 (a pass that needs another one while holding the first), emptied.</summary>
    public static PooledBufferWriter Scratch(int which)
    {
        var slots = _slots ??= new PooledBufferWriter?[Slots];
        var writer = slots[which] ??= new();
        writer._written = 0;
        return writer;
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

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var grown = Pool<byte>.Rent(Math.Max(needed, Math.Max(256, _buffer.Length * 2)));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            Pool<byte>.Return(_buffer);
        }

        _buffer = grown;
    }
}
