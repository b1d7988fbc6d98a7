namespace Appliance.Wire.Primitives;

/// <summary>Built-in type OIDs (pg_type.dat) the gateway names itself; they are fixed across versions.</summary>
internal static class PgTypeOids
{
    public const uint Bool = 16;
    public const uint Bytea = 17;
    public const uint Int8 = 20;
    public const uint Int2 = 21;
    public const uint Int4 = 23;
    public const uint Text = 25;
    public const uint Json = 114;
    public const uint Float8 = 701;
    public const uint Varchar = 1043;
    public const uint Timestamptz = 1184;
    public const uint Numeric = 1700;
    public const uint Uuid = 2950;
}
