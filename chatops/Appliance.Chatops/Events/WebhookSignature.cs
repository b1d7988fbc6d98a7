using System.Text;
using Appliance.Chatops.Security;

namespace Appliance.Chatops.Events;

/// <summary>
/// The gateway's webhook signature (docs/architecture.md, Interfaces):
/// <c>X-Appliance-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;raw body&gt;")&gt;</c>,
/// accepted within 5 minutes of now. Replays inside the window are harmless: events are
/// de-duplicated by id through the gateway's claims.
/// </summary>
internal static class WebhookSignature
{
    public const string Header = "X-Appliance-Signature";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public static SignatureCheck Verify(string? secret, string? header, ReadOnlySpan<byte> rawBody, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return SignatureCheck.NotConfigured;
        }

        if (string.IsNullOrEmpty(header))
        {
            return SignatureCheck.Missing;
        }

        string? timestamp = null;
        var candidates = new List<string>(1);
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                timestamp = part[2..];
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal))
            {
                // Several v1 values let the sender rotate its secret.
                candidates.Add(part[3..]);
            }
        }

        if (timestamp is null || candidates.Count == 0)
        {
            return SignatureCheck.Malformed;
        }

        var fresh = Hmac.CheckTimestamp(timestamp, now, Window);
        if (fresh != SignatureCheck.Valid)
        {
            return fresh;
        }

        var expected = Compute(secret, timestamp, rawBody);
        return candidates.Any(c => Hmac.HexEquals(expected, c)) ? SignatureCheck.Valid : SignatureCheck.Invalid;
    }

    /// <summary>The header value the gateway sends for <paramref name="rawBody"/> at <paramref name="timestamp"/>.</summary>
    public static string Compute(string secret, string timestamp, ReadOnlySpan<byte> rawBody) =>
        Hmac.HexSha256(Encoding.UTF8.GetBytes(secret), timestamp + ".", rawBody);
}
