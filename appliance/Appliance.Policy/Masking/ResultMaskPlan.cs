namespace Appliance.Policy.Masking;

/// <summary>Per column of one result shape: pass, scan, or mask whole. Immutable, shared from the plan cache.</summary>
internal sealed class ResultMaskPlan
{
    /// <summary>Nothing to mask in any column.</summary>
    public static readonly ResultMaskPlan Unmasked = new([]);

    private readonly ColumnMask[] _columns;

    public ResultMaskPlan(ColumnMask[] columns, IReadOnlyList<string>? withheld = null)
    {
        _columns = columns;
        Withheld = withheld;
        PassesAll = Array.TrueForAll(columns, c => c.Action == ColumnMaskAction.Pass);
    }

    /// <summary>
    /// The columns masked whole only because the statement reads a masked column and they are
    /// computed or come from a relation the catalog does not know (failing closed), not because
    /// they are masked columns: their values come back NULL or <c>****</c>, which the client is
    /// told (probe DA7, DK2: an int column of a table made since the login came back NULL unsaid).
    /// Also a column carrying a masked one under another name that comes back NULL (a view's
    /// boolean computed from one, DT5). Null when there are none.
    /// </summary>
    public IReadOnlyList<string>? Withheld { get; }

    /// <summary>Every column passes: DataRows can be relayed without looking at them.</summary>
    public bool PassesAll { get; }

    public int Count => _columns.Length;

    /// <summary>The column's mask; columns beyond the plan (none in a well-formed DataRow) are scanned.</summary>
    public ColumnMask this[int column] => PassesAll
        ? default
        : (uint)column < (uint)_columns.Length ? _columns[column] : new ColumnMask(ColumnMaskAction.Detect, PgValueClass.Opaque, 0);
}
