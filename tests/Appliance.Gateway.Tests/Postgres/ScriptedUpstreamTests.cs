using System.Buffers;
using System.Net;
using Appliance.Gateway.Postgres.Listener;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common.Gateway;
using Appliance.Wire;
using Appliance.Wire.Primitives;
using Appliance.Wire.Backend;
using Appliance.Wire.Writing;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>Upstreams that misbehave, scripted message by message: what the client is told, and what it is not.</summary>
public sealed class ScriptedUpstreamTests
{
    [Fact]
    public async Task UpstreamAskingForAnUnsupportedAuthMethod_GivesTheClientAClearFatal()
    {
        await using var upstream = new ScriptedUpstream(c => c.SendAsync(o => o.Write<byte>([(byte)'R', 0, 0, 0, 8, 0, 0, 0, 7])));
        await using var gateway = await StartAsync(upstream);

        var error = await LoginFailureAsync(gateway);

        Assert.Equal("0A000", error.SqlState);
        Assert.Contains("authentication method 7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamRefusingThePassword_GetsTheStoredCredentials_AndTheClientSeesNeither()
    {
        await using var upstream = new ScriptedUpstream(async c =>
        {
            await c.SendAsync(BackendWriter.WriteAuthenticationCleartextPassword);
            await c.ReadAsync();
            await c.SendAsync(o => BackendWriter.WriteErrorResponse(o, ErrorSeverity.Fatal, "28P01", "password authentication failed for user \"demo_reader\""));
        });
        await using var gateway = await StartAsync(upstream);

        var error = await LoginFailureAsync(gateway);

        Assert.Contains("user=demo_reader database=demo", upstream.Received);
        Assert.Contains("password=secret", upstream.Received);
        Assert.Equal("08004", error.SqlState);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("demo_reader", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamThatCannotAnswerTheRoleCheck_RefusesTheLogin()
    {
        // A server with no readable pg_roles cannot say whether the role can become a superuser:
        // the check fails closed.
        await using var upstream = new ScriptedUpstream(async c =>
        {
            await c.SendLoginOkAsync();
            await c.AnswerRoleCheckAsync(
                o => BackendWriter.WriteCommandComplete(o, "SET"),
                o => BackendWriter.WriteErrorResponse(o, ErrorSeverity.Error, "42501", "permission denied for view pg_roles"),
                o => BackendWriter.WriteReadyForQuery(o, TransactionStatus.Idle));
            await c.ReadAsync();
        });
        await using var gateway = await StartAsync(upstream);

        var error = await LoginFailureAsync(gateway);

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("could not check whether its upstream role can become a PostgreSQL superuser", error.Message, StringComparison.Ordinal);
        Assert.Contains("permission denied for view pg_roles", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoleCheckCutByTheClientsStatementTimeout_IsAskedOnceMore()
    {
        await using var upstream = new ScriptedUpstream(async c =>
        {
            await c.SendLoginOkAsync();
            await c.AnswerRoleCheckAsync(StatementTimeout);
            await c.AnswerRoleCheckAsync(ScriptedUpstream.Connection.NoSuperuserRole);
            await c.ReadAsync();
        });
        await using var gateway = await StartAsync(upstream);

        await using var client = await RawPgClient.LoginAsync(gateway.Service<PostgresListenerInfo>().Port, Alice, await GrantAsync(gateway), "demo", tls: true);

        Assert.Equal(2, upstream.RoleChecks);
    }

    [Fact]
    public async Task RoleCheckCutTwice_RefusesTheLogin()
    {
        await using var upstream = new ScriptedUpstream(async c =>
        {
            await c.SendLoginOkAsync();
            for (var i = 0; i < 2; i++)
            {
                await c.AnswerRoleCheckAsync(StatementTimeout);
            }

            await c.ReadAsync();
        });
        await using var gateway = await StartAsync(upstream);

        var error = await LoginFailureAsync(gateway);

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("could not check", error.Message, StringComparison.Ordinal);
        Assert.Contains("statement timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoleCheckAnsweredWithAnUnexpectedMessage_IsAProtocolViolation()
    {
        await using var upstream = new ScriptedUpstream(async c =>
        {
            await c.SendLoginOkAsync();
            await c.AnswerRoleCheckAsync(o => CopyWriter.WriteCopyResponse(o, BackendMessageType.CopyInResponse, PgFormat.Text, []));
            await c.ReadAsync();
        });
        await using var gateway = await StartAsync(upstream);

        var error = await LoginFailureAsync(gateway);

        Assert.Equal("08P01", error.SqlState);
        Assert.Contains("during the login's role check", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamFatalMidSession_ReachesTheClient_AndTheSessionEnds()
    {
        var fatal = await FatalAfterAQueryAsync(c =>
            c.SendAsync(o => BackendWriter.WriteErrorResponse(o, ErrorSeverity.Fatal, "57P01", "terminating connection due to administrator command")));

        Assert.Equal("57P01", fatal.SqlState);
        Assert.Contains("administrator command", fatal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamVanishingMidQuery_GivesTheClientAFatal()
    {
        var fatal = await FatalAfterAQueryAsync(_ => Task.CompletedTask);

        Assert.Equal("08006", fatal.SqlState);
        Assert.Contains("closed the connection unexpectedly", fatal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParameterStatusOfTheUpstream_ReachTheClient_WithTheGatewaysOwnKey()
    {
        await using var upstream = new ScriptedUpstream(async c =>
        {
            await c.CompleteLoginAsync();
            await c.ReadAsync();
        });
        await using var gateway = await StartAsync(upstream);
        await using var client = await RawPgClient.ConnectTlsAsync(gateway.Service<PostgresListenerInfo>().Port);
        await client.SendStartupAsync(Alice, "demo", await GrantAsync(gateway));

        var messages = await client.ReadUntilReadyAsync();

        Assert.Contains(messages, m => m.Type == 'S' && System.Text.Encoding.UTF8.GetString(m.Body).Contains("15.99 (scripted)", StringComparison.Ordinal));
        var key = BackendKeyDataMessage.Parse(Assert.Single(messages, m => m.Type == 'K').Body);
        Assert.NotEqual(4242, key.ProcessId);
    }

    /// <summary>A client's statement_timeout firing on the role check.</summary>
    private static readonly Action<IBufferWriter<byte>>[] StatementTimeout =
    [
        o => BackendWriter.WriteErrorResponse(o, ErrorSeverity.Error, "57014", "canceling statement due to statement timeout"),
        o => BackendWriter.WriteReadyForQuery(o, TransactionStatus.Idle),
    ];

    private static async Task<TestGateway> StartAsync(ScriptedUpstream upstream) =>
        await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { PolicyYaml = TestPolicies.Build("127.0.0.1", upstream.Port) });

    /// <summary>Alice's token, with an active grant for demo approved by bob.</summary>
    private static async Task<string> GrantAsync(TestGateway gateway)
    {
        var alice = await gateway.CreateTokenAsync(Alice);
        using var aliceClient = gateway.Client(alice);
        var request = await aliceClient.PostAsync("api/requests", new { connection = "demo", duration = "1h", reason = "scripted" }, HttpStatusCode.Created);
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        await bob.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.OK);
        return alice;
    }

    /// <summary>Logs in to an upstream that runs <paramref name="afterQuery"/> when the query arrives, then hangs up; returns the one message the client got.</summary>
    private static async Task<PgMessage> FatalAfterAQueryAsync(Func<ScriptedUpstream.Connection, Task> afterQuery)
    {
        await using var upstream = new ScriptedUpstream(async c =>
        {
            await c.CompleteLoginAsync();
            Assert.Equal('Q', (await c.ReadAsync()).Type);
            await afterQuery(c);
        });
        await using var gateway = await StartAsync(upstream);
        await using var client = await RawPgClient.LoginAsync(gateway.Service<PostgresListenerInfo>().Port, Alice, await GrantAsync(gateway), "demo", tls: true);

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 1"));
        return Assert.Single(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)));
    }

    private static async Task<PgMessage> LoginFailureAsync(TestGateway gateway)
    {
        var token = await GrantAsync(gateway);
        await using var client = await RawPgClient.ConnectTlsAsync(gateway.Service<PostgresListenerInfo>().Port);
        await client.SendStartupAsync(Alice, "demo", token);
        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
        return Assert.Single(messages, m => m.Type == 'E');
    }
}
