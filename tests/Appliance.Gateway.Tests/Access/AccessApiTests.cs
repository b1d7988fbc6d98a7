using System.Text.Json;
using System.Net;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common.Gateway;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Access;

/// <summary>The request and grant rules of product.md §5, through the HTTP API of a real gateway (embedded store).</summary>
public sealed class AccessApiTests : IAsyncLifetime
{
    private TestGateway _gateway = null!;
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;
    private HttpClient _carol = null!;
    private HttpClient _dave = null!;

    public async Task InitializeAsync()
    {
        _gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        _alice = _gateway.Client(await _gateway.CreateTokenAsync(Alice));
        _bob = _gateway.Client(await _gateway.CreateTokenAsync(Bob));
        _carol = _gateway.Client(await _gateway.CreateTokenAsync(Carol));
        _dave = _gateway.Client(await _gateway.CreateTokenAsync(Dave));
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Request_ThenApproveByAnotherApprover_ActivatesWithClockFromApproval()
    {
        var created = await _alice.RequestAsync("demo", "1h", "investigating order 4411");
        Assert.Equal("pending", created.Str("status"));
        Assert.Equal("1h", created.Str("duration"));
        Assert.Equal(JsonValueKind.Null, created.GetProperty("expiresAt").ValueKind);

        await Task.Delay(1100); // so that "from approval" and "from request" differ measurably
        var approved = await _bob.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.OK);

        Assert.Equal("active", approved.Str("status"));
        var activatedAt = approved.Time("activatedAt");
        Assert.True(activatedAt - created.Time("createdAt") >= TimeSpan.FromSeconds(1));
        Assert.Equal(activatedAt + TimeSpan.FromHours(1), approved.Time("expiresAt"));
        Assert.Equal(Bob, approved.GetProperty("approvals")[0].Str("by"));
    }

