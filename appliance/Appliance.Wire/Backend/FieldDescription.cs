using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>One RowDescription field, in place.</summary>
internal readonly ref struct FieldDescription
{
    public FieldDescription(
        ReadOnlySpan<byte> name,
        uint tableOid,
        short columnAttributeNumber,
        uint typeOid,
        short typeSize,
        int typeModifier,
        PgFormat format)
    {
        Name = name;
        TableOid = tableOid;
        ColumnAttributeNumber = columnAttributeNumber;
        TypeOid = typeOid;
        TypeSize = typeSize;
        TypeModifier = typeModifier;
        Format = format;
    }

    /// <summary>The column label: the column's name or an alias, "?column?" for an unnamed expression.</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>0 when the value is not straight from a table column (an expression).</summary>
    public uint TableOid { get; }

    /// <summary>The column's attnum in <see cref="TableOid"/>, or 0.</summary>
    public short ColumnAttributeNumber { get; }

    public uint TypeOid { get; }

    /// <summary>pg_type.typlen: negative for variable-length types.</summary>
    public short TypeSize { get; }

    public int TypeModifier { get; }

    /// <summary>In a RowDescription answering Describe of a statement, formats are not known yet and read as text.</summary>
    public PgFormat Format { get; }
}
