namespace Appliance.Gateway.Postgres.Relay;

/// <summary>A growable ring of <see cref="PendingEntry"/> values: no allocation per message once grown. Guarded by the session's lock.</summary>
internal sealed class PendingQueue
{
    private PendingEntry[] _items = new PendingEntry[64];
    private int _head;
    private int _count;

    public int Count => _count;

    public bool IsEmpty => _count == 0;

    public void Enqueue(in PendingEntry entry)
    {
        if (_count == _items.Length)
        {
            var grown = new PendingEntry[_items.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                grown[i] = _items[(_head + i) % _items.Length];
            }

            _items = grown;
            _head = 0;
        }

        _items[(_head + _count) % _items.Length] = entry;
        _count++;
    }

    /// <summary>The oldest entry; valid while the queue is not empty.</summary>
    public ref PendingEntry Head => ref _items[_head];

    public void Dequeue()
    {
        _items[_head] = default;
        _head = (_head + 1) % _items.Length;
        _count--;
    }

    public bool Contains(PendingKind kind)
    {
        for (var i = 0; i < _count; i++)
        {
            if (_items[(_head + i) % _items.Length].Kind == kind)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The kind of the first entry that is one of <paramref name="kinds"/>; null when none is.</summary>
    public PendingKind? FirstOf(ReadOnlySpan<PendingKind> kinds)
    {
        for (var i = 0; i < _count; i++)
        {
            var kind = _items[(_head + i) % _items.Length].Kind;
            if (kinds.Contains(kind))
            {
                return kind;
            }
        }

        return null;
    }

    public void Clear()
    {
        while (_count > 0)
        {
            Dequeue();
        }
    }
}
