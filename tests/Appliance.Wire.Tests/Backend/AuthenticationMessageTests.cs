using Appliance.Wire.Backend;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Backend;

public class AuthenticationMessageTests
{
    [Fact]
    public void Ok_RoundTrip_MatchesTheWireVector()
    {
        var bytes = PgBytes.Write(BackendWriter.WriteAuthenticationOk);

        Assert.Equal(Convert.FromHexString("520000000800000000"), bytes);
        Assert.Equal(AuthenticationKind.Ok, AuthenticationMessage.Parse(PgBytes.Body(bytes, (byte)'R')).Kind);
    }

    [Fact]
    public void CleartextPassword_RoundTrip()
    {
        var message = AuthenticationMessage.Parse(PgBytes.Body(BackendWriter.WriteAuthenticationCleartextPassword, (byte)'R'));

        Assert.Equal(AuthenticationKind.CleartextPassword, message.Kind);
        Assert.Equal(3, message.Code);
    }

    [Fact]
    public void Md5Password_RoundTrip_CarriesTheSalt()
    {
        var message = AuthenticationMessage.Parse(PgBytes.Body(o => BackendWriter.WriteAuthenticationMd5Password(o, [1, 2, 3, 4]), (byte)'R'));

        Assert.Equal(AuthenticationKind.Md5Password, message.Kind);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, message.Data.ToArray());
    }

    [Fact]
    public void Sasl_RoundTrip_ListsMechanismsInOrder()
    {
        var body = PgBytes.Body(o => BackendWriter.WriteAuthenticationSasl(o, ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]), (byte)'R');

        var message = AuthenticationMessage.Parse(body);

        Assert.Equal(AuthenticationKind.Sasl, message.Kind);
        var mechanisms = new List<string>();
        foreach (var mechanism in message.SaslMechanisms)
        {
            mechanisms.Add(PgBytes.Utf8(mechanism));
        }

        Assert.Equal(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], mechanisms);
        Assert.True(message.SaslMechanisms.Contains("SCRAM-SHA-256"u8));
        Assert.False(message.SaslMechanisms.Contains("SCRAM-SHA-1"u8));
    }

    [Fact]
    public void SaslContinueAndFinal_RoundTrip_CarryTheData()
    {
        var next = AuthenticationMessage.Parse(PgBytes.Body(o => BackendWriter.WriteAuthenticationSaslContinue(o, "r=a,s=b,i=4096"u8), (byte)'R'));
        var final = AuthenticationMessage.Parse(PgBytes.Body(o => BackendWriter.WriteAuthenticationSaslFinal(o, "v=xyz"u8), (byte)'R'));

        Assert.Equal(AuthenticationKind.SaslContinue, next.Kind);
        Assert.Equal("r=a,s=b,i=4096", PgBytes.Utf8(next.Data));
        Assert.Equal(AuthenticationKind.SaslFinal, final.Kind);
        Assert.Equal("v=xyz", PgBytes.Utf8(final.Data));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(99)]
    public void OtherCodes_AreReportedAsUnsupportedWithTheirCode(int code)
    {
        var body = new byte[6];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(body, code);

        var message = AuthenticationMessage.Parse(body);

        Assert.Equal(AuthenticationKind.Unsupported, message.Kind);
        Assert.Equal(code, message.Code);
    }

    [Theory]
    [InlineData("000000")]
    [InlineData("0000000000")]
    [InlineData("00000005010203")]
    [InlineData("0000000a534352414d00")]
    public void Malformed_IsAProtocolViolation(string hex)
    {
        Assert.Throws<PgProtocolException>(() => AuthenticationMessage.Parse(Convert.FromHexString(hex)));
    }
}
