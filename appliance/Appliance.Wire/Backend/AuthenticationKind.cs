namespace Appliance.Wire.Backend;

/// <summary>AuthenticationRequest codes the gateway handles; values are the wire codes.</summary>
internal enum AuthenticationKind
{
    /// <summary>Any other code (Kerberos 2, SCM 6, GSS 7/8, SSPI 9): the gateway cannot answer it.</summary>
    Unsupported = -1,
    Ok = 0,
    CleartextPassword = 3,
    Md5Password = 5,
    Sasl = 10,
    SaslContinue = 11,
    SaslFinal = 12,
}
