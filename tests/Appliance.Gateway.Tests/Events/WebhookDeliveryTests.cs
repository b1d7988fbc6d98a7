using System.Net;
using System.Net.Sockets;
using Appliance.Gateway.Events;
using Appliance.Gateway.Store;
using Appliance.Gateway.Tests.Store;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Appliance.Tests.Common.Http;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Events;

/// <summary>The outbox: signed, retried with backoff, surviving restarts, logged when it gives up.</summary>
public sealed class WebhookDeliveryTests
{
    private const string Secret = "whsec-delivery-0123456789";

    private static string Policy(Uri url, string events = "[request.*]") => TestPolicies.Build(webhooks: $$"""
        webhooks:
          - url: {{url}}
            secret: {{Secret}}
            events: {{events}}
        """);

    [Fact]
    public async Task FailingReceiver_IsRetriedWithBackoff_UntilItAccepts()
    {
        await using var receiver = await RecordingHttpServer.StartAsync();
        receiver.FailuresLeft = 2;
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { PolicyYaml = Policy(receiver.BaseAddress) });
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        var request = await alice.RequestAsync("demo", "1h", "x");

        await WaitUntilAsync(() => receiver.Requests.Count >= 3, TimeSpan.FromSeconds(15));
        var attempts = receiver.Requests.Where(r => r.BodyText.Contains(request.Str("id"), StringComparison.Ordinal)).ToList();
        Assert.Equal(3, attempts.Count);
        // Every attempt carries the same event id (receivers de-duplicate by it) and a valid signature.
        Assert.Single(attempts.Select(a => a.Headers["X-Appliance-Event-Id"]).Distinct());
        Assert.All(attempts, a => Assert.True(Signatures.IsValid(a.Headers["X-Appliance-Signature"], Secret, a.Body, TimeSpan.FromMinutes(5))));
        // Backoff: no attempt comes before its wait (base 200 ms, doubling). Lower bounds only: a busy
        // machine makes every wait longer, so comparing the two waits with each other was flaky.
        var gaps = attempts.Zip(attempts.Skip(1), (x, y) => y.At - x.At).ToList();
        Assert.True(gaps[0] >= TimeSpan.FromMilliseconds(200), $"first wait {gaps[0].TotalMilliseconds} ms");
        Assert.True(gaps[1] >= TimeSpan.FromMilliseconds(400), $"second wait {gaps[1].TotalMilliseconds} ms");

