using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Appliance.Policy.Masking;

namespace Appliance.Gateway.Postgres.Policy;

/// <summary>
/// Resolves a RowDescription field's source column (table OID, attnum) for the masker, from the
/// upstream catalog as read at the session's login (<see cref="ColumnCatalogs"/>): every relation,
/// and every column whose name a masking rule lists. A column of a known relation that is not in
/// the list is answered with an empty name (not masked by name); a relation created after the
/// login is unknown, so the masker fails closed for it. A relation's whole row (attnum 0) resolves
/// to one of its masked columns, if it has any. Lookups are two hash reads, off the
/// per-row path (plans are cached per result shape).
/// </summary>
internal sealed class ColumnCatalog : IColumnNameLookup
{
    // Before Empty, which the static initializer builds with it.
    private static readonly FrozenDictionary<string, FrozenSet<string>> NoViews = FrozenDictionary<string, FrozenSet<string>>.Empty;

    public static readonly ColumnCatalog Empty = new(FrozenDictionary<long, string>.Empty, FrozenSet<uint>.Empty, FrozenSet<string>.Empty, FrozenSet<string>.Empty);

    private readonly FrozenDictionary<long, string> _maskedColumns;
    private readonly FrozenSet<uint> _relations;

    /// <summary>A masked column of each relation that has one: what the relation's whole row (attnum 0) resolves to.</summary>
    private readonly FrozenDictionary<uint, string> _wholeRows;

    private readonly FrozenSet<string> _maskedRelationNames;
    private readonly FrozenSet<string> _relationNames;

    /// <summary>
    /// By view name: its columns that carry a masked column under their own names (<see cref="MaskedViews"/>);
    /// by the name of a composite-carrying relation, those columns; by the name of a function that may
    /// return a masked column, the function's own name (a call of it names one).
    /// </summary>
    private readonly FrozenDictionary<string, FrozenSet<string>> _viewColumns;

    /// <summary>The columns of the relations holding a masked column, by name (<see cref="ColumnsOf"/>).</summary>
    private readonly FrozenDictionary<string, FrozenSet<string>> _relationColumns;

    public ColumnCatalog(
        FrozenDictionary<long, string> maskedColumns, FrozenSet<uint> relations, FrozenSet<string> maskedRelationNames, FrozenSet<string> relationNames,
        FrozenDictionary<string, FrozenSet<string>>? viewColumns = null, FrozenDictionary<string, FrozenSet<string>>? relationColumns = null)
    {
        _viewColumns = viewColumns ?? NoViews;
        _relationColumns = relationColumns ?? NoViews;
        _maskedColumns = maskedColumns;
        _relations = relations;
        _maskedRelationNames = maskedRelationNames;
        _relationNames = relationNames;
        _anyMaskedRelation = maskedRelationNames.Count == 0 || maskedRelationNames.Any(n => !System.Text.Ascii.IsValid(n))
            ? null
            : System.Buffers.SearchValues.Create([.. maskedRelationNames], StringComparison.OrdinalIgnoreCase);
        var wholeRows = new Dictionary<uint, string>();
        foreach (var (key, name) in maskedColumns)
        {
            wholeRows.TryAdd((uint)(key >> 16), name);
        }

        _wholeRows = wholeRows.ToFrozenDictionary();

        // Order-independent: the same masked columns, masked relations and views' columns give the same number.
        long version = maskedColumns.Count;
        foreach (var (key, name) in maskedColumns)
        {
            version += HashCode.Combine(key, name);
        }

        foreach (var name in maskedRelationNames)
        {
            version += (long)HashCode.Combine(1, name) << 16;
        }

        foreach (var (view, names) in _viewColumns)
        {
            foreach (var name in names)
            {
                version += (long)HashCode.Combine(2, view, name) << 32;
            }
        }

        foreach (var (relation, names) in _relationColumns)
        {
            foreach (var name in names)
            {
                version += (long)HashCode.Combine(3, relation, name) << 24;
            }
        }

        _version = version;
    }

    private readonly long _version;

    /// <summary>What the answers depend on, as a number; a database whose functions keep values reads statements differently.</summary>
    public long Version => SideChannelsMayHoldMasked ? _version ^ (1L << 62) : _version;

    /// <summary>The names of <see cref="_maskedRelationNames"/>, searched for at once; null when there are none or one is not ASCII.</summary>
    private readonly System.Buffers.SearchValues<string>? _anyMaskedRelation;

    /// <summary>
    /// Whether a statement may name a relation holding a masked column (a whole row of one in a
    /// filter asks about its values without naming them): one search of the text for their names.
    /// </summary>
    public bool MayNameMaskedRelation(ReadOnlySpan<byte> sql)
    {
        if (_anyMaskedRelation is null)
        {
            return _maskedRelationNames.Count > 0;
        }

        const int StackChars = 1024;
        char[]? rented = null;
        var chars = sql.Length <= StackChars ? stackalloc char[sql.Length] : (rented = Appliance.Policy.Buffers.Pool<char>.Rent(sql.Length)).AsSpan(0, sql.Length);
        try
        {
            // Latin-1 maps each byte to one char; a name in UTF-8 beyond ASCII is not searched here.
            System.Text.Encoding.Latin1.GetChars(sql, chars);
            return chars.IndexOfAny(_anyMaskedRelation) >= 0;
        }
        finally
        {
            if (rented is not null)
            {
                Appliance.Policy.Buffers.Pool<char>.Return(rented);
            }
        }
    }

    public static long Key(uint tableOid, short attributeNumber) => ((long)tableOid << 16) | (ushort)attributeNumber;

    public bool TryGetColumnName(uint tableOid, short attributeNumber, [NotNullWhen(true)] out string? columnName)
    {
        if (_maskedColumns.TryGetValue(Key(tableOid, attributeNumber), out columnName)
            || (attributeNumber == 0 && _wholeRows.TryGetValue(tableOid, out columnName)))
        {
            return true;
        }

        if (_relations.Contains(tableOid))
        {
            columnName = "";
            return true;
        }

        columnName = null;
        return false;
    }

    /// <summary>
    /// By name, as a statement writes it (in any schema): true when a relation of that name has a
    /// masked column, false when the relations of that name have none, null when none is known.
    /// </summary>
    public bool? RelationHasMaskedColumn(string relationName) =>
        _maskedRelationNames.Contains(relationName) ? true : _relationNames.Contains(relationName) ? false : null;

    public IReadOnlySet<string>? MaskedColumnsUnderOtherNames(string relationName) => _viewColumns.GetValueOrDefault(relationName);

    public IReadOnlySet<string>? ColumnsOf(string relationName) => _relationColumns.GetValueOrDefault(relationName);

    public bool HasMaskedColumnsUnderOtherNames => _viewColumns.Count > 0;

    /// <summary>
    /// Whether the database has functions that may return a masked column: one may have made a
    /// relation since a session's login, which that session's catalog does not know (probe DL9, DP5).
    /// </summary>
    public bool HasFunctions { get; init; }

    /// <summary>Whether such a function keeps a value for a later statement (a setting, a sequence, a large object: probe DP1, DP3, DP4).</summary>
    public bool SideChannelsMayHoldMasked { get; init; }
}