    /// <summary>A credential pasted into a reason or a comment is kept cut to its prefix: approvers, the API and the audit chain read them (probe CU2).</summary>
    [Fact]
    public async Task ACredentialInAReasonOrAComment_IsKeptCut()
    {
        var token = await _gateway.CreateTokenAsync(Alice);
        var created = await _alice.RequestAsync("demo", "1h", $"order 4411, my token is {token}");
        var approved = await _bob.PostAsync($"api/requests/{created.Str("id")}/approve", new { comment = $"ok; use xapt_{token[4..]}" }, HttpStatusCode.OK);

        var read = await _alice.GetJsonAsync($"api/requests/{created.Str("id")}");

        Assert.Equal("order 4411, my token is apt_****", created.Str("reason"));
        Assert.Equal("order 4411, my token is apt_****", read.Str("reason"));
        Assert.Equal("ok; use xapt_****", approved.GetProperty("approvals")[0].Str("comment"));
        Assert.DoesNotContain(token[4..], read.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_BySameUser_IsRejected()
    {
        var created = await _alice.RequestAsync("demo", "1h", "reason");
        var problem = await _alice.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.Forbidden);
        Assert.Equal("self-approval", problem.Rule());
        var unchanged = await _alice.GetJsonAsync($"api/requests/{created.Str("id")}");
        Assert.Equal("pending", unchanged.Str("status"));
        Assert.Equal(0, unchanged.GetProperty("approvals").GetArrayLength());
    }

    [Fact]
    public async Task Approve_ByNonApprover_IsRejected()
    {
        var created = await _alice.RequestAsync("demo", "1h", "reason");
        // An auditor sees every request but approves none.
        using var auditor = _gateway.Client(await _gateway.CreateTokenAsync(Auditor));
        var problem = await auditor.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.Forbidden);
        Assert.Equal("not-approver", problem.Rule());
        // Someone who may not even see it learns nothing.
        var hidden = await _dave.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.NotFound);
        Assert.Equal("not-found", hidden.Rule());
        Assert.Equal("pending", (await _alice.GetJsonAsync($"api/requests/{created.Str("id")}")).Str("status"));
    }

    [Fact]
    public async Task Request_WithoutRequiredReason_IsRejected()
    {
        var problem = await _alice.PostAsync("api/requests", new { connection = "demo", duration = "1h" }, HttpStatusCode.BadRequest);
        Assert.Equal("reason-required", problem.Rule());
    }

    [Fact]
    public async Task Request_UnknownConnection_Is404()
    {
        var problem = await _alice.PostAsync("api/requests", new { connection = "nope", duration = "1h", reason = "x" }, HttpStatusCode.NotFound);
        Assert.Equal("unknown-connection", problem.Rule());
    }

    [Fact]
    public async Task Request_OverMaxDuration_StatesTheMax()
    {
        var problem = await _alice.PostAsync("api/requests", new { connection = "demo", duration = "5h", reason = "x" }, HttpStatusCode.BadRequest);
        Assert.Equal("max-duration", problem.Rule());
        Assert.Contains("4h", problem.Str("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_BadDuration_IsRejected()
    {
        var problem = await _alice.PostAsync("api/requests", new { connection = "demo", duration = "soon", reason = "x" }, HttpStatusCode.BadRequest);
        Assert.Equal("bad-duration", problem.Rule());
    }

    [Fact]
    public async Task Request_WithoutDuration_GetsTheDefault()
    {
        var created = await _alice.RequestAsync("demo", null, "x");
        Assert.Equal("1h", created.Str("duration"));
    }

    [Fact]
    public async Task Request_ByNonRequester_IsRejected()
    {
        var problem = await _bob.PostAsync("api/requests", new { connection = "demo", duration = "1h", reason = "x" }, HttpStatusCode.Forbidden);
        Assert.Equal("not-requester", problem.Rule());
    }

    [Fact]
    public async Task AutoApproveGroup_IsActiveAtOnce_WithTheCapStillApplied()
    {
        using var olive = _gateway.Client(await _gateway.CreateTokenAsync(Olive));
        var created = await olive.RequestAsync("demo", "2h", "paged at 3am");
        Assert.Equal("active", created.Str("status"));
        Assert.Equal(created.Time("activatedAt") + TimeSpan.FromHours(2), created.Time("expiresAt"));

        var tooLong = await olive.PostAsync("api/requests", new { connection = "demo", duration = "8h", reason = "x" }, HttpStatusCode.BadRequest);
        Assert.Equal("max-duration", tooLong.Rule());
    }

    [Fact]
    public async Task TwoApprovals_ArePartialUntilADistinctSecondApprover()
    {
        var created = await _alice.RequestAsync("prod2", "30m", null);
        var id = created.Str("id");

        var first = await _carol.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        Assert.Equal("pending", first.Str("status"));
        Assert.Equal(1, first.GetProperty("approvals").GetArrayLength());

        // Carol is in both approver groups (dba, sre): she still counts once.
        var again = await _carol.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.Conflict);
        Assert.Equal("already-approved", again.Rule());

        var second = await _bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        Assert.Equal("active", second.Str("status"));
        Assert.Equal(2, second.GetProperty("approvals").GetArrayLength());
    }

    [Fact]
    public async Task Deny_WithReason_IsFinal()
    {
        var created = await _alice.RequestAsync("demo", "1h", "x");
        var denied = await _bob.PostAsync($"api/requests/{created.Str("id")}/deny", new { reason = "use the replica" }, HttpStatusCode.OK);
        Assert.Equal("denied", denied.Str("status"));
        Assert.Equal("use the replica", denied.Str("denyReason"));
        Assert.Equal(Bob, denied.Str("deniedBy"));

        var late = await _carol.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.Conflict);
        Assert.Equal("invalid-state", late.Rule());
    }

    [Fact]
    public async Task Cancel_ByRequester_WhilePending()
    {
        var created = await _alice.RequestAsync("demo", "1h", "x");
        var byOther = await _dave.PostAsync($"api/requests/{created.Str("id")}/cancel", null, HttpStatusCode.NotFound);
        Assert.Equal("not-found", byOther.Rule()); // dave cannot even see alice's request
        var cancelled = await _alice.PostAsync($"api/requests/{created.Str("id")}/cancel", null, HttpStatusCode.OK);
        Assert.Equal("cancelled", cancelled.Str("status"));
    }

    [Fact]
    public async Task Revoke_ByRequesterApproverOrAdmin_EndsTheGrant()
    {
        foreach (var revoker in new[] { _alice, _bob, _gateway.AdminClient() })
        {
            var created = await _alice.RequestAsync("demo", "1h", "x");
            await _bob.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.OK);
            var revoked = await revoker.PostAsync($"api/requests/{created.Str("id")}/revoke", new { reason = "finished" }, HttpStatusCode.OK);
            Assert.Equal("revoked", revoked.Str("status"));
            Assert.Equal("finished", revoked.Str("endReason"));
            Assert.NotEqual(JsonValueKind.Null, revoked.GetProperty("endedAt").ValueKind);
        }
    }

    [Fact]
    public async Task Revoke_ByUnrelatedUser_IsRejected()
    {
        var created = await _alice.RequestAsync("demo", "1h", "x");
        await _bob.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.OK);
        // Dave may not see it, so for him it does not exist.
        await _dave.PostAsync($"api/requests/{created.Str("id")}/revoke", null, HttpStatusCode.NotFound);
        Assert.Equal("active", (await _alice.GetJsonAsync($"api/requests/{created.Str("id")}")).Str("status"));
    }

    [Fact]
    public async Task Extend_ByApprover_IsImmediate_ByRequester_NeedsApproval()
    {
        var created = await _alice.RequestAsync("demo", "1h", "x");
        var active = await _bob.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.OK);
        var expiresAt = active.Time("expiresAt");

        var byBob = await _bob.PostAsync($"api/requests/{created.Str("id")}/extend", new { duration = "30m" }, HttpStatusCode.OK);
        Assert.Equal(expiresAt + TimeSpan.FromMinutes(30), byBob.Time("expiresAt"));

        var byAlice = await _alice.PostAsync($"api/requests/{created.Str("id")}/extend", new { duration = "1h", reason = "not done" }, HttpStatusCode.OK);
        Assert.Equal(byBob.Time("expiresAt"), byAlice.Time("expiresAt"));
        Assert.Equal("1h", byAlice.GetProperty("extension").Str("duration"));
        Assert.Equal("active", byAlice.Str("status"));

        var selfApproved = await _alice.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.Forbidden);
        Assert.Equal("self-approval", selfApproved.Rule());

        var extended = await _carol.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.OK);
        Assert.Equal(byBob.Time("expiresAt") + TimeSpan.FromHours(1), extended.Time("expiresAt"));
        Assert.Equal(JsonValueKind.Null, extended.GetProperty("extension").ValueKind);

        // The request itself keeps only its present state; its history says who did what.
        var history = (await _alice.GetJsonAsync($"api/requests/{created.Str("id")}/events")).EnumerateArray()
            .Select(e => (e.Str("type"), e.Str("actor"))).ToList();
        Assert.Equal(
            [("request.created", "alice@example.com"), ("request.approved", "bob@example.com"), ("grant.extended", "bob@example.com"),
             ("grant.extension_requested", "alice@example.com"), ("grant.extended", "carol@example.com")],
            history);

        // Each extension says which it was (probe DD: bob's own read as alice's approved).
        var reasons = (await _alice.GetJsonAsync($"api/requests/{created.Str("id")}/events")).EnumerateArray()
            .Where(e => e.Str("type") == "grant.extended").Select(e => e.GetProperty("data").Str("reason")).ToList();
        Assert.Equal(["extended by 30m", "extended by 1h, as alice@example.com asked"], reasons);
        await _dave.GetJsonAsync($"api/requests/{created.Str("id")}/events", HttpStatusCode.NotFound);
    }

    /// <summary>
    /// An admin who requested a grant cannot extend it on her own say: that would approve her own
    /// request (probe ED1: her one approval kept alive for ever, the maximum counted from now).
    /// Another admin's extension of it is immediate.
    /// </summary>
    [Fact]
    public async Task Extend_ByAnAdminOfHerOwnGrant_NeedsApproval()
    {
        var policy = TestPolicies.Build(extraConnections: """
              - name: ops
                type: postgres
                upstream: { host: 127.0.0.1, port: 5432, database: ops, user: demo_reader, password: secret }
                access: { requesters: [platform], approvers: [dba], maxDuration: 4h, reason: optional }
            """);
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { PolicyYaml = policy });
        using var root = gateway.Client(await gateway.CreateTokenAsync(Admin));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var id = (await root.RequestAsync("ops", "1m", "x")).Str("id");
        var active = await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);

        var asked = await root.PostAsync($"api/requests/{id}/extend", new { duration = "3h" }, HttpStatusCode.OK);

        Assert.Equal(active.Time("expiresAt"), asked.Time("expiresAt"));
        Assert.Equal("3h", asked.GetProperty("extension").Str("duration"));
        var selfApproved = await root.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.Forbidden);
        Assert.Equal("self-approval", selfApproved.Rule());
        var extended = await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        Assert.Equal(active.Time("expiresAt") + TimeSpan.FromHours(3), extended.Time("expiresAt"));
    }

    /// <summary>An extension still pending does not vanish unsaid: replaced by an approver's own, or lapsed with the grant (probe DD).</summary>
    [Fact]
    public async Task APendingExtension_ReplacedByAnotherOrLapsed_IsSaidInTheEvent()
    {
        var created = await _alice.RequestAsync("demo", "1h", "x");
        var id = created.Str("id");
        await _bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        await _alice.PostAsync($"api/requests/{id}/extend", new { duration = "1h", reason = "more" }, HttpStatusCode.OK);

        var extended = await _bob.PostAsync($"api/requests/{id}/extend", new { duration = "30m", reason = "the fix\nneeds a deploy" }, HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Null, extended.GetProperty("extension").ValueKind);
        var events = (await _alice.GetJsonAsync($"api/requests/{id}/events")).EnumerateArray().ToList();
        Assert.Equal(
            "extended by 30m (the fix needs a deploy); the pending extension of 1h asked by alice@example.com is replaced by it",
            events.Last(e => e.Str("type") == "grant.extended").GetProperty("data").Str("reason"));

        var brief = (await _alice.RequestAsync("demo", "2s", "x")).Str("id");
        await _bob.PostAsync($"api/requests/{brief}/approve", null, HttpStatusCode.OK);
        await _alice.PostAsync($"api/requests/{brief}/extend", new { duration = "1h", reason = "more" }, HttpStatusCode.OK);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await _alice.GetJsonAsync($"api/requests/{brief}")).Str("status") == "active" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var expired = (await _alice.GetJsonAsync($"api/requests/{brief}/events")).EnumerateArray().Single(e => e.Str("type") == "grant.expired");
        Assert.Equal("the pending extension of 1h asked by alice@example.com lapsed with the grant", expired.GetProperty("data").Str("reason"));
    }

    [Fact]
    public async Task Extend_NeedingTwoApprovals_ThePartialOneIsAnApprovalAdded_NotANewExtensionRequest()
    {
        var created = await _alice.RequestAsync("prod2", "30m", "x");
        var id = created.Str("id");
        await _bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        await _carol.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        await _alice.PostAsync($"api/requests/{id}/extend", new { duration = "30m" }, HttpStatusCode.OK);

        var partial = await _bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        Assert.Single(partial.GetProperty("extension").GetProperty("approvals").EnumerateArray());
        var extended = await _carol.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, extended.GetProperty("extension").ValueKind);

        await using var connection = await _gateway.Service<Appliance.Gateway.Store.StoreDatabase>().OpenAsync();
        var types = (await Dapper.SqlMapper.QueryAsync<string>(connection,
            "SELECT type FROM events WHERE request_id = @id ORDER BY seq", new { id })).ToList();
        Assert.Equal(
            ["request.created", "request.approval_added", "request.approved", "grant.extension_requested", "request.approval_added", "grant.extended"],
            types);
    }

    [Fact]
    public async Task Extend_BeyondTheMaximumFromNow_IsRejected()
    {
        var created = await _alice.RequestAsync("demo", "3h", "x");
        await _bob.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.OK);
        var problem = await _bob.PostAsync($"api/requests/{created.Str("id")}/extend", new { duration = "2h" }, HttpStatusCode.BadRequest);
        Assert.Equal("max-duration", problem.Rule());
        Assert.Contains("4h", problem.Str("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Visibility_RequesterApproverAndAuditor_SeeIt_OthersDoNot()
    {
        var created = await _alice.RequestAsync("demo", "1h", "x");
        var id = created.Str("id");
        await _bob.GetJsonAsync($"api/requests/{id}");
        using var auditor = _gateway.Client(await _gateway.CreateTokenAsync(Auditor));
        await auditor.GetJsonAsync($"api/requests/{id}");
        await _dave.GetJsonAsync($"api/requests/{id}", HttpStatusCode.NotFound);

        var mine = await _alice.GetJsonAsync("api/requests?status=pending");
        Assert.Contains(mine.EnumerateArray(), r => r.Str("id") == id);
        var daves = await _dave.GetJsonAsync("api/requests");
        Assert.DoesNotContain(daves.EnumerateArray(), r => r.Str("id") == id);
    }

    [Fact]
    public async Task Grants_ListsActiveGrants_AndCredentialsAreForTheRequesterOnly()
    {
        var created = await _alice.RequestAsync("demo", "1h", "x");
        var id = created.Str("id");
        await _alice.PostAsync($"api/grants/{id}/credentials", null, HttpStatusCode.Conflict); // not active yet
        await _bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);

        var grants = await _alice.GetJsonAsync("api/grants");
        Assert.Contains(grants.EnumerateArray(), g => g.Str("id") == id);

        var problem = await _bob.PostAsync($"api/grants/{id}/credentials", null, HttpStatusCode.Forbidden);
        Assert.Equal("forbidden", problem.Rule());
        var credentials = await _alice.PostAsync($"api/grants/{id}/credentials", null, HttpStatusCode.Created);
        Assert.Equal(Alice, credentials.Str("user"));
        Assert.Equal("demo", credentials.Str("database"));
        Assert.StartsWith("agc_", credentials.Str("password"), StringComparison.Ordinal);
        Assert.StartsWith("postgresql://alice%40example.com:", credentials.Str("uri"), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", credentials.ToString(), StringComparison.Ordinal); // the upstream password never leaves
    }

    /// <summary>Behind a port mapping (compose publishes the listener on another host port) credentials name the published port (probe BB).</summary>
    [Fact]
    public async Task Credentials_NameThePublishedPort_WhenOneIsSet()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with
        {
            Settings = new Dictionary<string, string?> { ["APPLIANCE_PG_PUBLIC_PORT"] = "25432" },
        });
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var id = (await alice.RequestAsync("demo", "1h", "x")).Str("id");
        await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);

        var credentials = await alice.PostAsync($"api/grants/{id}/credentials", null, HttpStatusCode.Created);

        Assert.Equal(25432, credentials.GetProperty("port").GetInt32());
        Assert.Contains("@localhost:25432/demo?", credentials.Str("uri"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedIdsAndBodies_GetClearErrors()
    {
        var notFound = await _bob.PostAsync("api/requests/../../x/approve", null, HttpStatusCode.NotFound);
        Assert.NotEqual(JsonValueKind.Undefined, notFound.ValueKind);
        using var content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        using var response = await _alice.PostAsync("api/requests", content);
        var problem = await Api.ExpectAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("bad-json", problem.Rule());
    }
}
