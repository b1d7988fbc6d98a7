namespace Appliance.Wire.Primitives;

/// <summary>A validated run of NUL-terminated strings in place (SASL mechanisms, unrecognized protocol options).</summary>
internal readonly ref struct CStringList
{
    private readonly ReadOnlySpan<byte> _encoded;

    private CStringList(ReadOnlySpan<byte> encoded, int count)
    {
        _encoded = encoded;
        Count = count;
    }

    public int Count { get; }

    /// <summary>Reads exactly <paramref name="count"/> strings.</summary>
    public static CStringList ReadCounted(scoped ref PgBodyReader reader, int count)
    {
        var start = reader.Position;
        for (var i = 0; i < count; i++)
        {
            reader.ReadCString();
        }

        return new CStringList(reader.Since(start), count);
    }

    /// <summary>Reads strings up to an empty one, which ends the list and is not part of it.</summary>
    public static CStringList ReadUntilEmpty(scoped ref PgBodyReader reader)
    {
        var start = reader.Position;
        var count = 0;
        var end = start;
        while (!reader.ReadCString().IsEmpty)
        {
            count++;
            end = reader.Position;
        }

        return new CStringList(reader.Since(start)[..(end - start)], count);
    }

    public bool Contains(ReadOnlySpan<byte> value)
    {
        foreach (var item in this)
        {
            if (item.SequenceEqual(value))
            {
                return true;
            }
        }

        return false;
    }

    public Enumerator GetEnumerator() => new(_encoded);

    internal ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private ReadOnlySpan<byte> _current;

        public Enumerator(ReadOnlySpan<byte> encoded)
        {
            _rest = encoded;
            _current = default;
        }

        public readonly ReadOnlySpan<byte> Current => _current;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            var nul = _rest.IndexOf((byte)0);
            _current = _rest[..nul];
            _rest = _rest[(nul + 1)..];
            return true;
        }
    }
}
