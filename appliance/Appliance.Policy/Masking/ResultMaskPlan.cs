namespace Appliance.Policy.Masking;

/// <summary>Per column of one result shape: pass, scan, or mask whole. Immutable, shared from the plan cache.</summary>
internal sealed class ResultMaskPlan
{
    /// <summary>Nothing to mask in any column.</summary>
    public static readonly ResultMaskPlan Unmasked = new([]);

    private readonly ColumnMask[] _columns;

    public ResultMaskPlan(ColumnMask[] columns)
    {
        _columns = columns;
        PassesAll = Array.TrueForAll(columns, c => c.Action == ColumnMaskAction.Pass);
    }

    /// <summary>Every column passes: DataRows can be relayed without looking at them.</summary>
    public bool PassesAll { get; }

    public int Count => _columns.Length;

    /// <summary>The column's mask; columns beyond the plan (none in a well-formed DataRow) are scanned.</summary>
    public ColumnMask this[int column] => PassesAll
        ? default
        : (uint)column < (uint)_columns.Length ? _columns[column] : new ColumnMask(ColumnMaskAction.Detect, PgValueClass.Opaque, 0);
}
