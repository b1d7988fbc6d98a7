using Appliance.Gateway.Tests.Postgres.Support;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>Over TLS (sslmode=require): the session runs on its own threads.</summary>
public sealed class JdbcOverTlsTests(PgGatewayFixture fixture) : JdbcTests<PgGatewayFixture>(fixture);

/// <summary>In plaintext (sslmode=disable): the session runs on an event loop.</summary>
public sealed class JdbcOnEventLoopTests(PlaintextFixture fixture) : JdbcTests<PlaintextFixture>(fixture);

/// <summary>
/// pgjdbc, the driver DBeaver uses, as a Java process through the gateway
/// (Clients/jdbc/GatewayProbe.java): what DBeaver does with a connection.
/// </summary>
public abstract class JdbcTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PgGatewayFixture
{
    [Fact]
    public async Task Connect_AsDbeaverDoes_RunsAsTheUpstreamUser()
    {
        await fixture.GrantAsync();

        var output = await fixture.JdbcAsync("connect");

        output.AssertSucceeded();
        Assert.Equal("PostgreSQL", output.Single("product")[0]);
        Assert.Equal(["public", fixture.Upstream.User, "42"], output.Single("session"));
        fixture.AssertOnEventLoopWhenPlaintext(output);
    }

    [Fact]
    public async Task Login_WithoutGrant_Fails28000_WithTheInstructions()
    {
        var daveToken = await fixture.Gateway.CreateTokenAsync(Dave);

        var output = await fixture.JdbcAsync("connect", password: daveToken, user: Dave);

        output.AssertRefusedForWantOfAGrant();
    }

    [Fact]
    public async Task Navigator_ListsTheTableAndItsColumns_AndTheDataViewIsMasked()
    {
        await fixture.GrantAsync();
        var table = await fixture.CustomersAsync();

        var output = await fixture.JdbcAsync("navigator", table);

        output.AssertSucceeded();
        Assert.Equal(["public", table, "TABLE"], output.Single("table"));
        Assert.Equal(
            [["1", "id", "int4", "NO"], ["2", "email", "varchar", "YES"], ["3", "card", "text", "YES"], ["4", "ssn", "text", "YES"],
             ["5", "card_number", "int8", "YES"], ["6", "amount", "numeric", "YES"], ["7", "born", "date", "YES"], ["8", "note", "text", "YES"]],
            output.All("column"));
        Assert.Equal(["id"], output.Single("key"));
        ClientProbes.AssertMaskedCustomers(output.All("row"));
    }

    [Fact]
    public async Task PreparedStatement_PastThePrepareThreshold_IsNamedOnTheServer_WithBinaryResults_StillMasked()
    {
        await fixture.GrantAsync();
        var table = await fixture.CustomersAsync();

        var output = await fixture.JdbcAsync("prepared", table);

        output.AssertSucceeded();
        var executions = output.All("execution");
        Assert.Equal(8, executions.Count);
        Assert.Equal("text", executions[0][1]);
        Assert.Equal("binary", executions[7][1]);
        Assert.All(executions, execution => Assert.Equal(["1", "a***@example.com", "****", ProbeOutput.Null, "12.50", "1990-02-03"], execution[2..]));
        var statement = output.Single("server-statement");
        Assert.StartsWith("S_", statement[0], StringComparison.Ordinal);
        Assert.EndsWith($"FROM {table} WHERE id = $1", statement[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchSize_WithAutocommitOff_ReadsThroughASuspendedPortal_AndEveryRowIsMasked()
    {
        await fixture.GrantAsync();

        var output = await fixture.JdbcAsync("fetch");

        output.AssertSucceeded();
        Assert.Equal([["1", "u***@example.com"], ["95", "u***@example.com"]], output.All("fetched"));
        Assert.Equal(["95"], output.Single("rows"));
        var cursor = output.Single("cursor");
        Assert.StartsWith("C_", cursor[0], StringComparison.Ordinal);
        Assert.Contains("generate_series(1, 95)", cursor[1], StringComparison.Ordinal);
    }

    /// <summary>Non-ASCII text in the statement pgjdbc sends behind its BEGIN (autocommit off) runs (probe DH: refused as after a possible encoding switch).</summary>
    [Fact]
    public async Task NonAsciiText_InTheFirstStatementOfATransaction_Runs()
    {
        await fixture.GrantAsync();

        var output = await fixture.JdbcAsync("nonascii");

        output.AssertSucceeded();
        Assert.Equal([["Müller", "naïve café", "東京1丁目"], ["Müller", "naïve café", "東京1丁目"]], output.All("text"));
    }

    [Fact]
    public async Task Batch_WithABlockedStatementInTheMiddle_FailsIt_AndTheConnectionGoesOn()
    {
        await fixture.GrantAsync();
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");

        var output = await fixture.JdbcAsync("batch", table);

        output.AssertSucceeded();
        var error = output.Single("batch-error");
        Assert.Equal("42501", error[0]);
        Assert.Contains("blocked by guardrail \"destructive-ddl\"", error[1], StringComparison.Ordinal);
        Assert.Equal(["[1, 1, 1]"], output.Single("prepared-batch"));
        // As PostgreSQL does for an error inside a batch, the insert before it was rolled back.
        Assert.Equal(["3", "10", "12"], output.Single("after"));
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }
}
