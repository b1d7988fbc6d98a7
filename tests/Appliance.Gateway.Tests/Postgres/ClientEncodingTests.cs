using System.Data;
using System.Text;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Gateway.Tests.Postgres.Support;
using Npgsql;

namespace Appliance.Gateway.Tests.Postgres;

public sealed class ClientEncodingOverTlsTests(PgGatewayFixture fixture) : ClientEncodingTests<PgGatewayFixture>(fixture);

public sealed class ClientEncodingOnEventLoopTests(PlaintextFixture fixture) : ClientEncodingTests<PlaintextFixture>(fixture);

/// <summary>
/// Encodings whose multibyte characters contain ASCII bytes would let a statement hide from the
/// guardrails' lexer, so a session in one is refused at login or cut when it switches.
/// </summary>
public abstract class ClientEncodingTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PgGatewayFixture
{
    [Fact]
    public async Task LoginAskingForSjis_IsRefusedWithTheReason()
    {
        await fixture.GrantAsync();
        var builder = fixture.ConnectionString();
        builder.ClientEncoding = "SJIS";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);

        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal("0A000", error.SqlState);
        Assert.Equal("FATAL", error.Severity);
        Assert.Contains("client_encoding \"SJIS\" is not supported", error.MessageText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SET client_encoding TO 'BIG5'")]
    [InlineData("SELECT set_config('client_encoding', 'GBK', false)")]
    public async Task SwitchingToAnUnreadableEncoding_CutsTheSession(string sql)
    {
        await using var connection = await fixture.OpenAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        });

        Assert.Equal("0A000", error.SqlState);
        Assert.Contains("is not supported by the gateway", error.MessageText, StringComparison.Ordinal);
        Assert.NotEqual(ConnectionState.Open, connection.State);
    }

    [Fact]
    public async Task SwitchingToAnAsciiCompatibleEncoding_Works()
    {
        await using var connection = await fixture.OpenAsync();
        await using (var set = new NpgsqlCommand("SET client_encoding TO 'LATIN1'", connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using var show = new NpgsqlCommand("SHOW client_encoding", connection);
        Assert.Equal("LATIN1", await show.ExecuteScalarAsync());
    }
}

public sealed class ClientEncodingsTests
{
    [Theory]
    [InlineData("UTF8")]
    [InlineData("SQL_ASCII")]
    [InlineData("LATIN1")]
    [InlineData("EUC_JP")]
    [InlineData("WIN1252")]
    public void AsciiCompatibleEncodings_AreReadable(string encoding) =>
        Assert.Null(ClientEncodings.Refusal(Encoding.ASCII.GetBytes(encoding)));

    [Theory]
    [InlineData("SJIS")]
    [InlineData("sjis")]
    [InlineData("SHIFT_JIS_2004")]
    [InlineData("BIG5")]
    [InlineData("GBK")]
    [InlineData("UHC")]
    [InlineData("GB18030")]
    [InlineData("JOHAB")]
    public void EncodingsWithAsciiBytesInsideCharacters_AreRefused(string encoding) =>
        Assert.Contains(encoding, ClientEncodings.Refusal(Encoding.ASCII.GetBytes(encoding)), StringComparison.Ordinal);
}
