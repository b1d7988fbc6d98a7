using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>Authentication 'R': the server's request (or Ok). Fields beyond <see cref="Kind"/> are set only for the kinds that carry them.</summary>
internal readonly ref struct AuthenticationMessage
{
    private const string Name = "Authentication";

    private AuthenticationMessage(AuthenticationKind kind, int code, ReadOnlySpan<byte> data, CStringList mechanisms)
    {
        Kind = kind;
        Code = code;
        Data = data;
        SaslMechanisms = mechanisms;
    }

    public AuthenticationKind Kind { get; }

    /// <summary>The code as sent, also for <see cref="AuthenticationKind.Unsupported"/> (to name it in an error).</summary>
    public int Code { get; }

    /// <summary>MD5Password: the 4-byte salt. SASLContinue/SASLFinal: the server's SCRAM message. Otherwise empty.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>SASL: the mechanisms the server offers, in its order of preference (e.g. SCRAM-SHA-256-PLUS, SCRAM-SHA-256).</summary>
    public CStringList SaslMechanisms { get; }

    public static AuthenticationMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, Name);
        var code = reader.ReadInt32();
        ReadOnlySpan<byte> data = default;
        CStringList mechanisms = default;
        var kind = (AuthenticationKind)code;
        switch (kind)
        {
            case AuthenticationKind.Ok or AuthenticationKind.CleartextPassword:
                break;
            case AuthenticationKind.Md5Password:
                data = reader.ReadBytes(4);
                break;
            case AuthenticationKind.Sasl:
                mechanisms = CStringList.ReadUntilEmpty(ref reader);
                break;
            case AuthenticationKind.SaslContinue or AuthenticationKind.SaslFinal:
                data = reader.ReadToEnd();
                break;
            default:
                return new AuthenticationMessage(AuthenticationKind.Unsupported, code, default, default);
        }

        reader.EnsureEnd();
        return new AuthenticationMessage(kind, code, data, mechanisms);
    }
}
