namespace Appliance.Wire;

/// <summary>A frontend/backend protocol version as sent in the StartupMessage (major in the high 16 bits).</summary>
internal readonly record struct ProtocolVersion(ushort Major, ushort Minor)
{
    public static readonly ProtocolVersion V30 = new(3, 0);

    /// <summary>PostgreSQL 18: variable-length cancel keys.</summary>
    public static readonly ProtocolVersion V32 = new(3, 2);

    public int Code => (Major << 16) | Minor;

    public static ProtocolVersion FromCode(int code) => new((ushort)((uint)code >> 16), (ushort)(code & 0xFFFF));

    public override string ToString() => $"{Major}.{Minor}";
}
