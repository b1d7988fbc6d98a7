using Appliance.Wire.Primitives;

namespace Appliance.Wire.Frontend;

/// <summary>Execute 'E' (frontend): run a portal, returning at most <see cref="MaxRows"/> rows (0 = all) before PortalSuspended.</summary>
internal readonly ref struct ExecuteMessage
{
    private ExecuteMessage(ReadOnlySpan<byte> portal, int maxRows)
    {
        Portal = portal;
        MaxRows = maxRows;
    }

    public ReadOnlySpan<byte> Portal { get; }

    /// <summary>As sent; the server treats zero and negative values as "no limit".</summary>
    public int MaxRows { get; }

    public static ExecuteMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "Execute");
        var portal = reader.ReadCString();
        var maxRows = reader.ReadInt32();
        reader.EnsureEnd();
        return new ExecuteMessage(portal, maxRows);
    }
}
