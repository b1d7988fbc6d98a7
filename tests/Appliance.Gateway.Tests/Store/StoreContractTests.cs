using Appliance.Gateway.Access;
using Appliance.Gateway.Audit;
using Appliance.Gateway.Events;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Tests.Store;

/// <summary>One contract, two stores: everything the gateway relies on behaves the same on PostgreSQL and SQLite.</summary>
public sealed class StoreContractTests
{
    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task Migrations_ApplyOnce(string kind)
    {
        await using var store = await TestStore.CreateAsync(kind);
        Assert.Equal(0, await store.Migrations.MigrateAsync(CancellationToken.None));
        await using var connection = await store.Database.OpenAsync();
        var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
        Assert.Equal(MigrationRunner.Scripts.Select(s => (long)s.Version), versions);
    }

    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task Request_RoundTrips_AndAStaleVersionCannotOverwrite(string kind)
    {
        await using var store = await TestStore.CreateAsync(kind);
        var requests = new RequestStore(store.Database);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var request = new AccessRequest
        {
            Id = Ids.NewRequestId(),
            Kind = RequestKind.Access,
            Connection = "demo",
            Requester = "alice@example.com",
            Reason = "order 4411 — ünïcode ✓",
            Duration = TimeSpan.FromMinutes(90),
            Status = RequestStatus.Pending,
            MinApprovals = 2,
            ApproverGroups = ["dba", "sre"],
            Channel = "db-access",
            CreatedAt = now,
            PendingUntil = now.AddHours(1),
            Approvals = [new Approval("bob@example.com", now, "ok")],
        };
        await store.Database.InTransactionAsync(async (c, t) => { await requests.InsertAsync(c, t, request, now); return 0; });

        var loaded = await requests.GetAsync(request.Id);
        Assert.NotNull(loaded);
        Assert.Equal(request.Reason, loaded.Reason);
        Assert.Equal(request.Duration, loaded.Duration);
        Assert.Equal(request.CreatedAt, loaded.CreatedAt);
        Assert.Equal(["dba", "sre"], loaded.ApproverGroups);
        Assert.Equal("bob@example.com", Assert.Single(loaded.Approvals).By);

        var active = loaded with { Status = RequestStatus.Active, Version = 2, ActivatedAt = now, ExpiresAt = now.AddMinutes(90) };
        Assert.True(await store.Database.InTransactionAsync((c, t) => requests.UpdateAsync(c, t, active, 1, now)));
        // A writer that read version 1 before this update must not overwrite it.
        var stale = loaded with { Status = RequestStatus.Denied, Version = 2 };
        Assert.False(await store.Database.InTransactionAsync((c, t) => requests.UpdateAsync(c, t, stale, 1, now)));
        Assert.Equal(RequestStatus.Active, (await requests.GetAsync(request.Id))!.Status);

        var listed = await requests.ListAsync(new RequestFilter { Statuses = [RequestStatus.Active], Requester = "ALICE@example.com" });
        Assert.Equal(request.Id, Assert.Single(listed).Id);

        // What the session cutter asks every second (probe PA1: a syntax error on PostgreSQL).
        Assert.Empty(await requests.EndedAsync([request.Id, "rq-gone"], CancellationToken.None));
        var revoked = active with { Status = RequestStatus.Revoked, Version = 3 };
        Assert.True(await store.Database.InTransactionAsync((c, t) => requests.UpdateAsync(c, t, revoked, 2, now)));
        Assert.Equal(request.Id, Assert.Single(await requests.EndedAsync([request.Id], CancellationToken.None)).Id);
    }

    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task EventChain_Verifies_AndDetectsAnEditedOrDeletedEvent(string kind)
    {
        await using var store = await TestStore.CreateAsync(kind);
        var log = new EventLog(store.Database, new WebhookTargetsStub());
        for (var i = 0; i < 5; i++)
        {
            await log.AppendAsync([new NewEvent("test.event", DateTimeOffset.UtcNow, $$"""{"n":{{i}}}""", "tester")]);
        }

        var verifier = new AuditVerifier(store.Database);
        var ok = await verifier.VerifyAsync(CancellationToken.None);
        Assert.True(ok.Ok);
        Assert.Equal(5, ok.Events);

        await using (var connection = await store.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE events SET data = '{\"n\":99}' WHERE seq = 3");
        }

        var edited = await verifier.VerifyAsync(CancellationToken.None);
        Assert.False(edited.Ok);
        Assert.Equal(3, edited.BrokenAtSeq);

        await using (var connection = await store.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE events SET data = '{\"n\":2}' WHERE seq = 3");
            Assert.True((await verifier.VerifyAsync(CancellationToken.None)).Ok);
            await connection.ExecuteAsync("DELETE FROM events WHERE seq = 2");
        }

        var deleted = await verifier.VerifyAsync(CancellationToken.None);
        Assert.False(deleted.Ok);
        Assert.Equal(2, deleted.BrokenAtSeq);
    }

