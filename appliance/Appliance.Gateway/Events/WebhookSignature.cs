using System.Security.Cryptography;
using System.Text;

namespace Appliance.Gateway.Events;

/// <summary>
/// <c>X-Appliance-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;raw body&gt;")&gt;</c>,
/// the same scheme as Slack's and Stripe's: the timestamp inside the MAC lets receivers refuse replays.
/// </summary>
internal static class WebhookSignature
{
    public const string Header = "X-Appliance-Signature";

    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }
}
