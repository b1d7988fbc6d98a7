using System.Net;
using System.Text.Json;
using Appliance.Gateway.Access;
using Appliance.Gateway.Store;
using Appliance.Gateway.Tests.Store;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Appliance.Tests.Common.Http;
using Dapper;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Access;

/// <summary>Grants end on time: with Quartz, after restarts, and with two gateways on one store.</summary>
public sealed class ExpiryTests
{
    private const string WebhookSecret = "whsec-test-0123456789";

    private static string PolicyWithWebhook(Uri receiver) => TestPolicies.Build(webhooks: $$"""
        webhooks:
          - url: {{receiver}}hook
            secret: {{WebhookSecret}}
            events: [grant.*, request.*]
        """);

    [Fact]
    public async Task ShortGrant_ExpiresOnTime_AndTheWebhookGetsASignedGrantExpired()
    {
        await using var receiver = await RecordingHttpServer.StartAsync();
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { PolicyYaml = PolicyWithWebhook(receiver.BaseAddress) });
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));

        var request = await alice.RequestAsync("demo", "3s", "quick look");
        var grant = await bob.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.OK);
        var expiresAt = grant.Time("expiresAt");

        var hook = await receiver.WaitForAsync(r => r.BodyText.Contains("\"grant.expired\"", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.True(hook.At - expiresAt < TimeSpan.FromSeconds(1.5), $"grant.expired arrived {(hook.At - expiresAt).TotalMilliseconds} ms after expiresAt");
        Assert.True(Signatures.IsValid(hook.Headers["X-Appliance-Signature"], WebhookSecret, hook.Body, TimeSpan.FromMinutes(5)));

        using var json = JsonDocument.Parse(hook.Body);
        var root = json.RootElement;
        Assert.Equal("grant.expired", root.Str("type"));
        Assert.StartsWith("evt_", root.Str("id"), StringComparison.Ordinal);
        var data = root.GetProperty("data").GetProperty("request");
        Assert.Equal(request.Str("id"), data.Str("id"));
        Assert.Equal("expired", data.Str("status"));
        Assert.True(data.Time("endedAt") - expiresAt < TimeSpan.FromSeconds(1), "the grant ended more than a second late");

        var stored = await alice.GetJsonAsync($"api/requests/{request.Str("id")}");
        Assert.Equal("expired", stored.Str("status"));
        Assert.False(Signatures.IsValid(hook.Headers["X-Appliance-Signature"], "wrong-secret", hook.Body, TimeSpan.FromMinutes(5)));
    }

    /// <summary>A grant of ten minutes or less is warned halfway through, not never (probe AQ).</summary>
    [Fact]
    public async Task ShortGrant_IsWarnedHalfwayThrough_BeforeItExpires()
    {
        await using var receiver = await RecordingHttpServer.StartAsync();
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { PolicyYaml = PolicyWithWebhook(receiver.BaseAddress) });
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));

        var request = await alice.RequestAsync("demo", "4s", "quick look");
        var grant = await bob.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.OK);
        var activatedAt = grant.Time("activatedAt");
        var expiresAt = grant.Time("expiresAt");

        var warning = await receiver.WaitForAsync(r => r.BodyText.Contains("\"grant.expiring\"", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.InRange(warning.At, activatedAt + TimeSpan.FromSeconds(1.5), expiresAt);
        using var json = JsonDocument.Parse(warning.Body);
        Assert.Equal(request.Str("id"), json.RootElement.GetProperty("data").GetProperty("request").Str("id"));

        await receiver.WaitForAsync(r => r.BodyText.Contains("\"grant.expired\"", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.Single(receiver.Requests, r => r.BodyText.Contains("\"grant.expiring\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PendingRequest_NobodyDecides_ExpiresAfterThePendingTimeout()
    {
        var policy = TestPolicies.Build().Replace("      channel: db-access", "      channel: db-access\n      pendingTimeout: 2s", StringComparison.Ordinal);
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { PolicyYaml = policy });
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        var request = await alice.RequestAsync("demo", "1h", "x");
        Assert.Equal(request.Time("createdAt") + TimeSpan.FromSeconds(2), request.Time("pendingUntil"));

        var state = await WaitForStatusAsync(alice, request.Str("id"), "expired", TimeSpan.FromSeconds(10));
        Assert.Equal(JsonValueKind.Null, state.GetProperty("activatedAt").ValueKind);
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var late = await bob.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.Conflict);
        Assert.Equal("invalid-state", late.Rule());
    }

    [Fact]
    public async Task Restart_ExpiresWhatCameDueWhileDown_AndSchedulesTheRest()
    {
        var options = TestGatewayOptions.InTempDir();
        string dueWhileDown, dueAfterRestart;
        DateTimeOffset laterExpiresAt;
        string aliceToken;
        await using (var first = await TestGateway.StartAsync(options))
        {
            aliceToken = await first.CreateTokenAsync(Alice);
            using var alice = first.Client(aliceToken);
            using var bob = first.Client(await first.CreateTokenAsync(Bob));
            dueWhileDown = (await alice.RequestAsync("demo", "2s", "x")).Str("id");
            dueAfterRestart = (await alice.RequestAsync("demo", "8s", "x")).Str("id");
            await bob.PostAsync($"api/requests/{dueWhileDown}/approve", null, HttpStatusCode.OK);
            laterExpiresAt = (await bob.PostAsync($"api/requests/{dueAfterRestart}/approve", null, HttpStatusCode.OK)).Time("expiresAt");
        }

        await Task.Delay(3000); // the first grant's expiry passes while no gateway runs
        await using var second = await TestGateway.StartAsync(options with { ConfigPath = null });
        using var alice2 = second.Client(aliceToken);
        var ended = await WaitForStatusAsync(alice2, dueWhileDown, "expired", TimeSpan.FromSeconds(5));
        Assert.Equal("expired", ended.Str("endReason"));
        Assert.Equal("active", (await alice2.GetJsonAsync($"api/requests/{dueAfterRestart}")).Str("status"));

        var later = await WaitForStatusAsync(alice2, dueAfterRestart, "expired", TimeSpan.FromSeconds(15));
        Assert.True(later.Time("endedAt") - laterExpiresAt < TimeSpan.FromSeconds(1), $"ended {(later.Time("endedAt") - laterExpiresAt).TotalMilliseconds} ms late");
    }

    [Fact]
    public async Task TwoGatewaysOnOnePostgres_ExpireAGrantOnce()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("expiry");
        await using var receiver = await RecordingHttpServer.StartAsync();
        var policy = PolicyWithWebhook(receiver.BaseAddress);
        await using var a = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database.ConnectionString) with { PolicyYaml = policy });
        await using var b = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database.ConnectionString) with { PolicyYaml = policy });
        using var alice = a.Client(await a.CreateTokenAsync(Alice));
        using var bobOnB = b.Client(await b.CreateTokenAsync(Bob));

        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var request = await alice.RequestAsync("demo", "3s", "x");
            await bobOnB.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.OK);
            ids.Add(request.Str("id"));
        }

        foreach (var id in ids)
        {
            await WaitForStatusAsync(alice, id, "expired", TimeSpan.FromSeconds(10));
        }

        await Task.Delay(2000); // give a second, duplicate expiry every chance to happen
        await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
        foreach (var id in ids)
        {
            var count = await connection.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM events WHERE type = 'grant.expired' AND request_id = @id", new { id });
            Assert.Equal(1, count);
        }

        var delivered = receiver.Requests.Count(r => r.BodyText.Contains("\"grant.expired\"", StringComparison.Ordinal));
        Assert.Equal(ids.Count, delivered);
    }

    [Fact]
    public async Task OlderVersion_AnnouncedAfterANewerOne_DoesNotPostponeTheExpiry()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var id = (await alice.RequestAsync("demo", "2s", "x")).Str("id");
        var pending = await gateway.Service<AccessService>().GetAsync(id, CancellationToken.None);
        var grant = await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        await Task.Delay(300);

        // Two commits back to back can be announced in the other order: the request's creation
        // (version 1, due at its pending timeout in an hour) reaches the listeners after its approval.
        gateway.Service<RequestChanges>().Publish(pending!);

        var ended = await WaitForStatusAsync(alice, id, "expired", TimeSpan.FromSeconds(10));
        Assert.True(ended.Time("endedAt") - grant.Time("expiresAt") < TimeSpan.FromSeconds(1),
            $"ended {(ended.Time("endedAt") - grant.Time("expiresAt")).TotalMilliseconds} ms late");
    }

    [Fact]
    public async Task StoreUnreachable_AtExpiresAt_TheGrantStillEnds_OnceItIsBack()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("expiry");
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database.ConnectionString));
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var id = (await alice.RequestAsync("demo", "3s", "x")).Str("id");
        var expiresAt = (await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK)).Time("expiresAt");

        await using (await StoreOutage.BeginAsync(database))
        {
            // The expiry job fires while the store refuses connections. Before, it failed once and
            // was never run again: the grant stayed active until the next restart.
            var outageEnd = expiresAt + TimeSpan.FromSeconds(1.5) - DateTimeOffset.UtcNow;
            await Task.Delay(outageEnd > TimeSpan.Zero ? outageEnd : TimeSpan.Zero);
        }

        var ended = await WaitForStatusAsync(alice, id, "expired", TimeSpan.FromSeconds(10));
        Assert.Equal("expired", ended.Str("endReason"));
    }

    internal static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string id, string status, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var current = await client.GetJsonAsync($"api/requests/{id}");
            if (current.Str("status") == status)
            {
                return current;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"request {id} is still {current.Str("status")}, expected {status}");
            await Task.Delay(100);
        }
    }
}