    /// <summary>
    /// Events cut from the end leave a valid shorter chain that new appends grow back to the same
    /// count (probe AX); an anchor recorded before (an earlier answer's events and head) tells.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task EventChain_CutFromTheEndAndRegrown_FailsItsRecordedAnchor(string kind)
    {
        await using var store = await TestStore.CreateAsync(kind);
        var log = new EventLog(store.Database, new WebhookTargetsStub());
        for (var i = 0; i < 5; i++)
        {
            await log.AppendAsync([new NewEvent("test.event", DateTimeOffset.UtcNow, $$"""{"n":{{i}}}""", "tester")]);
        }

        var verifier = new AuditVerifier(store.Database);
        var recorded = await verifier.VerifyAsync(CancellationToken.None);
        var anchor = new AuditAnchor(recorded.Events, recorded.Head);
        Assert.True((await verifier.VerifyAsync(CancellationToken.None, anchor)).Ok);

        await using (var connection = await store.Database.OpenAsync())
        {
            await connection.ExecuteAsync("DELETE FROM events WHERE seq >= 4");
        }

        var shorter = await verifier.VerifyAsync(CancellationToken.None, anchor);
        Assert.False(shorter.Ok);
        Assert.Equal(5, shorter.BrokenAtSeq);
        Assert.Contains("the chain holds 3 events, fewer than the 5 recorded", shorter.Problem, StringComparison.Ordinal);

        await log.AppendAsync([new NewEvent("test.event", DateTimeOffset.UtcNow, """{"n":"new"}""", "tester")]);
        await log.AppendAsync([new NewEvent("test.event", DateTimeOffset.UtcNow, """{"n":"new"}""", "tester")]);
        var regrown = await verifier.VerifyAsync(CancellationToken.None);
        Assert.True(regrown.Ok);
        Assert.Equal(5, regrown.Events);

        var checkedAgainstAnchor = await verifier.VerifyAsync(CancellationToken.None, anchor);
        Assert.False(checkedAgainstAnchor.Ok);
        Assert.Equal(5, checkedAgainstAnchor.BrokenAtSeq);
        Assert.Contains("event 5's hash is not the one recorded", checkedAgainstAnchor.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task EventChain_ConcurrentAppends_StayOneUnbrokenChain(string kind)
    {
        await using var store = await TestStore.CreateAsync(kind);
        var log = new EventLog(store.Database, new WebhookTargetsStub());
        await Parallel.ForEachAsync(Enumerable.Range(0, 40), async (i, ct) =>
            await log.AppendAsync([new NewEvent("test.event", DateTimeOffset.UtcNow, $$"""{"n":{{i}}}""")], ct));

        var result = await new AuditVerifier(store.Database).VerifyAsync(CancellationToken.None);
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(40, result.Events);
    }

    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task Tokens_AreStoredHashed_ValidatedAndRevoked(string kind)
    {
        await using var store = await TestStore.CreateAsync(kind);
        var tokens = new TokenStore(store.Database, TimeProvider.System);
        var (info, token) = await tokens.InsertAsync(TokenKind.Personal, "alice@example.com", "cli", null, null, CancellationToken.None);
        Assert.Equal(info.Id, (await tokens.ValidateAsync(token, CancellationToken.None))?.Id);
        Assert.Null(await tokens.ValidateAsync(token + "x", CancellationToken.None));

        await using (var connection = await store.Database.OpenAsync())
        {
            Assert.Equal(TokenHasher.Hash(token), await connection.QuerySingleAsync<string>("SELECT hash FROM tokens"));
        }

        Assert.True(await tokens.RevokeAsync(info.Id, CancellationToken.None));
        Assert.False(await tokens.RevokeAsync(info.Id, CancellationToken.None));
        Assert.Null(await tokens.ValidateAsync(token, CancellationToken.None));

        var (expiredInfo, expired) = await tokens.InsertAsync(TokenKind.Personal, "alice@example.com", null, null, DateTimeOffset.UtcNow.AddSeconds(-1), CancellationToken.None);
        Assert.Null(await tokens.ValidateAsync(expired, CancellationToken.None));

        // What the session cutter asks every second (probe PA1: a syntax error on PostgreSQL).
        var (live, _) = await tokens.InsertAsync(TokenKind.Personal, "alice@example.com", null, null, null, CancellationToken.None);
        Assert.Equal(
            new[] { expiredInfo.Id, info.Id, "tk-gone" }.Order(StringComparer.Ordinal),
            (await tokens.DeadAsync([info.Id, expiredInfo.Id, live.Id, "tk-gone"], CancellationToken.None)).Order(StringComparer.Ordinal));
    }

    /// <summary>No webhooks: the chain tests only look at events.</summary>
    private sealed class WebhookTargetsStub : IWebhookTargets
    {
        public IEnumerable<string> For(string eventType) => [];

        public string? SecretFor(string target) => null;
    }
}
