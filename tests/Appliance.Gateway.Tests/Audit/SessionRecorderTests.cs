using System.Net;
using Appliance.Gateway.Audit;
using Appliance.Gateway.Store;
using Appliance.Gateway.Tests.Store;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Dapper;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Audit;

/// <summary>Sessions and statements recorded off the hot path, searchable, replayable and chained.</summary>
public sealed class SessionRecorderTests
{
    public static TheoryData<string> Stores => new() { "sqlite", "postgres" };

    private static StatementRecord Statement(string session, long seq, string sql, DateTimeOffset? startedAt = null) => new(
        session, seq, startedAt ?? DateTimeOffset.UtcNow, 0.42, sql, ["***-**-6789"], StatementRecord.Ok, "SELECT 1", 1, null,
        ["ssn"], [["***-**-6789"]], null);

    [Fact]
    public async Task StatementsRecordedOutOfOrder_ReplayInTheOrderTheyCame()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        var recorder = gateway.Service<SessionRecorder>();
        var id = "s-" + Guid.NewGuid().ToString("N")[..8];
        var at = DateTimeOffset.UtcNow;
        recorder.Start(new SessionInfo(id, Alice, "demo", "k7m2q9xa", "127.0.0.1", "psql", at));

        // A batch whose third statement is refused: 3, 4 and 5 are recorded at once, 1 and 2 when their answers come (a later event).
        foreach (var seq in new[] { 3, 4, 5 })
        {
            recorder.Record(Statement(id, seq, $"SELECT {seq}", at));
        }

        await recorder.FlushAsync(CancellationToken.None);
        recorder.Record(Statement(id, 2, "SELECT 2", at));
        recorder.Record(Statement(id, 1, "SELECT 1", at));
        recorder.End(id, "client disconnected");
        await recorder.FlushAsync(CancellationToken.None);

