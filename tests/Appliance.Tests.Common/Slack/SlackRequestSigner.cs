using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Tests.Common.Slack;

/// <summary>
/// Signs requests exactly as Slack does (api.slack.com/authentication/verifying-requests-from-slack):
/// <c>X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:{ts}:{raw body}"))</c> and
/// <c>X-Slack-Request-Timestamp</c>. Written independently of chatops' verifier on purpose.
/// </summary>
public sealed class SlackRequestSigner(string signingSecret)
{
    public string SigningSecret { get; } = signingSecret;

    public static string Sign(string secret, string timestamp, string body) =>
        "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{timestamp}:{body}")));

    /// <summary>A signed slash command POST (form body) to <paramref name="url"/>.</summary>
    public HttpRequestMessage SlashCommand(Uri url, IReadOnlyDictionary<string, string> fields, DateTimeOffset? at = null) =>
        Signed(url, FormBody(fields), at);

    /// <summary>A signed interaction POST: one form field, <c>payload</c>, holding the JSON.</summary>
    public HttpRequestMessage Interaction(Uri url, JsonObject payload, DateTimeOffset? at = null) =>
        Signed(url, FormBody(new Dictionary<string, string> { ["payload"] = payload.ToJsonString() }), at);

    /// <summary>A POST of <paramref name="body"/> with the signature Slack would send at <paramref name="at"/>.</summary>
    public HttpRequestMessage Signed(Uri url, string body, DateTimeOffset? at = null)
    {
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return WithHeaders(url, body, timestamp, Sign(SigningSecret, timestamp, body));
    }

    /// <summary>A POST with whatever headers a test wants (forgeries, tampering).</summary>
    public static HttpRequestMessage WithHeaders(Uri url, string body, string? timestamp, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Content.Headers.ContentType!.CharSet = null;
        if (timestamp is not null)
        {
            request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        }

        if (signature is not null)
        {
            request.Headers.Add("X-Slack-Signature", signature);
        }

        return request;
    }

    /// <summary>The form encoding Slack uses (application/x-www-form-urlencoded, UTF-8).</summary>
    public static string FormBody(IReadOnlyDictionary<string, string> fields) =>
        string.Join('&', fields.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));
}
