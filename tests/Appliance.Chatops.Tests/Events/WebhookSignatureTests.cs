using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Appliance.Chatops.Events;
using Appliance.Chatops.Security;

namespace Appliance.Chatops.Tests.Events;

public sealed class WebhookSignatureTests
{
    private const string Secret = "chatops-shared-secret";
    private const string Body = """{"id":"evt_1","type":"request.created","occurredAt":"2026-11-26T10:00:00Z","data":{}}""";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void IndependentlyComputedSignature_Verifies()
    {
        var header = Header(Now, Reference(Secret, Now, Body));

        Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(Secret, header, Encoding.UTF8.GetBytes(Body), Now));
    }

    [Fact]
    public void TamperedBody_IsInvalid()
    {
        var header = Header(Now, Reference(Secret, Now, Body));

        Assert.Equal(SignatureCheck.Invalid, WebhookSignature.Verify(Secret, header, Encoding.UTF8.GetBytes(Body.Replace("created", "approved", StringComparison.Ordinal)), Now));
    }

    [Fact]
    public void WrongSecret_IsInvalid()
    {
        var header = Header(Now, Reference("guessed", Now, Body));

        Assert.Equal(SignatureCheck.Invalid, WebhookSignature.Verify(Secret, header, Encoding.UTF8.GetBytes(Body), Now));
    }

    [Theory]
    [InlineData(301)]
    [InlineData(-301)]
    public void TimestampOutsideFiveMinutes_IsStale(int age)
    {
        var signedAt = Now.AddSeconds(-age);
        var header = Header(signedAt, Reference(Secret, signedAt, Body));

        Assert.Equal(SignatureCheck.Stale, WebhookSignature.Verify(Secret, header, Encoding.UTF8.GetBytes(Body), Now));
    }

    [Fact]
    public void SeveralV1_OneValid_Verifies()
    {
        var header = $"t={Now.ToUnixTimeSeconds()},v1={new string('0', 64)},v1={Reference(Secret, Now, Body)}";

        Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(Secret, header, Encoding.UTF8.GetBytes(Body), Now));
    }

    [Theory]
    [InlineData(null, nameof(SignatureCheck.Missing))]
    [InlineData("", nameof(SignatureCheck.Missing))]
    [InlineData("v1=abcdef", nameof(SignatureCheck.Malformed))]
    [InlineData("t=1800000000", nameof(SignatureCheck.Malformed))]
    [InlineData("t=soon,v1=abcdef", nameof(SignatureCheck.Malformed))]
    [InlineData("sha256=abcdef", nameof(SignatureCheck.Malformed))]
    public void BadHeader_IsRefused(string? header, string expected) =>
        Assert.Equal(expected, WebhookSignature.Verify(Secret, header, Encoding.UTF8.GetBytes(Body), Now).ToString());

    [Fact]
    public void NoSecretConfigured_RefusesEverything()
    {
        var header = Header(Now, Reference(Secret, Now, Body));

        Assert.Equal(SignatureCheck.NotConfigured, WebhookSignature.Verify(null, header, Encoding.UTF8.GetBytes(Body), Now));
    }

    private static string Header(DateTimeOffset t, string v1) => $"t={t.ToUnixTimeSeconds()},v1={v1}";

    /// <summary>The contract of docs/architecture.md, computed here without chatops' code.</summary>
    private static string Reference(string secret, DateTimeOffset t, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(t.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "." + body)));
}
