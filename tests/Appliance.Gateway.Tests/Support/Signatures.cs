using System.Security.Cryptography;
using System.Text;

namespace Appliance.Gateway.Tests.Support;

/// <summary>Checks <c>X-Appliance-Signature</c> the way a receiver would, independently of the gateway's code.</summary>
internal static class Signatures
{
    public static bool IsValid(string header, string secret, byte[] body, TimeSpan window)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var t = long.Parse(parts["t"], System.Globalization.CultureInfo.InvariantCulture);
        if (Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t) > window.TotalSeconds)
        {
            return false;
        }

        var signed = Encoding.UTF8.GetBytes($"{t}.").Concat(body).ToArray();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(parts["v1"]));
    }
}
