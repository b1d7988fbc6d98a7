using System.Text;
using Appliance.Chatops.Configuration;
using Appliance.Chatops.Security;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Slack.Signing;

/// <summary>
/// Verifies Slack's request signature (api.slack.com/authentication/verifying-requests-from-slack):
/// <c>X-Slack-Signature = "v0=" + hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body))</c>,
/// over the raw bytes before any parsing, compared in constant time, timestamp within
/// 5 minutes of now, and each signature accepted once within that window (here; across restarts
/// and replicas, SlackHttpApi claims it in the gateway's store).
/// </summary>
internal sealed class SlackRequestVerifier
{
    public const string SignatureHeader = "X-Slack-Signature";
    public const string TimestampHeader = "X-Slack-Request-Timestamp";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly byte[]? _secret;
    private readonly TimeProvider _time;
    private readonly RecentKeys _seen;

    public SlackRequestVerifier(IOptions<ChatopsOptions> options, TimeProvider time)
    {
        _secret = options.Value.SlackSigningSecret is { } secret ? Encoding.UTF8.GetBytes(secret) : null;
        _time = time;
        // Twice the window: a timestamp up to 5 minutes in the future stays acceptable that much longer.
        _seen = new RecentKeys(time, Window * 2);
    }

    public SignatureCheck Verify(string? timestamp, string? signature, ReadOnlySpan<byte> rawBody) =>
        Verify(timestamp, signature, rawBody, out _);

    /// <param name="accepted">The signature as computed, when valid: the request's key for a claim across processes.</param>
    public SignatureCheck Verify(string? timestamp, string? signature, ReadOnlySpan<byte> rawBody, out string? accepted)
    {
        accepted = null;
        if (_secret is null)
        {
            return SignatureCheck.NotConfigured;
        }

        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return SignatureCheck.Missing;
        }

        var fresh = Hmac.CheckTimestamp(timestamp, _time.GetUtcNow(), Window);
        if (fresh != SignatureCheck.Valid)
        {
            return fresh;
        }

        var expected = Sign(_secret, timestamp, rawBody);
        if (!Hmac.HexEquals(expected, signature))
        {
            return SignatureCheck.Invalid;
        }

        // A valid signature seen before is a replay: Slack never sends the same request twice. Kept
        // as computed, not as sent: the comparison ignores case, so "V0=" or upper-case hex was a
        // new key for the same request (probe EG2).
        if (!_seen.TryAdd(expected))
        {
            return SignatureCheck.Replayed;
        }

        accepted = expected;
        return SignatureCheck.Valid;
    }

    /// <summary>The signature Slack sends for <paramref name="rawBody"/>.</summary>
    public static string Sign(byte[] secret, string timestamp, ReadOnlySpan<byte> rawBody) =>
        "v0=" + Hmac.HexSha256(secret, $"v0:{timestamp}:", rawBody);
}
