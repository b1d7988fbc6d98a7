namespace Appliance.Wire.Frontend;

/// <summary>SASLResponse 'p' after AuthenticationSASLContinue: the whole body is mechanism data (client-final for SCRAM).</summary>
internal readonly ref struct SaslResponseMessage
{
    private SaslResponseMessage(ReadOnlySpan<byte> data) => Data = data;

    public ReadOnlySpan<byte> Data { get; }

    public static SaslResponseMessage Parse(ReadOnlySpan<byte> body) => new(body);
}
