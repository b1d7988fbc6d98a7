namespace Appliance.Policy.Masking;

internal enum ColumnMaskAction : byte
{
    /// <summary>Relay values untouched (no detectors, or a type that cannot carry what they look for).</summary>
    Pass,
    /// <summary>Scan each value with the detectors and patterns.</summary>
    Detect,
    /// <summary>A masked column (by name, source column or a computed field over one): replace every value.</summary>
    MaskWhole,
}

/// <summary>What to do with one result column's values.</summary>
internal readonly record struct ColumnMask(ColumnMaskAction Action, PgValueClass ValueClass, uint TypeOid)
{
    public static ColumnMask For(ColumnMaskAction action, uint typeOid) => new(action, PgTypes.Classify(typeOid), typeOid);
}
