using System.Security.Cryptography;
using System.Text;

namespace Appliance.Wire.Authentication;

/// <summary>
/// The answer to AuthenticationMD5Password: <c>"md5" + md5hex(md5hex(password + user) + salt)</c>
/// (PostgreSQL's pg_md5_encrypt, twice). MD5 is what the upstream demands here, not a choice.
/// </summary>
internal static class Md5Password
{
    public const int Length = 35;

    public static string Compute(string user, string password, ReadOnlySpan<byte> salt)
    {
        if (salt.Length != 4)
        {
            throw new ArgumentException("An MD5 salt is 4 bytes.", nameof(salt));
        }

        var credentials = Encoding.UTF8.GetBytes(password + user);
        Span<byte> inner = stackalloc byte[32 + 4];
        try
        {
            Encoding.ASCII.GetBytes(Convert.ToHexStringLower(HashMd5(credentials)), inner);
            salt.CopyTo(inner[32..]);
            return "md5" + Convert.ToHexStringLower(HashMd5(inner));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(credentials);
            CryptographicOperations.ZeroMemory(inner);
        }
    }

#pragma warning disable CA5351 // The protocol prescribes MD5; we only answer an upstream that asks for it.
    private static byte[] HashMd5(ReadOnlySpan<byte> data) => MD5.HashData(data);
#pragma warning restore CA5351
}
