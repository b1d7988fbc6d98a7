using Appliance.Wire.Primitives;

namespace Appliance.Wire.Frontend;

/// <summary>SASLInitialResponse 'p' after AuthenticationSASL: the chosen mechanism and the client-first message.</summary>
internal readonly ref struct SaslInitialResponseMessage
{
    private SaslInitialResponseMessage(ReadOnlySpan<byte> mechanism, ReadOnlySpan<byte> data, bool hasData)
    {
        Mechanism = mechanism;
        Data = data;
        HasData = hasData;
    }

    public ReadOnlySpan<byte> Mechanism { get; }

    public ReadOnlySpan<byte> Data { get; }

    /// <summary>False when the length was -1 (no initial response), as opposed to an empty one.</summary>
    public bool HasData { get; }

    public static SaslInitialResponseMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "SASLInitialResponse");
        var mechanism = reader.ReadCString();
        var length = reader.ReadInt32();
        var data = length == -1 ? default : reader.ReadBytes(length);
        reader.EnsureEnd();
        return new SaslInitialResponseMessage(mechanism, data, length != -1);
    }
}
