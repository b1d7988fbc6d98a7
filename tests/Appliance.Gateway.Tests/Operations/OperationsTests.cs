using System.Net;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Appliance.Tests.Common.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Operations;

public sealed class OperationsTests
{
    [Fact]
    public async Task Healthz_IsOk_WhileTheStoreAnswers_And503WhenItIsGone()
    {
        var database = await TestPostgres.CreateDatabaseAsync("health");
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database.ConnectionString));
        using var anonymous = gateway.Client();
        var ok = await anonymous.GetJsonAsync("healthz");
        Assert.Equal("ok", ok.Str("status"));
        Assert.Equal("postgres", ok.Str("store"));

        await database.DisposeAsync(); // drops the store's database, killing its connections
        NpgsqlConnection.ClearAllPools();
        var down = await anonymous.GetJsonAsync("healthz", HttpStatusCode.ServiceUnavailable);
        Assert.Equal("store-unreachable", down.Rule());
    }

    [Fact]
    public async Task TheHost_WatchesNoConfigurationFile_UnderItsWorkingDirectory()
    {
        // A reloadable appsettings.json (the host's default) meant a recursive watcher on the
        // working directory, which holds the data dir and the logs: each write woke a thread.
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        var configuration = (IConfigurationRoot)gateway.Services.GetRequiredService<IConfiguration>();
        var files = configuration.Providers.OfType<FileConfigurationProvider>().ToList();
        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.False(file.Source.ReloadOnChange, file.Source.Path));
    }

    [Fact]
    public async Task Metrics_CountRequestEventsGrantsAndWebhooks()
    {
        await using var receiver = await RecordingHttpServer.StartAsync();
        var policy = TestPolicies.Build(webhooks: $$"""
            webhooks:
              - url: {{receiver.BaseAddress}}
                secret: metrics-secret-0123456789
                events: [request.*]
            """);
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { PolicyYaml = policy });
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var id = (await alice.RequestAsync("demo", "1h", "x")).Str("id");
        await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        await receiver.WaitForAsync(r => r.BodyText.Contains("request.approved", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        await Task.Delay(300);

        using var anonymous = gateway.Client();
        var metrics = await anonymous.GetStringAsync("metrics");
        Assert.Contains("appliance_request_events_total{type=\"request.created\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("appliance_request_events_total{type=\"request.approved\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("appliance_grants_active 1", metrics, StringComparison.Ordinal);
        Assert.Contains("appliance_webhook_deliveries_total{outcome=\"delivered\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("http_requests_received_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_ActiveGrants_AreThoseOfTheScrapedGateway()
    {
        // Several gateways in one process (as in tests), each with its own grants: before, each
        // scrape ran every gateway's count and whichever finished last answered for all.
        await using var other = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var oliveOnOther = other.Client(await other.CreateTokenAsync(Olive));
        for (var i = 0; i < 3; i++)
        {
            await oliveOnOther.RequestAsync("demo", "1h", "on call");
        }

        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var olive = gateway.Client(await gateway.CreateTokenAsync(Olive));
        Assert.Equal("active", (await olive.RequestAsync("demo", "1h", "on call")).Str("status"));

        using var anonymous = gateway.Client();
        Assert.Contains("appliance_grants_active 1\n", await anonymous.GetStringAsync("metrics"), StringComparison.Ordinal);
        using var otherAnonymous = other.Client();
        Assert.Contains("appliance_grants_active 3\n", await otherAnonymous.GetStringAsync("metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_StillGoToSeq_AfterAnotherGatewayInTheProcessStopped()
    {
        // Gateways start and stop side by side in one process, as tests run them: the one started
        // first stops while the later one keeps running.
        var other = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        await using var seq = await RecordingHttpServer.StartAsync();
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { SeqUrl = seq.BaseAddress.ToString() });
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));

        // Before, both shared the static Log.Logger, and stopping the other one closed it: Seq heard nothing more.
        await other.DisposeAsync();
        var id = (await alice.RequestAsync("demo", "1h", "x")).Str("id");
        var batch = await seq.WaitForAsync(r => r.BodyText.Contains(id, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains("\"RequestCreated\"", batch.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_GoToSeq_WhenSeqUrlIsSet()
    {
        await using var seq = await RecordingHttpServer.StartAsync();
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { SeqUrl = seq.BaseAddress.ToString() });

        // The store-ready line is logged at start; Serilog's Seq sink posts CLEF to the ingestion endpoint.
        var batch = await seq.WaitForAsync(r => r.BodyText.Contains("is ready", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.Equal("POST", batch.Method);
        // Seq's raw ingestion endpoint, with compact log event format (CLEF) bodies.
        Assert.StartsWith("/api/events/raw", batch.Path, StringComparison.Ordinal);
        Assert.StartsWith("application/vnd.serilog.clef", batch.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Contains("\"Application\":\"appliance-gateway\"", batch.BodyText, StringComparison.Ordinal);
        Assert.Contains("\"@mt\":", batch.BodyText, StringComparison.Ordinal);
    }
}
