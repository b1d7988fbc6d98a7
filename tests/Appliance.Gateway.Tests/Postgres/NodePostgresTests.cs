using Appliance.Gateway.Tests.Postgres.Support;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>Over TLS: the session runs on its own threads.</summary>
public sealed class NodePostgresOverTlsTests(PgGatewayFixture fixture) : NodePostgresTests<PgGatewayFixture>(fixture);

/// <summary>In plaintext: the session runs on an event loop.</summary>
public sealed class NodePostgresOnEventLoopTests(PlaintextFixture fixture) : NodePostgresTests<PlaintextFixture>(fixture);

/// <summary>node-postgres (npm <c>pg</c>) as a Node.js process through the gateway (Clients/node/probe.js).</summary>
public abstract class NodePostgresTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PgGatewayFixture
{
    [Fact]
    public async Task SimpleQueries_Run_AndResultsAreMasked()
    {
        await fixture.GrantAsync();
        var table = await fixture.CustomersAsync();

        var output = await fixture.NodeAsync("simple", table);

        output.AssertSucceeded();
        Assert.Equal([fixture.Tls ? "true" : "false"], output.Single("tls"));
        fixture.AssertOnEventLoopWhenPlaintext(output);
        Assert.Equal(["42", fixture.Upstream.User], output.Single("answer"));
        Assert.Equal(["2", "1", "two"], output.Single("several"));
        ClientProbes.AssertMaskedCustomers(output.All("row"));
    }

    [Fact]
    public async Task ParameterisedQueries_UseTheExtendedProtocol_AndANamedStatementIsPreparedOnce()
    {
        await fixture.GrantAsync();
        var table = await fixture.CustomersAsync();

        var output = await fixture.NodeAsync("params", table);

        output.AssertSucceeded();
        Assert.Equal(["42", "a text parameter"], output.Single("unnamed"));
        Assert.Equal(
            [["1", "a***@example.com", "****", ProbeOutput.Null, "plain words"],
             ["2", "b***@example.com", ProbeOutput.Null, "42", "second"],
             ["1", "a***@example.com", "****", ProbeOutput.Null, "plain words"]],
            output.All("named"));
        var statement = output.Single("server-statement");
        Assert.Equal("customer-by-id", statement[0]);
        Assert.EndsWith($"FROM {table} WHERE id = $1", statement[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task BlockedStatements_Fail42501_InBothProtocols_AndTheConnectionGoesOn()
    {
        await fixture.GrantAsync();
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");

        var output = await fixture.NodeAsync("blocked", table);

        output.AssertSucceeded();
        Assert.Empty(output.All("not-blocked"));
        var blocked = output.All("blocked");
        Assert.Equal(["simple", "extended"], blocked.Select(line => line[0]));
        Assert.All(blocked, line => Assert.Equal("42501", line[1]));
        Assert.All(blocked, line => Assert.Contains("blocked by guardrail \"destructive-ddl\"", line[2], StringComparison.Ordinal));
        Assert.Equal(["1", "7"], output.Single("after"));
        Assert.Equal(1L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Login_WithoutGrant_Fails28000_WithTheInstructions()
    {
        var daveToken = await fixture.Gateway.CreateTokenAsync(Dave);

        var output = await fixture.NodeAsync("connect", password: daveToken, user: Dave);

        output.AssertRefusedForWantOfAGrant();
    }
}
