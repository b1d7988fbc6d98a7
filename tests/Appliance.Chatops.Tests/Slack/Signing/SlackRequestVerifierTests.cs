using System.Text;
using Appliance.Chatops.Configuration;
using Appliance.Chatops.Security;
using Appliance.Chatops.Slack.Signing;
using Appliance.Tests.Common.Slack;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Chatops.Tests.Slack.Signing;

public sealed class SlackRequestVerifierTests
{
    // The worked example of api.slack.com/authentication/verifying-requests-from-slack.
    private const string ExampleSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string ExampleTimestamp = "1531420618";
    private const string ExampleBody =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" +
        "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com" +
        "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    private const string ExampleSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    private static readonly DateTimeOffset ExampleTime = DateTimeOffset.FromUnixTimeSeconds(1531420618);

    [Fact]
    public void SlackDocumentedExample_Verifies()
    {
        var verifier = Verifier(ExampleTime);

        Assert.Equal(SignatureCheck.Valid, verifier.Verify(ExampleTimestamp, ExampleSignature, Encoding.UTF8.GetBytes(ExampleBody)));
    }

    [Fact]
    public void Sign_SlackDocumentedExample_GivesDocumentedSignature()
    {
        Assert.Equal(ExampleSignature, SlackRequestVerifier.Sign(Encoding.UTF8.GetBytes(ExampleSecret), ExampleTimestamp, Encoding.UTF8.GetBytes(ExampleBody)));
        // The emulator's signer is written separately; both must agree with Slack.
        Assert.Equal(ExampleSignature, SlackRequestSigner.Sign(ExampleSecret, ExampleTimestamp, ExampleBody));
    }

    [Fact]
    public void TamperedBody_IsInvalid()
    {
        var verifier = Verifier(ExampleTime);
        var tampered = ExampleBody.Replace("text=", "text=request%20demo", StringComparison.Ordinal);

        Assert.Equal(SignatureCheck.Invalid, verifier.Verify(ExampleTimestamp, ExampleSignature, Encoding.UTF8.GetBytes(tampered)));
    }

    [Fact]
    public void SignatureFromAnotherSecret_IsInvalid()
    {
        var verifier = Verifier(ExampleTime, secret: "another-secret");

        Assert.Equal(SignatureCheck.Invalid, verifier.Verify(ExampleTimestamp, ExampleSignature, Encoding.UTF8.GetBytes(ExampleBody)));
    }

    [Fact]
    public void SignatureWithAnotherTimestamp_IsInvalid()
    {
        var verifier = Verifier(ExampleTime);

        Assert.Equal(SignatureCheck.Invalid, verifier.Verify("1531420619", ExampleSignature, Encoding.UTF8.GetBytes(ExampleBody)));
    }

    [Theory]
    [InlineData(301)]
    [InlineData(-301)]
    [InlineData(86_400)]
    public void TimestampOutsideFiveMinutes_IsStale(int secondsFromNow)
    {
        var verifier = Verifier(ExampleTime.AddSeconds(-secondsFromNow));

        Assert.Equal(SignatureCheck.Stale, verifier.Verify(ExampleTimestamp, ExampleSignature, Encoding.UTF8.GetBytes(ExampleBody)));
    }

    [Theory]
    [InlineData(299)]
    [InlineData(-299)]
    public void TimestampWithinFiveMinutes_IsAccepted(int secondsFromNow)
    {
        var verifier = Verifier(ExampleTime.AddSeconds(-secondsFromNow));

        Assert.Equal(SignatureCheck.Valid, verifier.Verify(ExampleTimestamp, ExampleSignature, Encoding.UTF8.GetBytes(ExampleBody)));
    }

    [Fact]
    public void SameRequestTwice_IsRefusedAsReplay()
    {
        var time = new FakeTimeProvider(ExampleTime);
        var verifier = Verifier(time);
        var body = Encoding.UTF8.GetBytes(ExampleBody);

        Assert.Equal(SignatureCheck.Valid, verifier.Verify(ExampleTimestamp, ExampleSignature, body));
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(SignatureCheck.Replayed, verifier.Verify(ExampleTimestamp, ExampleSignature, body));
    }

    /// <summary>The signature is compared ignoring case: a replay in other case is the same request (probe EG2).</summary>
    [Fact]
    public void SameRequestTwice_InAnotherCase_IsRefusedAsReplay()
    {
        var verifier = Verifier(new FakeTimeProvider(ExampleTime));
        var body = Encoding.UTF8.GetBytes(ExampleBody);

        Assert.Equal(SignatureCheck.Valid, verifier.Verify(ExampleTimestamp, ExampleSignature, body));
        Assert.Equal(SignatureCheck.Replayed, verifier.Verify(ExampleTimestamp, ExampleSignature.ToUpperInvariant(), body));
        Assert.Equal(SignatureCheck.Replayed, verifier.Verify(ExampleTimestamp, "V0=" + ExampleSignature[3..], body));
    }

    [Fact]
    public void ReplayAfterWindow_IsStaleNotAccepted()
    {
        var time = new FakeTimeProvider(ExampleTime);
        var verifier = Verifier(time);
        var body = Encoding.UTF8.GetBytes(ExampleBody);
        verifier.Verify(ExampleTimestamp, ExampleSignature, body);

        time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(SignatureCheck.Stale, verifier.Verify(ExampleTimestamp, ExampleSignature, body));
    }

    [Theory]
    [InlineData(null, ExampleSignature, nameof(SignatureCheck.Missing))]
    [InlineData(ExampleTimestamp, null, nameof(SignatureCheck.Missing))]
    [InlineData("", "", nameof(SignatureCheck.Missing))]
    [InlineData("yesterday", ExampleSignature, nameof(SignatureCheck.Malformed))]
    [InlineData("-1531420618", ExampleSignature, nameof(SignatureCheck.Malformed))]
    [InlineData("99999999999999999999", ExampleSignature, nameof(SignatureCheck.Malformed))]
    [InlineData(ExampleTimestamp, "v0=", nameof(SignatureCheck.Invalid))]
    [InlineData(ExampleTimestamp, "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", nameof(SignatureCheck.Invalid))]
    public void BadHeaders_AreRefused(string? timestamp, string? signature, string expected)
    {
        var verifier = Verifier(ExampleTime);

        Assert.Equal(expected, verifier.Verify(timestamp, signature, Encoding.UTF8.GetBytes(ExampleBody)).ToString());
    }

    [Fact]
    public void NoSigningSecret_RefusesEverything()
    {
        var verifier = new SlackRequestVerifier(Options.Create(new ChatopsOptions()), new FakeTimeProvider(ExampleTime));

        Assert.Equal(SignatureCheck.NotConfigured, verifier.Verify(ExampleTimestamp, ExampleSignature, Encoding.UTF8.GetBytes(ExampleBody)));
    }

    private static SlackRequestVerifier Verifier(DateTimeOffset now, string secret = ExampleSecret) =>
        Verifier(new FakeTimeProvider(now), secret);

    private static SlackRequestVerifier Verifier(TimeProvider time, string secret = ExampleSecret) =>
        new(Options.Create(new ChatopsOptions { SlackSigningSecret = secret }), time);
}
