using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>NegotiateProtocolVersion 'v': the server speaks an older minor version and/or ignores some _pq_ options.</summary>
internal readonly ref struct NegotiateProtocolVersionMessage
{
    private NegotiateProtocolVersionMessage(ProtocolVersion newest, CStringList unrecognizedOptions)
    {
        Newest = newest;
        UnrecognizedOptions = unrecognizedOptions;
    }

    /// <summary>The newest version of the requested major version the server supports (sent whole: major and minor).</summary>
    public ProtocolVersion Newest { get; }

    public CStringList UnrecognizedOptions { get; }

    public static NegotiateProtocolVersionMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "NegotiateProtocolVersion");
        var newest = ProtocolVersion.FromCode(reader.ReadInt32());
        var count = reader.ReadInt32();
        if (count < 0)
        {
            WireThrow.Malformed("NegotiateProtocolVersion", $"negative option count {count}");
        }

        var options = CStringList.ReadCounted(ref reader, count);
        reader.EnsureEnd();
        return new NegotiateProtocolVersionMessage(newest, options);
    }
}
