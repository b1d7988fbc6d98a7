namespace Appliance.Wire.Copy;

/// <summary>CopyData 'd', the same in both directions: the body is the data (a COPY row in text/CSV, or a chunk of the binary stream).</summary>
internal readonly ref struct CopyDataMessage
{
    private CopyDataMessage(ReadOnlySpan<byte> data) => Data = data;

    public ReadOnlySpan<byte> Data { get; }

    public static CopyDataMessage Parse(ReadOnlySpan<byte> body) => new(body);
}