        using var auditor = gateway.Client(await gateway.CreateTokenAsync(Auditor));
        var replay = (await auditor.GetJsonAsync($"api/sessions/{id}/events")).EnumerateArray().ToList();
        Assert.Equal(
            ["session.started", "SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4", "SELECT 5", "session.ended"],
            replay.Select(e => e.Str("type") == "statement" ? e.GetProperty("data").Str("sql") : e.Str("type")));
    }

    /// <summary>
    /// A gateway killed before it recorded a session's end (kill -9, a crash) left the session
    /// live in the record for ever (probe ED4). The embedded store has one gateway: when it starts
    /// again, such a session is ended, saying why, and the chain still verifies.
    /// </summary>
    [Fact]
    public async Task ASessionLeftOpenByAnEarlierRun_IsEndedWhenTheEmbeddedStoreStartsAgain()
    {
        var options = TestGatewayOptions.InTempDir();
        var id = "s-left-" + Guid.NewGuid().ToString("N")[..6];
        await using (var first = await TestGateway.StartAsync(options))
        {
            // Recorded as started, and no session of this gateway's ends it: what a killed gateway leaves.
            await StartSessionAsync(first, id);
        }

        await using var again = await TestGateway.StartAsync(options);
        await again.Service<SessionRecorder>().FlushAsync(CancellationToken.None);
        using var auditor = again.Client(await again.CreateTokenAsync(Auditor));
        var session = await SessionAsync(auditor, id);
        Assert.Equal(OrphanedSessions.Reason, session.Str("endReason"));
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, session.GetProperty("endedAt").ValueKind);
        Assert.True((await auditor.GetJsonAsync("api/audit/verify")).GetProperty("ok").GetBoolean());
    }

    /// <summary>
    /// A PostgreSQL store serves several gateways. A session whose gateway stopped saying it is
    /// alive (killed: its heartbeat stops, as it does when this test stops it without ending the
    /// session) is ended by the gateways still running, once, with why; the sessions of a gateway
    /// that is alive are left alone. Before, such sessions stayed live in the record for ever.
    /// </summary>
    [Fact]
    public async Task OnAPostgresStore_ASessionOfAGatewayThatStoppedAnswering_IsEndedOnceByTheOthers()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("audit");
        // Heartbeats every second; a gateway silent for six is taken for dead.
        TestGatewayOptions Options() => TestGatewayOptions.InTempDir(database.ConnectionString) with
        {
            Settings = new Dictionary<string, string?> { ["APPLIANCE_CLUSTER_POLL"] = "00:00:00.100" },
        };

        await using var live = await TestGateway.StartAsync(Options());
        await using var other = await TestGateway.StartAsync(Options());
        var lost = "s-lost-" + Guid.NewGuid().ToString("N")[..6];
        var alive = "s-alive-" + Guid.NewGuid().ToString("N")[..6];
        await using (var killed = await TestGateway.StartAsync(Options()))
        {
            await StartSessionAsync(killed, lost);
        }

        await StartSessionAsync(live, alive);
        using var auditor = live.Client(await live.CreateTokenAsync(Auditor));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        System.Text.Json.JsonElement session;
        while ((session = await SessionAsync(auditor, lost)).GetProperty("endedAt").ValueKind == System.Text.Json.JsonValueKind.Null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the lost gateway's session was not ended within 60 s");
            await Task.Delay(200);
        }

        Assert.Equal(OrphanedSessions.LostReason, session.Str("endReason"));
        // Both running gateways swept after the lost one went silent: one of them took the session.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await live.Service<SessionRecorder>().FlushAsync(CancellationToken.None);
        await other.Service<SessionRecorder>().FlushAsync(CancellationToken.None);
        var replay = (await auditor.GetJsonAsync($"api/sessions/{lost}/events")).EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Equal(["session.started", "session.ended"], replay);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await SessionAsync(auditor, alive)).GetProperty("endedAt").ValueKind);
        Assert.True((await auditor.GetJsonAsync("api/audit/verify")).GetProperty("ok").GetBoolean());
    }

    /// <summary>
    /// Each gateway is judged by the heartbeat it declared, not by the looking gateway's own:
    /// one with a slower heartbeat had its live sessions ended by a faster one (probe PA4).
    /// </summary>
    [Fact]
    public async Task OnAPostgresStore_AGatewayWithASlowerHeartbeat_IsNotTakenForDead()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("audit");
        TestGatewayOptions Options(string poll) => TestGatewayOptions.InTempDir(database.ConnectionString) with
        {
            Settings = new Dictionary<string, string?> { ["APPLIANCE_CLUSTER_POLL"] = poll },
        };

        // A heartbeat every 10 s (dead after 60 s), and one every second (dead after 6 s).
        await using var slow = await TestGateway.StartAsync(Options("00:00:01"));
        await using var fast = await TestGateway.StartAsync(Options("00:00:00.100"));
        var id = "s-slow-" + Guid.NewGuid().ToString("N")[..6];
        await StartSessionAsync(slow, id);

        // Past the fast gateway's own 6 s, and the slow one's next heartbeat not due before 10 s.
        await Task.Delay(TimeSpan.FromSeconds(8));

        using var auditor = fast.Client(await fast.CreateTokenAsync(Auditor));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await SessionAsync(auditor, id)).GetProperty("endedAt").ValueKind);
    }

    private static async Task StartSessionAsync(TestGateway gateway, string id)
    {
        var recorder = gateway.Service<SessionRecorder>();
        recorder.Start(new SessionInfo(id, Alice, "demo", "k7m2q9xa", "127.0.0.1", "psql", DateTimeOffset.UtcNow.AddMinutes(-5)));
        await recorder.FlushAsync(CancellationToken.None);
    }

    private static async Task<System.Text.Json.JsonElement> SessionAsync(HttpClient auditor, string id) =>
        (await auditor.GetJsonAsync($"api/sessions?user={Alice}")).EnumerateArray().Single(s => s.Str("id") == id);

    /// <summary>
    /// A session is ended once in the record: a gateway resuming from a pause cuts a session the
    /// others have ended meanwhile, and neither a second session.ended nor a later end time or
    /// other reason is written (probe TA1). In one batch or in two.
    /// </summary>
    [Theory]
    [InlineData("postgres", true)]
    [InlineData("postgres", false)]
    [InlineData("sqlite", false)]
    public async Task ASessionEndedInTheRecordAlready_IsNotEndedAgain(string store, bool byAnotherGateway)
    {
        await using var database = store == "postgres" ? await TestPostgres.CreateDatabaseAsync("audit") : null;
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database?.ConnectionString));
        await using var other = byAnotherGateway ? await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database?.ConnectionString)) : null;
        var id = "s-twice-" + Guid.NewGuid().ToString("N")[..6];
        await StartSessionAsync(gateway, id);
        var first = (other ?? gateway).Service<SessionRecorder>();
        first.End(id, "the gateway relaying the session stopped answering");
        await first.FlushAsync(CancellationToken.None);
        using var auditor = gateway.Client(await gateway.CreateTokenAsync(Auditor));
        var endedAt = (await SessionAsync(auditor, id)).Str("endedAt");

        var recorder = gateway.Service<SessionRecorder>();
        recorder.End(id, "this gateway could not say it was alive");
        recorder.End(id, "and once more in the same batch");
        await recorder.FlushAsync(CancellationToken.None);

        var session = await SessionAsync(auditor, id);
        Assert.Equal("the gateway relaying the session stopped answering", session.Str("endReason"));
        Assert.Equal(endedAt, session.Str("endedAt"));
        var replay = (await auditor.GetJsonAsync($"api/sessions/{id}/events")).EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Equal(["session.started", "session.ended"], replay);
        Assert.True((await auditor.GetJsonAsync("api/audit/verify")).GetProperty("ok").GetBoolean());
    }

    /// <summary>A time window finds the sessions live in it, also those that started before it (probe AX).</summary>
    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TimeWindow_FindsTheSessionsLiveInIt(string store)
    {
        await using var database = store == "postgres" ? await TestPostgres.CreateDatabaseAsync("audit") : null;
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database?.ConnectionString));
        var recorder = gateway.Service<SessionRecorder>();
        var now = DateTimeOffset.UtcNow;
        var stillOpen = "s-open-" + Guid.NewGuid().ToString("N")[..6];
        var endedNow = "s-ended-" + Guid.NewGuid().ToString("N")[..6];
        recorder.Start(new SessionInfo(stillOpen, Alice, "demo", "k7m2q9xa", "127.0.0.1", "psql", now.AddHours(-2)));
        recorder.Start(new SessionInfo(endedNow, Alice, "demo", "k7m2q9xa", "127.0.0.1", "psql", now.AddHours(-3)));
        recorder.End(endedNow, "client disconnected");
        await recorder.FlushAsync(CancellationToken.None);
        using var auditor = gateway.Client(await gateway.CreateTokenAsync(Auditor));

        async Task<List<string>> FoundAsync(DateTimeOffset from, DateTimeOffset to) =>
            [.. (await auditor.GetJsonAsync($"api/sessions?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}"))
                .EnumerateArray().Select(s => s.Str("id")).Order(StringComparer.Ordinal)];

        // The last hour: both were live in it, though both started before it.
        Assert.Equal(new[] { endedNow, stillOpen }.Order(StringComparer.Ordinal), await FoundAsync(now.AddHours(-1), now.AddMinutes(1)));
        // Before the open one started: only the earlier one.
        Assert.Equal([endedNow], await FoundAsync(now.AddHours(-2.75), now.AddHours(-2.5)));
        // After the other ended: only the open one.
        Assert.Equal([stillOpen], await FoundAsync(now.AddHours(1), now.AddHours(2)));
        // Before both: none.
        Assert.Empty(await FoundAsync(now.AddHours(-5), now.AddHours(-4)));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task RecordedSession_IsSearchable_ReplaysInOrder_AndTheChainVerifies(string store)
    {
        await using var database = store == "postgres" ? await TestPostgres.CreateDatabaseAsync("audit") : null;
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database?.ConnectionString));
        var recorder = gateway.Service<SessionRecorder>();
        var id = "s-" + Guid.NewGuid().ToString("N")[..8];
        recorder.Start(new SessionInfo(id, Alice, "demo", "k7m2q9xa", "127.0.0.1", "psql", DateTimeOffset.UtcNow));
        for (var i = 1; i <= 250; i++)
        {
            recorder.Record(Statement(id, i, $"SELECT {i}"));
        }

        recorder.End(id, "client disconnected");
        await recorder.FlushAsync(CancellationToken.None);

        using var auditor = gateway.Client(await gateway.CreateTokenAsync(Auditor));
        var sessions = await auditor.GetJsonAsync($"api/sessions?user={Alice}&connection=demo");
        var session = Assert.Single(sessions.EnumerateArray());
        Assert.Equal(id, session.Str("id"));
        Assert.Equal(250, session.GetProperty("statements").GetInt64());
        Assert.Equal("client disconnected", session.Str("endReason"));

        var replay = (await auditor.GetJsonAsync($"api/sessions/{id}/events")).EnumerateArray().ToList();
        Assert.Equal("session.started", replay[0].Str("type"));
        Assert.Equal("session.ended", replay[^1].Str("type"));
        var statements = replay.Where(e => e.Str("type") == "statement").Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(Enumerable.Range(1, 250).Select(i => $"SELECT {i}"), statements.Select(s => s.Str("sql")));
        Assert.Equal("***-**-6789", statements[0].GetProperty("sampleRows")[0][0].GetString());

        var verify = await auditor.GetJsonAsync("api/audit/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean());

        // Alice sees her own session; Dave does not.
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        Assert.Single((await alice.GetJsonAsync("api/sessions")).EnumerateArray());
        using var dave = gateway.Client(await gateway.CreateTokenAsync(Dave));
        Assert.Empty((await dave.GetJsonAsync("api/sessions")).EnumerateArray());
        await dave.GetJsonAsync($"api/sessions/{id}/events", HttpStatusCode.NotFound);
        await dave.GetJsonAsync($"api/sessions?user={Alice}", HttpStatusCode.Forbidden);
    }

    /// <summary>
    /// Session search reads the sessions table, outside the chain: verify checks each row against
    /// the chained session events, so a row deleted, re-attributed, recounted or made up is
    /// reported (probe AX); restored, the store verifies again.
    /// </summary>
    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SessionIndex_EditedOrDeleted_IsReportedByVerify(string store)
    {
        await using var database = store == "postgres" ? await TestPostgres.CreateDatabaseAsync("audit") : null;
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database?.ConnectionString));
        var recorder = gateway.Service<SessionRecorder>();
        var id = "s-" + Guid.NewGuid().ToString("N")[..8];
        recorder.Start(new SessionInfo(id, Alice, "demo", "k7m2q9xa", "127.0.0.1", "psql", DateTimeOffset.UtcNow));
        for (var i = 1; i <= 3; i++)
        {
            recorder.Record(Statement(id, i, $"SELECT {i}"));
        }

        recorder.End(id, "client disconnected");
        await recorder.FlushAsync(CancellationToken.None);
        using var auditor = gateway.Client(await gateway.CreateTokenAsync(Auditor));
        Assert.True((await auditor.GetJsonAsync("api/audit/verify")).GetProperty("ok").GetBoolean());

        async Task<string> ProblemAfterAsync(string tamper, string restore)
        {
            await using var connection = await gateway.Service<StoreDatabase>().OpenAsync();
            await connection.ExecuteAsync(tamper, new { id });
            var verify = await auditor.GetJsonAsync("api/audit/verify");
            await connection.ExecuteAsync(restore, new { id });
            Assert.False(verify.GetProperty("ok").GetBoolean());
            return verify.Str("problem");
        }

        Assert.EndsWith($"user bob@example.com (chain: {Alice})",
            await ProblemAfterAsync("UPDATE sessions SET user_email = 'bob@example.com' WHERE id = @id", $"UPDATE sessions SET user_email = '{Alice}' WHERE id = @id"),
            StringComparison.Ordinal);
        Assert.EndsWith("client address 10.9.9.9 (chain: 127.0.0.1)",
            await ProblemAfterAsync("UPDATE sessions SET client_addr = '10.9.9.9' WHERE id = @id", "UPDATE sessions SET client_addr = '127.0.0.1' WHERE id = @id"),
            StringComparison.Ordinal);
        Assert.Contains("counts 0 statements, the chain holds 3",
            await ProblemAfterAsync("UPDATE sessions SET statements = 0 WHERE id = @id", "UPDATE sessions SET statements = 3 WHERE id = @id"),
            StringComparison.Ordinal);
        Assert.EndsWith($"session {id}'s end in the index is not the one the chain recorded: end reason nothing happened (chain: client disconnected)",
            await ProblemAfterAsync("UPDATE sessions SET end_reason = 'nothing happened' WHERE id = @id", "UPDATE sessions SET end_reason = 'client disconnected' WHERE id = @id"),
            StringComparison.Ordinal);
        // Times as the API writes them, whatever the host's culture (probe UC4: 11/26/2026 13:00:21).
        Assert.Matches(@"start 2001-09-09T01:46:40\.000Z \(chain: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\)$",
            await ProblemAfterAsync("CREATE TABLE started_kept AS SELECT started_at FROM sessions WHERE id = @id; UPDATE sessions SET started_at = 1000000000000 WHERE id = @id",
                "UPDATE sessions SET started_at = (SELECT started_at FROM started_kept) WHERE id = @id; DROP TABLE started_kept"));
        Assert.Matches(@"end 2001-09-09T01:46:40\.000Z \(chain: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\)$",
            await ProblemAfterAsync("CREATE TABLE ended_kept AS SELECT ended_at FROM sessions WHERE id = @id; UPDATE sessions SET ended_at = 1000000000000 WHERE id = @id",
                "UPDATE sessions SET ended_at = (SELECT ended_at FROM ended_kept) WHERE id = @id; DROP TABLE ended_kept"));
        Assert.Contains("is missing from the session index",
            await ProblemAfterAsync(
                "CREATE TABLE sessions_kept AS SELECT * FROM sessions WHERE id = @id; DELETE FROM sessions WHERE id = @id",
                "INSERT INTO sessions SELECT * FROM sessions_kept; DROP TABLE sessions_kept"),
            StringComparison.Ordinal);
        Assert.Contains("session s-madeup is in the session index but the chain never started it",
            await ProblemAfterAsync(
                "INSERT INTO sessions (id, user_email, connection, started_at, statements) VALUES ('s-madeup', 'bob@example.com', 'demo', 0, 0)",
                "DELETE FROM sessions WHERE id = 's-madeup'"),
            StringComparison.Ordinal);

        // An anchor from an earlier answer checks out through the API; half of one, or a malformed one, is a 400.
        var final = await auditor.GetJsonAsync("api/audit/verify");
        Assert.True(final.GetProperty("ok").GetBoolean());
        var anchored = await auditor.GetJsonAsync($"api/audit/verify?seq={final.GetProperty("events").GetInt64()}&hash={final.Str("head")}");
        Assert.True(anchored.GetProperty("ok").GetBoolean());
        Assert.Equal("bad-request", (await auditor.GetJsonAsync("api/audit/verify?seq=3", HttpStatusCode.BadRequest)).Rule());
        Assert.Equal("bad-request", (await auditor.GetJsonAsync("api/audit/verify?seq=3&hash=not-a-hash", HttpStatusCode.BadRequest)).Rule());
        var zero = await auditor.GetJsonAsync($"api/audit/verify?seq=0&hash={final.Str("head")}", HttpStatusCode.BadRequest);
        Assert.Equal("seq= is an event's number: 1 or more.", zero.Str("detail"));
        var window = await auditor.GetJsonAsync("api/sessions?from=2026-11-26T10:00:00Z&to=2026-11-26T09:00:00Z", HttpStatusCode.BadRequest);
        Assert.Equal("bad-request", window.Rule());
    }

    [Fact]
    public async Task BusySession_IsWrittenInEventsOfBoundedSize_AllStatementsInOrder()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        var recorder = gateway.Service<SessionRecorder>();
        var id = "s-" + Guid.NewGuid().ToString("N")[..8];
        recorder.Start(new SessionInfo(id, Alice, "demo", "k7m2q9xa", "127.0.0.1", "psql", DateTimeOffset.UtcNow));
        var longText = new string('x', 2000);
        for (var i = 1; i <= 300; i++)
        {
            // Some statements are long, so that the size bound splits events as well as the count.
            recorder.Record(Statement(id, i, i % 3 == 0 ? $"SELECT {i} /* {longText} */" : $"SELECT {i}"));
        }

        await recorder.FlushAsync(CancellationToken.None);

        await using var connection = await gateway.Service<StoreDatabase>().OpenAsync();
        var data = (await connection.QueryAsync<string>(
            "SELECT data FROM events WHERE session_id = @id AND type = 'session.statements' ORDER BY seq", new { id })).ToList();
        var perEvent = data.Select(d => System.Text.Json.JsonDocument.Parse(d).RootElement.GetProperty("statements")).ToList();
        Assert.All(perEvent, e => Assert.InRange(e.GetArrayLength(), 1, SessionRecorder.MaxStatementsPerEvent));
        // Below the large object heap's threshold (85,000 bytes, two per character), with one statement of slack.
        Assert.All(data, d => Assert.True(d.Length * 2 < 85_000, $"an event of {d.Length} characters"));
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), perEvent.SelectMany(e => e.EnumerateArray()).Select(s => s.GetProperty("seq").GetInt64()));
        Assert.Equal(300, await connection.QuerySingleAsync<long>("SELECT statements FROM sessions WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task StoreOutage_OfSeveralSeconds_DelaysRecording_ButLosesNothingAndKeepsTheGatewayUp()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("outage");
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database.ConnectionString));
        var recorder = gateway.Service<SessionRecorder>();
        var lifetime = gateway.Service<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var id = "s-" + Guid.NewGuid().ToString("N")[..8];
        recorder.Start(new SessionInfo(id, Alice, "demo", "k7m2q9xa", "127.0.0.1", "psql", DateTimeOffset.UtcNow));
        await recorder.FlushAsync(CancellationToken.None);

        await using (await StoreOutage.BeginAsync(database))
        {
            recorder.Record(Statement(id, 1, "SELECT 'during the outage'"));
            // Longer than the recorder's retries used to last (about 5 s), after which the host stopped.
            await Task.Delay(TimeSpan.FromSeconds(8));
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the gateway stopped during a store outage");
        }

        await recorder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await using var connection = await gateway.Service<StoreDatabase>().OpenAsync();
        Assert.Equal(1, await connection.QuerySingleAsync<long>("SELECT statements FROM sessions WHERE id = @id", new { id }));
        Assert.Contains("during the outage", await connection.QuerySingleAsync<string>(
            "SELECT data FROM events WHERE session_id = @id AND type = 'session.statements'", new { id }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StrictIntent_IsCommittedBeforeItReturns()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        var recorder = gateway.Service<SessionRecorder>();
        await recorder.CommitIntentAsync(Statement("s-strict", 1, "DELETE FROM t WHERE id = 1"), CancellationToken.None);

        await using var connection = await gateway.Service<StoreDatabase>().OpenAsync();
        var data = await connection.QuerySingleAsync<string>("SELECT data FROM events WHERE session_id = 's-strict'");
        Assert.Contains("\"forwarded\"", data, StringComparison.Ordinal);
        Assert.Contains("DELETE FROM t WHERE id = 1", data, StringComparison.Ordinal);
    }
}
