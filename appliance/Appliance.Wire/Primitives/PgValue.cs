namespace Appliance.Wire.Primitives;

/// <summary>A parameter or column value: its bytes in place, or SQL NULL (length -1 on the wire).</summary>
internal readonly ref struct PgValue
{
    public PgValue(ReadOnlySpan<byte> bytes, bool isNull)
    {
        Bytes = bytes;
        IsNull = isNull;
    }

    public ReadOnlySpan<byte> Bytes { get; }

    public bool IsNull { get; }

    /// <summary>The wire length: -1 for NULL.</summary>
    public int Length => IsNull ? -1 : Bytes.Length;
}
