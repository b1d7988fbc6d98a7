using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Appliance.Policy.Sql;

/// <summary>
/// A bounded, thread-safe cache keyed by UTF-8 bytes (SQL text as it arrives on the wire), so a
/// hit costs a hash and a compare and no allocation. Clients send the same text thousands of
/// times a second; when the cache is full it is emptied rather than tracked per entry.
/// </summary>
internal sealed class SqlTextCache<TValue>
    where TValue : class
{
    private readonly ConcurrentDictionary<Key, TValue> _entries = new(KeyComparer.Instance);
    private readonly ConcurrentDictionary<Key, TValue>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly int _capacity;
    private readonly int _maxKeyLength;
    private int _count;

    public SqlTextCache(int capacity, int maxKeyLength)
    {
        _capacity = capacity;
        _maxKeyLength = maxKeyLength;
        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public int Count => _entries.Count;

    public bool TryGet(ReadOnlySpan<byte> key, [MaybeNullWhen(false)] out TValue value) => _lookup.TryGetValue(key, out value);

    public void Add(ReadOnlySpan<byte> key, TValue value)
    {
        if (key.Length > _maxKeyLength || _capacity <= 0)
        {
            return;
        }

        if (Interlocked.Increment(ref _count) > _capacity)
        {
            _entries.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        // Replaces what the key held: a value computed under other conditions (a masking plan of another catalog).
        _lookup[key] = value;
    }

    private sealed class Key(byte[] bytes, int hash)
    {
        public byte[] Bytes { get; } = bytes;

        public int Hash { get; } = hash;
    }

    private sealed class KeyComparer : IEqualityComparer<Key>, IAlternateEqualityComparer<ReadOnlySpan<byte>, Key>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(Key? x, Key? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.Hash == y.Hash && x.Bytes.AsSpan().SequenceEqual(y.Bytes));

        public int GetHashCode(Key obj) => obj.Hash;

        public bool Equals(ReadOnlySpan<byte> alternate, Key other) => alternate.SequenceEqual(other.Bytes);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public Key Create(ReadOnlySpan<byte> alternate) => new(alternate.ToArray(), GetHashCode(alternate));
    }
}
