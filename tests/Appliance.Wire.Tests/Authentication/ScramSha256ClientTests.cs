using System.Text;
using Appliance.Wire.Authentication;

namespace Appliance.Wire.Tests.Authentication;

public class ScramSha256ClientTests
{
    // RFC 7677 section 3 (also in protocols.md).
    private const string ClientNonce = "rOprNGfwEbeRWgbNEkqO";
    private const string ServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private const string ClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private const string ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    [Fact]
    public void Exchange_Rfc7677Vector_ProducesTheProofAndAcceptsTheSignature()
    {
        var client = new ScramSha256Client("pencil", "user", ClientNonce);

        var first = client.CreateClientFirstMessage();
        var final = client.CreateClientFinalMessage(Encoding.ASCII.GetBytes(ServerFirst));
        client.VerifyServerFinalMessage(Encoding.ASCII.GetBytes(ServerFinal));

        Assert.Equal("n,,n=user,r=" + ClientNonce, Encoding.ASCII.GetString(first));
        Assert.Equal(ClientFinal, Encoding.ASCII.GetString(final));
    }

    [Fact]
    public void VerifyServerFinal_WrongSignature_IsRefused()
    {
        var client = Started();

        var error = Assert.Throws<PgProtocolException>(() =>
            client.VerifyServerFinalMessage("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="u8));

        Assert.Equal(SqlStates.InvalidAuthorizationSpecification, error.SqlState);
    }

    [Fact]
    public void VerifyServerFinal_ServerError_IsReported()
    {
        var client = Started();

        var error = Assert.Throws<PgProtocolException>(() => client.VerifyServerFinalMessage("e=invalid-proof"u8));

        Assert.Contains("invalid-proof", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("r=somebodyElse123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce not extending ours")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce equal to ours")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095", "too few iterations")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000001", "too many iterations")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-4096", "negative iterations")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999", "iterations overflow")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=not base64!,i=4096", "salt not base64")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=,i=4096", "empty salt")]
    [InlineData("m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "mandatory extension")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,i=4096", "salt missing")]
    [InlineData("", "empty")]
    public void CreateClientFinal_UnacceptableServerFirst_IsAProtocolViolation(string serverFirst, string why)
    {
        var client = new ScramSha256Client("pencil", "user", ClientNonce);
        client.CreateClientFirstMessage();

        var error = Assert.Throws<PgProtocolException>(() => client.CreateClientFinalMessage(Encoding.ASCII.GetBytes(serverFirst)));

        Assert.True(error.Message.Contains("SCRAM", StringComparison.Ordinal), why);
    }

    [Fact]
    public void Steps_OutOfOrder_AreRefused()
    {
        var client = new ScramSha256Client("pencil");

        Assert.Throws<InvalidOperationException>(() => client.CreateClientFinalMessage(Encoding.ASCII.GetBytes(ServerFirst)));
        client.CreateClientFirstMessage();
        Assert.Throws<InvalidOperationException>(() => client.CreateClientFirstMessage());
        Assert.Throws<InvalidOperationException>(() => client.VerifyServerFinalMessage(Encoding.ASCII.GetBytes(ServerFinal)));
    }

    [Fact]
    public void ClientFirst_DefaultNonceAndUser_LookLikeLibpqs()
    {
        var first = Encoding.ASCII.GetString(new ScramSha256Client("pw").CreateClientFirstMessage());
        var other = Encoding.ASCII.GetString(new ScramSha256Client("pw").CreateClientFirstMessage());

        Assert.StartsWith("n,,n=,r=", first, StringComparison.Ordinal);
        Assert.Equal(24, first.Length - "n,,n=,r=".Length);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void ClientFirst_UserWithCommaAndEquals_IsEscaped()
    {
        var first = Encoding.ASCII.GetString(new ScramSha256Client("pw", "a,b=c", "nonce").CreateClientFirstMessage());

        Assert.Equal("n,,n=a=2Cb=3Dc,r=nonce", first);
    }

    private static ScramSha256Client Started()
    {
        var client = new ScramSha256Client("pencil", "user", ClientNonce);
        client.CreateClientFirstMessage();
        client.CreateClientFinalMessage(Encoding.ASCII.GetBytes(ServerFirst));
        return client;
    }
}
