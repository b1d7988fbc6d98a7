using Appliance.Wire.Primitives;

namespace Appliance.Wire.Copy;

/// <summary>CopyFail 'f' (frontend): the client aborts COPY FROM STDIN with a reason.</summary>
internal readonly ref struct CopyFailMessage
{
    private CopyFailMessage(ReadOnlySpan<byte> reason) => Reason = reason;

    public ReadOnlySpan<byte> Reason { get; }

    public static CopyFailMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "CopyFail");
        var reason = reader.ReadCString();
        reader.EnsureEnd();
        return new CopyFailMessage(reason);
    }
}
