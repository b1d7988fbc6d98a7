using System.Text;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// Prepared statements or portals by name, looked up straight from the name's bytes in a
/// message: the unnamed one (what most drivers use) in a field, named ones in a dictionary
/// searched without allocating. Used by the client thread only.
/// </summary>
/// <remarks>
/// A key is the name's exact bytes, one char per byte (Latin-1 maps every byte to itself): in a
/// LATIN1 session PostgreSQL reads <c>\xfe</c> and <c>\xff</c> as two names, which UTF-8
/// decoding made one (U+FFFD), so closing one made the gateway judge, mask and record the other's
/// text while PostgreSQL ran the first (probe EA-1, EA-2).
/// </remarks>
internal sealed class NameTable<T>
    where T : class
{
    /// <summary>Clients that never close what they create would otherwise grow this without end.</summary>
    private const int MaxNamed = 10_000;

    private const int MaxStackName = 256;

    private readonly Dictionary<string, T> _named = new(StringComparer.Ordinal);
    private readonly Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private T? _unnamed;

    public NameTable() => _lookup = _named.GetAlternateLookup<ReadOnlySpan<char>>();

    public T? Find(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty)
        {
            return _unnamed;
        }

        if (name.Length > MaxStackName)
        {
            return _named.GetValueOrDefault(Encoding.Latin1.GetString(name));
        }

        Span<char> chars = stackalloc char[MaxStackName];
        var length = Encoding.Latin1.GetChars(name, chars);
        return _lookup.TryGetValue(chars[..length], out var value) ? value : null;
    }

    public void Set(ReadOnlySpan<byte> name, T value)
    {
        if (name.IsEmpty)
        {
            _unnamed = value;
            return;
        }

        if (_named.Count >= MaxNamed)
        {
            _named.Clear();
        }

        _named[Encoding.Latin1.GetString(name)] = value;
    }

    public bool HasNamed => _named.Count > 0;

    /// <summary>The names of the named entries: ASCII, as the session refuses any other (PgSession.RefusedName).</summary>
    public IEnumerable<string> Names => _named.Keys;

    /// <summary>The named entries, by name.</summary>
    public IEnumerable<KeyValuePair<string, T>> Named => _named;

    /// <summary>Forgets every named entry (DEALLOCATE ALL, DISCARD, or a DEALLOCATE the gateway does not follow by name).</summary>
    public void ClearNamed() => _named.Clear();

    public void Remove(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty)
        {
            _unnamed = null;
            return;
        }

        _named.Remove(Encoding.Latin1.GetString(name));
    }
}
