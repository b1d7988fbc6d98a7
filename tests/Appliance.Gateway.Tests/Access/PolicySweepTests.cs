using System.Net;
using Appliance.Gateway.Configuration;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common.Gateway;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Access;

/// <summary>An edit of the policy that takes access away ends the access it took away.</summary>
public sealed class PolicySweepTests
{
    private static async Task ReplacePolicyAsync(TestGateway gateway, string yaml, Func<Policy.Configuration.AppliancePolicy, bool> loaded)
    {
        await File.WriteAllTextAsync(gateway.Options.ConfigPath!, yaml);
        var provider = gateway.Service<IPolicyProvider>();
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(15);
        while (!loaded(provider.Current))
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "the edited policy was not reloaded");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task RemovingAConnection_RevokesItsGrants_AndCancelsItsPendingRequests()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        using var carol = gateway.Client(await gateway.CreateTokenAsync(Carol));
        var pending = (await alice.RequestAsync("prod2", "30m", null)).Str("id");
        var active = (await alice.RequestAsync("prod2", "30m", null)).Str("id");
        await carol.PostAsync($"api/requests/{active}/approve", null, HttpStatusCode.OK);
        await bob.PostAsync($"api/requests/{active}/approve", null, HttpStatusCode.OK);
        var untouched = (await alice.RequestAsync("demo", "1h", "x")).Str("id");

        var policy = TestPolicies.Default;
        await ReplacePolicyAsync(gateway, policy[..policy.IndexOf("  - name: prod2", StringComparison.Ordinal)],
            p => p.FindConnection("prod2") is null);

        var revoked = await ExpiryTests.WaitForStatusAsync(alice, active, "revoked", TimeSpan.FromSeconds(10));
        Assert.Contains("prod2 was removed", revoked.Str("endReason"), StringComparison.Ordinal);
        Assert.Equal("system", revoked.Str("endedBy"));
        await ExpiryTests.WaitForStatusAsync(alice, pending, "cancelled", TimeSpan.FromSeconds(10));
        Assert.Equal("pending", (await alice.GetJsonAsync($"api/requests/{untouched}")).Str("status"));
    }

    [Fact]
    public async Task RaisingMinApprovals_AppliesToPendingRequests()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        using var carol = gateway.Client(await gateway.CreateTokenAsync(Carol));
        var id = (await alice.RequestAsync("demo", "1h", "x")).Str("id");

        var policy = TestPolicies.Default;
        var at = policy.IndexOf("minApprovals: 1", policy.IndexOf("- name: demo", StringComparison.Ordinal), StringComparison.Ordinal);
        var stricter = policy[..at] + "minApprovals: 2" + policy[(at + "minApprovals: 1".Length)..];
        Assert.NotEqual(TestPolicies.Default, stricter);
        await ReplacePolicyAsync(gateway, stricter, p => p.FindConnection("demo")!.Access.MinApprovals == 2);
        var approved = await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        var waiting = await alice.GetJsonAsync($"api/requests/{id}");
        Assert.Equal("pending", waiting.Str("status"));
        // What it waits for is shown as it applies: 1 of 2 (probe HB1: the API, the event and the card said 1 of 1).
        Assert.Equal(2, approved.GetProperty("minApprovals").GetInt32());
        Assert.Equal(2, waiting.GetProperty("minApprovals").GetInt32());
        await carol.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);

        Assert.Equal("active", (await alice.GetJsonAsync($"api/requests/{id}")).Str("status"));
        using var auditor = gateway.Client(await gateway.CreateTokenAsync("audrey@example.com"));
        var verify = await auditor.GetJsonAsync("api/audit/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
    }

    [Fact]
    public async Task RemovingAUser_EndsTheirGrant()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var id = (await alice.RequestAsync("demo", "1h", "x")).Str("id");
        await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);

        var withoutAlice = TestPolicies.Default.Replace(
            $"  - email: {Alice}\n    groups: [engineering]\n", "", StringComparison.Ordinal);
        Assert.NotEqual(TestPolicies.Default, withoutAlice);
        await ReplacePolicyAsync(gateway, withoutAlice, p => p.FindUser(Alice) is null);

        var ended = await ExpiryTests.WaitForStatusAsync(bob, id, "revoked", TimeSpan.FromSeconds(10));
        Assert.Contains("no longer a user", ended.Str("endReason"), StringComparison.Ordinal);
    }
}
