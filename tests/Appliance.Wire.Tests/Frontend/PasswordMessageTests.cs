using Appliance.Wire.Frontend;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Frontend;

public class PasswordMessageTests
{
    [Fact]
    public void Password_RoundTrip_KeepsTheToken()
    {
        var body = PgBytes.Body(o => FrontendWriter.WritePasswordMessage(o, "agc_abc"), (byte)'p');

        Assert.Equal("agc_abc", PgBytes.Utf8(PasswordMessage.Parse(body).Password));
        Assert.Equal(body, PgBytes.Body(o => FrontendWriter.WritePasswordMessage(o, "agc_abc"u8), (byte)'p'));
    }

    [Theory]
    [InlineData("6162")]
    [InlineData("61620063")]
    public void Password_WithoutSingleTerminator_IsAProtocolViolation(string hex)
    {
        Assert.Throws<PgProtocolException>(() => PasswordMessage.Parse(Convert.FromHexString(hex)));
    }

    [Fact]
    public void SaslInitialResponse_RoundTrip_KeepsMechanismAndData()
    {
        var body = PgBytes.Body(o => FrontendWriter.WriteSaslInitialResponse(o, "SCRAM-SHA-256", "n,,n=,r=abc"u8), (byte)'p');

        var message = SaslInitialResponseMessage.Parse(body);

        Assert.Equal("SCRAM-SHA-256", PgBytes.Utf8(message.Mechanism));
        Assert.True(message.HasData);
        Assert.Equal("n,,n=,r=abc", PgBytes.Utf8(message.Data));
    }

    [Fact]
    public void SaslInitialResponse_LengthMinusOne_HasNoData()
    {
        var message = SaslInitialResponseMessage.Parse([.. "X\0"u8, 0xFF, 0xFF, 0xFF, 0xFF]);

        Assert.False(message.HasData);
        Assert.Equal("X", PgBytes.Utf8(message.Mechanism));
    }

    [Theory]
    [InlineData("5800fffffffe")]
    [InlineData("58000000000541")]
    [InlineData("5800000000014142")]
    [InlineData("58")]
    public void SaslInitialResponse_BadLength_IsAProtocolViolation(string hex)
    {
        Assert.Throws<PgProtocolException>(() => SaslInitialResponseMessage.Parse(Convert.FromHexString(hex)));
    }

    [Fact]
    public void SaslResponse_RoundTrip_IsTheWholeBody()
    {
        var body = PgBytes.Body(o => FrontendWriter.WriteSaslResponse(o, "c=biws,r=abc,p=xyz"u8), (byte)'p');

        Assert.Equal("c=biws,r=abc,p=xyz", PgBytes.Utf8(SaslResponseMessage.Parse(body).Data));
    }
}
