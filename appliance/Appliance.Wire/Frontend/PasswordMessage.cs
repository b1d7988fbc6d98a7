using Appliance.Wire.Primitives;

namespace Appliance.Wire.Frontend;

/// <summary>
/// PasswordMessage 'p' after AuthenticationCleartextPassword or MD5Password. The gateway asks
/// clients for cleartext and receives their gateway token here.
/// </summary>
internal readonly ref struct PasswordMessage
{
    private PasswordMessage(ReadOnlySpan<byte> password) => Password = password;

    /// <summary>Without its NUL. Sensitive: never log it.</summary>
    public ReadOnlySpan<byte> Password { get; }

    public static PasswordMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "PasswordMessage");
        var password = reader.ReadCString();
        reader.EnsureEnd();
        return new PasswordMessage(password);
    }
}
