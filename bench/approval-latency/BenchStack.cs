using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Appliance.Chatops;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Appliance.Tests.Common.Slack;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace ApprovalLatency;

/// <summary>
/// The chat path with real parts, in this process: the Slack emulator, a real gateway (SQLite
/// store) whose <c>demo</c> connection reaches the PostgreSQL of <c>APPLIANCE_TEST_PG</c>, and a
/// real chatops in HTTP mode that the gateway delivers its events to. Both log as in production
/// (Information, to the console, which the program sends to a file).
/// </summary>
internal sealed class BenchStack : IAsyncDisposable
{
    public const string Requester = "alice@example.com";
    public const string RequesterSlackId = "UALICE";
    public const string Approver = "bob@example.com";
    public const string ApproverSlackId = "UBOB";
    public const string SigningSecret = "approval-latency-signing-secret";
    public const string Channel = "db-access";

    private readonly WebApplication _chatops;

    private BenchStack(SlackEmulator slack, TestGateway gateway, WebApplication chatops, Uri chatopsUrl, int pgPort)
    {
        Slack = slack;
        Gateway = gateway;
        _chatops = chatops;
        Interactions = new Uri(chatopsUrl, "slack/interactions");
        PgPort = pgPort;
    }

    public SlackEmulator Slack { get; }
    public TestGateway Gateway { get; }
    public Uri Interactions { get; }
    public int PgPort { get; }
    public SlackRequestSigner Signer { get; } = new(SigningSecret);

    public static async Task<BenchStack> StartAsync()
    {
        var slack = await SlackEmulator.StartAsync();
        slack.AddUser(RequesterSlackId, Requester, "Alice");
        slack.AddUser(ApproverSlackId, Approver, "Bob");

        var chatopsPort = FreePort();
        var pgPort = FreePort();
        var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with
        {
            PolicyYaml = Policy(TestPostgres.Admin),
            ChatopsUrl = $"http://127.0.0.1:{chatopsPort}",
            Settings = new Dictionary<string, string?>
            {
                // A known port: the probe logs in before any credential could tell it.
                ["APPLIANCE_PG_PORT"] = pgPort.ToString(CultureInfo.InvariantCulture),
            },
        });

        var chatopsUrl = new Uri($"http://127.0.0.1:{chatopsPort}/");
        var chatops = ChatopsApp.Build([], builder =>
        {
            builder.WebHost.UseUrls(chatopsUrl.ToString());
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["APPLIANCE_URL"] = gateway.BaseAddress.ToString(),
                ["APPLIANCE_CHATOPS_TOKEN"] = TestGateway.ChatopsToken,
                ["SLACK_BOT_TOKEN"] = slack.BotToken,
                ["SLACK_SIGNING_SECRET"] = SigningSecret,
                ["SLACK_API_URL"] = slack.ApiUrl.ToString(),
            });
        });
        await chatops.StartAsync();
        return new BenchStack(slack, gateway, chatops, chatopsUrl, pgPort);
    }

    public async ValueTask DisposeAsync()
    {
        await _chatops.StopAsync();
        await _chatops.DisposeAsync();
        await Gateway.DisposeAsync();
        await Slack.DisposeAsync();
    }

    /// <summary>
    /// One connection to the cluster's own <c>postgres</c> database as its superuser (the bench
    /// reads nothing). Plaintext is allowed on loopback so that each probe login is as cheap as
    /// it can be: the probe's own cost is the resolution of the measurement.
    /// </summary>
    private static string Policy(Npgsql.NpgsqlConnectionStringBuilder upstream) => $$"""
        users:
          - email: {{Requester}}
            groups: [engineering]
          - email: {{Approver}}
            groups: [dba]

        gateway:
          allowLoopbackPlaintext: true

        connections:
          - name: demo
            type: postgres
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: postgres, user: {{upstream.Username}}, password: "{{upstream.Password}}", tls: disable }
            access:
              requesters: [engineering]
              approvers: [dba]
              minApprovals: 1
              maxDuration: 4h
              reason: optional
              channel: {{Channel}}
        """;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