        // The receiver has the third request before the dispatcher writes down that it was taken.
        await using var connection = await gateway.Service<StoreDatabase>().OpenAsync();
        (string Status, long Attempts) row = default;
        await WaitUntilAsync(
            async () =>
            {
                row = await connection.QuerySingleAsync<(string Status, long Attempts)>(
                    "SELECT status, attempts FROM deliveries WHERE event_id = @id", new { id = attempts[0].Headers["X-Appliance-Event-Id"] });
                return row.Status != "pending";
            },
            TimeSpan.FromSeconds(15));
        Assert.Equal(("delivered", 3L), row);
    }

    [Fact]
    public async Task RedirectingReceiver_IsNotFollowed_AndSecretsInTheUrlStayOutOfTheLogs()
    {
        await using var elsewhere = await RecordingHttpServer.StartAsync();
        await using var receiver = await RecordingHttpServer.StartAsync();
        receiver.RedirectTo = elsewhere.BaseAddress;
        var url = new Uri(receiver.BaseAddress, "hook?token=SUPERSECRET123");
        var options = TestGatewayOptions.InTempDir() with { PolicyYaml = Policy(url) };
        await using var gateway = await TestGateway.StartAsync(options);
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        await alice.RequestAsync("demo", "1h", "x");

        await WaitUntilAsync(() => options.Logs.Entries.Any(e => e.EventId.Id == 3002), TimeSpan.FromSeconds(10));
        var retry = options.Logs.Entries.First(e => e.EventId.Id == 3002);
        Assert.Contains("HTTP 307", retry.Message, StringComparison.Ordinal);
        Assert.Contains($"{receiver.BaseAddress.Host}:{receiver.BaseAddress.Port}/hook?…", retry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(options.Logs.Entries, e => e.Message.Contains("SUPERSECRET123", StringComparison.Ordinal));
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task PendingDeliveries_SurviveARestart()
    {
        // Take a free port, then leave it closed: the receiver is "down" while the first gateway runs.
        int port;
        await using (var probe = await RecordingHttpServer.StartAsync())
        {
            port = probe.BaseAddress.Port;
        }

        var url = new Uri($"http://127.0.0.1:{port}/");
        var options = TestGatewayOptions.InTempDir() with { PolicyYaml = Policy(url), WebhookBackoff = "00:00:00.500" };
        string id;
        await using (var first = await TestGateway.StartAsync(options))
        {
            using var alice = first.Client(await first.CreateTokenAsync(Alice));
            id = (await alice.RequestAsync("demo", "1h", "x")).Str("id");
            await Task.Delay(700);
        }

        await using var receiver = await RecordingHttpServer.StartAsync(port);
        await using var second = await TestGateway.StartAsync(options);
        var delivered = await receiver.WaitForAsync(r => r.BodyText.Contains(id, StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.Contains("\"request.created\"", delivered.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delivery_ThatKeepsFailing_IsMarkedFailed_AndLogged()
    {
        await using var receiver = await RecordingHttpServer.StartAsync();
        receiver.FailuresLeft = int.MaxValue;
        var options = TestGatewayOptions.InTempDir() with
        {
            PolicyYaml = Policy(receiver.BaseAddress),
            Settings = new Dictionary<string, string?> { ["APPLIANCE_WEBHOOK_MAX_ATTEMPTS"] = "3" },
        };
        await using var gateway = await TestGateway.StartAsync(options);
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        await alice.RequestAsync("demo", "1h", "x");

        await WaitUntilAsync(() => options.Logs.Entries.Any(e => e.EventId.Id == 3003), TimeSpan.FromSeconds(15));
        var gaveUp = options.Logs.Entries.First(e => e.EventId.Id == 3003);
        Assert.Equal(LogLevel.Error, gaveUp.Level);
        Assert.Contains("503", gaveUp.Message, StringComparison.Ordinal);
        Assert.Equal(3, receiver.Requests.Count);

        await using var connection = await gateway.Service<StoreDatabase>().OpenAsync();
        Assert.Equal("failed", await connection.QuerySingleAsync<string>("SELECT status FROM deliveries"));
    }

    [Fact]
    public async Task WebhookFilter_SendsOnlyTheSubscribedTypes()
    {
        await using var receiver = await RecordingHttpServer.StartAsync();
        await using var gateway = await TestGateway.StartAsync(
            TestGatewayOptions.InTempDir() with { PolicyYaml = Policy(receiver.BaseAddress, "[grant.revoked]") });
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var id = (await alice.RequestAsync("demo", "1h", "x")).Str("id");
        await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        await alice.PostAsync($"api/requests/{id}/revoke", null, HttpStatusCode.OK);

        var revoked = await receiver.WaitForAsync(r => r.BodyText.Contains("\"grant.revoked\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains(id, revoked.BodyText, StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task TwoWebhookEntries_WithOneUrl_LetStateChangesThrough_AndDeliverEachEventOnce()
    {
        await using var receiver = await RecordingHttpServer.StartAsync();
        var policy = TestPolicies.Build(webhooks: $$"""
            webhooks:
              - url: {{receiver.BaseAddress}}
                secret: {{Secret}}
                events: [request.*, grant.*]
              - url: {{receiver.BaseAddress}}
                secret: another-secret-0123456789
                events: [grant.*]
            """);
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { PolicyYaml = policy });
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var id = (await alice.RequestAsync("demo", "1h", "x")).Str("id");
        await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);

        // Before, the second entry's duplicate delivery row failed the transaction: no grant could be revoked or expire.
        var revoked = await alice.PostAsync($"api/requests/{id}/revoke", null, HttpStatusCode.OK);
        Assert.Equal("revoked", revoked.Str("status"));

        var hook = await receiver.WaitForAsync(r => r.BodyText.Contains("\"grant.revoked\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.True(Signatures.IsValid(hook.Headers["X-Appliance-Signature"], Secret, hook.Body, TimeSpan.FromMinutes(5)));
        await Task.Delay(500);
        Assert.Single(receiver.Requests, r => r.BodyText.Contains("\"grant.revoked\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HangingReceiver_DoesNotHoldUpAnotherTargetsEvents()
    {
        using var hanging = new HangingReceiver();
        await using var receiver = await RecordingHttpServer.StartAsync();
        var policy = TestPolicies.Build(webhooks: $$"""
            webhooks:
              - url: {{hanging.Url}}
                secret: {{Secret}}
                events: [request.*]
              - url: {{receiver.BaseAddress}}
                secret: {{Secret}}
                events: [request.*]
            """);
        await using var gateway = await TestGateway.StartAsync(
            TestGatewayOptions.InTempDir() with { PolicyYaml = policy, WebhookBackoff = "00:00:30" });
        var timeout = TimeSpan.FromSeconds(2);
        gateway.Service<IOptions<WebhookOptions>>().Value.Timeout = timeout;
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));

        // Several events queue up for the hanging receiver while the dispatcher waits on the first.
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add((await alice.RequestAsync("demo", "1h", "queued")).Str("id"));
        }

        await receiver.WaitForAsync(r => r.BodyText.Contains(ids[^1], StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        var marker = (await alice.RequestAsync("demo", "1h", "marker")).Str("id");
        var created = DateTimeOffset.UtcNow;

        // Before, each queued event waited out its own timeout first (about 6 x 2 s).
        var delivered = await receiver.WaitForAsync(r => r.BodyText.Contains(marker, StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.True(delivered.At - created < 2.5 * timeout, $"the marker arrived {(delivered.At - created).TotalSeconds:0.0} s after it was created");
    }

    [Fact]
    public async Task GivingUp_IsLoggedWithTheEventsId()
    {
        await using var seq = await RecordingHttpServer.StartAsync();
        await using var receiver = await RecordingHttpServer.StartAsync();
        receiver.FailuresLeft = int.MaxValue;
        var options = TestGatewayOptions.InTempDir() with
        {
            PolicyYaml = Policy(receiver.BaseAddress),
            SeqUrl = seq.BaseAddress.ToString(),
            Settings = new Dictionary<string, string?> { ["APPLIANCE_WEBHOOK_MAX_ATTEMPTS"] = "1" },
        };
        await using var gateway = await TestGateway.StartAsync(options);
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        await alice.RequestAsync("demo", "1h", "x");
        var eventId = (await receiver.WaitForAsync(_ => true, TimeSpan.FromSeconds(10))).Headers["X-Appliance-Event-Id"];

        // Serilog gives a property named EventId the log entry's own id (3003), which hid the event's.
        var batch = await seq.WaitForAsync(r => r.BodyText.Contains("Gave up delivering", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        var line = batch.BodyText.Split('\n').First(l => l.Contains("Gave up delivering", StringComparison.Ordinal));
        Assert.Contains(eventId, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoreOutage_DoesNotStopTheGateway_AndDeliveryResumes()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("outage");
        await using var receiver = await RecordingHttpServer.StartAsync();
        await using var gateway = await TestGateway.StartAsync(
            TestGatewayOptions.InTempDir(database.ConnectionString) with { PolicyYaml = Policy(receiver.BaseAddress) });
        var lifetime = gateway.Service<IHostApplicationLifetime>();
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));

        await using (await StoreOutage.BeginAsync(database))
        {
            // Before, the dispatcher's first failed look at the outbox ended it, and the host with it.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the gateway stopped during a store outage");
        }

        var id = (await alice.RequestAsync("demo", "1h", "after the outage")).Str("id");
        await receiver.WaitForAsync(r => r.BodyText.Contains(id, StringComparison.Ordinal), TimeSpan.FromSeconds(15));
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout) => WaitUntilAsync(() => Task.FromResult(condition()), timeout);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }

    /// <summary>A webhook receiver that accepts connections and never answers, like a hung service behind a load balancer.</summary>
    private sealed class HangingReceiver : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<TcpClient> _held = [];

        public HangingReceiver()
        {
            _listener.Start();
            Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hang");
            _ = HoldAsync();
        }

        public Uri Url { get; }

        private async Task HoldAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync();
                    lock (_held)
                    {
                        _held.Add(client);
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            lock (_held)
            {
                _held.ForEach(c => c.Dispose());
            }
        }
    }
}
