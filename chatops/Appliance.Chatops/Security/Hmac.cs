using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Chatops.Security;

/// <summary>The HMAC-SHA256 scheme both Slack and the gateway sign with: a text prefix, then the raw body.</summary>
internal static class Hmac
{
    public static string HexSha256(byte[] key, string prefix, ReadOnlySpan<byte> rawBody)
    {
        var head = Encoding.UTF8.GetBytes(prefix);
        var message = new byte[head.Length + rawBody.Length];
        head.CopyTo(message, 0);
        rawBody.CopyTo(message.AsSpan(head.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, message));
    }

    /// <summary>Constant-time comparison of two hex signatures (case-insensitive on the given one).</summary>
    public static bool HexEquals(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.UTF8.GetBytes(given.Trim().ToLowerInvariant()));

    /// <summary>
    /// Checks a Unix-seconds timestamp is within <paramref name="window"/> of now, either way:
    /// the replay window of both signing schemes.
    /// </summary>
    public static SignatureCheck CheckTimestamp(string timestamp, DateTimeOffset now, TimeSpan window)
    {
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253_402_300_799)
        {
            return SignatureCheck.Malformed;
        }

        return (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > window ? SignatureCheck.Stale : SignatureCheck.Valid;
    }
}
