using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

/// <summary>A RowDescription field to write (see <see cref="Backend.FieldDescription"/> for the meaning of each part).</summary>
internal readonly record struct RowField(
    string Name,
    uint TableOid,
    short ColumnAttributeNumber,
    uint TypeOid,
    short TypeSize,
    int TypeModifier,
    PgFormat Format)
{
    /// <summary>A computed text column (no table), e.g. for a result the gateway answers itself.</summary>
    public static RowField Text(string name) => new(name, 0, 0, PgTypeOids.Text, -1, -1, PgFormat.Text);
}
