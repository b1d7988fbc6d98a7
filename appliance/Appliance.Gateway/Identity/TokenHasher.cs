using System.Security.Cryptography;
using System.Text;

namespace Appliance.Gateway.Identity;

/// <summary>
/// Tokens are 32 random bytes, so a plain SHA-256 is enough to store them safely: there is no
/// dictionary to attack, and lookups stay a single indexed equality.
/// </summary>
internal static class TokenHasher
{
    public const string PersonalPrefix = "apt_";
    public const string GrantPrefix = "agc_";

    public static string NewToken(string prefix) =>
        prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Compares two secrets in time independent of where they differ.</summary>
    public static bool FixedTimeEquals(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
