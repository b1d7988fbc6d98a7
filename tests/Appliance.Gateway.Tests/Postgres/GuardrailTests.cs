using System.Net;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Appliance.Wire.Primitives;
using Appliance.Wire.Writing;
using Npgsql;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>Over TLS: the session runs on its own threads.</summary>
public sealed class GuardrailOverTlsTests(GuardrailOverTlsTests.Fixture fixture) : GuardrailTests<GuardrailOverTlsTests.Fixture>(fixture)
{
    public sealed class Fixture : PgGatewayFixture
    {
        protected override TimeSpan ReviewHold => TimeSpan.FromSeconds(3);
    }
}

/// <summary>In plaintext: the session runs on an event loop, and leaves it for threads when a review holds a statement.</summary>
public sealed class GuardrailOnEventLoopTests(GuardrailOnEventLoopTests.Fixture fixture) : GuardrailTests<GuardrailOnEventLoopTests.Fixture>(fixture)
{
    public sealed class Fixture : PgGatewayFixture
    {
        public override bool Tls => false;

        protected override TimeSpan ReviewHold => TimeSpan.FromSeconds(3);
    }
}

/// <summary>Block, review and alert on statements of every protocol path, with their events and audit records.</summary>
public abstract class GuardrailTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PgGatewayFixture
{
    [Fact]
    public async Task Block_RaisesAGuardrailBlockedEvent_WithTheStatementMasked()
    {
        await using var connection = await fixture.OpenAsync();
        var table = PgGatewayFixture.TableName("evt");

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand($"DROP TABLE {table} /* 4111 1111 1111 1111 */", connection).ExecuteNonQueryAsync());

        Assert.Equal("42501", error.SqlState);
        var blocked = await WaitForEventAsync("guardrail.blocked", e => e.GetProperty("statement").GetString()!.Contains(table, StringComparison.Ordinal));
        Assert.Equal("destructive-ddl", blocked.Str("rule"));
        Assert.Equal("block", blocked.Str("action"));
        Assert.Equal("alice@example.com", blocked.Str("user"));
        Assert.DoesNotContain("4111 1111 1111 1111", blocked.Str("statement"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Block_EventFollowsItsSessionStart_InTheChain()
    {
        await using var connection = await fixture.OpenAsync();
        var table = PgGatewayFixture.TableName("order");

        // At once after the login, while the session's start still waits for the recorder's batch.
        await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"DROP TABLE {table}", connection).ExecuteNonQueryAsync());

        var blocked = await WaitForEventAsync("guardrail.blocked", e => e.Str("statement").Contains(table, StringComparison.Ordinal));
        await using var store = await fixture.Gateway.Service<Appliance.Gateway.Store.StoreDatabase>().OpenAsync();
        var types = (await Dapper.SqlMapper.QueryAsync<string>(
            store, "SELECT type FROM events WHERE session_id = @sessionId ORDER BY seq", new { sessionId = blocked.Str("sessionId") })).ToList();
        Assert.Equal("session.started", types[0]);
        Assert.Contains("guardrail.blocked", types);
    }

    [Fact]
    public async Task Block_InAPipelinedBatch_ReplaysAfterItsStatement_AndTheStatementsInOrder()
    {
        var table = PgGatewayFixture.TableName("replay");
        await using var connection = await fixture.OpenAsync();
        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT 1"),
                new NpgsqlBatchCommand("SELECT 2"),
                new NpgsqlBatchCommand($"DROP TABLE {table}"),
                new NpgsqlBatchCommand("SELECT 4"),
                new NpgsqlBatchCommand("SELECT 5"),
            },
        })
        {
            await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync());
        }

        // Statements 3 to 5 are recorded at once (refused, skipped), 1 and 2 when their answers come: later.
        var sessionId = await SessionIdAsync(table);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql") == "SELECT 1", 1);
        var replay = (await auditor.GetJsonAsync($"api/sessions/{sessionId}/events")).EnumerateArray()
            .Select(e => e.Str("type") == "statement" ? e.GetProperty("data").Str("sql") : e.Str("type"))
            .ToList();

        List<string> sent = ["SELECT 1", "SELECT 2", $"DROP TABLE {table}", "guardrail.blocked", "SELECT 4", "SELECT 5"];
        Assert.Equal(sent, replay.Where(sent.Contains));
    }

    /// <summary>
    /// A blocked Parse of the unnamed statement leaves none, as a failed one does in PostgreSQL:
    /// a later Bind of it ran the statement parsed before (probe BO1).
    /// </summary>
    [Fact]
    public async Task ABlockedParseOfTheUnnamedStatement_LeavesNoneToBind()
    {
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "SELECT 7", []),
            Appliance.Wire.Writing.FrontendWriter.WriteSync,
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", $"DROP TABLE {PgGatewayFixture.TableName("bo1")}", []),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20)), m => m.Type == 'E');
        Assert.Equal("42501", Assert.Single(await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20)), m => m.Type == 'E').SqlState);

        Assert.Equal("unnamed prepared statement does not exist", await BindUnnamedRefusedAsync(client));
    }

    /// <summary>Binds and executes the unnamed statement: no row may come, and the refusal is 26000; its message.</summary>
    private static async Task<string> BindUnnamedRefusedAsync(RawPgClient client)
    {
        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        var messages = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));

        Assert.DoesNotContain(messages, m => m.Type == 'D');
        var error = Assert.Single(messages, m => m.Type == 'E');
        Assert.Equal("26000", error.SqlState);
        return error.Message;
    }

    /// <summary>
    /// A Parse of the unnamed statement that a failed batch skipped leaves the one before it
    /// upstream: bound as a statement the gateway did not know, it ran unjudged (a DELETE whose one
    /// approved run was spent ran again). It is refused instead, as a missing statement.
    /// </summary>
    [Fact]
    public async Task AnUnnamedStatementWhoseParseWasSkipped_IsNotBound()
    {
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "SELECT 7", []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            Appliance.Wire.Writing.FrontendWriter.WriteSync,
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "fails", "SELECT 1/0", []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "fails", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "SELECT 8", []),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        Assert.Single(await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20)), m => m.Type == 'D');
        Assert.Equal("22012", Assert.Single(await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20)), m => m.Type == 'E').SqlState);

        Assert.Contains("its last Parse failed or was skipped", await BindUnnamedRefusedAsync(client), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Block_DropRule_CoversAlterTableDropColumn_AndTheColumnStays()
    {
        var table = PgGatewayFixture.TableName("dropcol");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, note text); INSERT INTO {table} VALUES (1, 'kept')");
        await using var connection = await fixture.OpenAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand($"ALTER TABLE {table} ADD COLUMN extra int, DROP COLUMN note", connection).ExecuteNonQueryAsync());

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("destructive-ddl", error.MessageText, StringComparison.Ordinal);
        await using var still = new NpgsqlCommand($"SELECT note FROM {table}", connection);
        Assert.Equal("kept", await still.ExecuteScalarAsync());
        await new NpgsqlCommand($"ALTER TABLE {table} ALTER COLUMN note DROP DEFAULT", connection).ExecuteNonQueryAsync();
    }

    /// <summary>
    /// A prepared transaction outlives its session and the grant it was made under, holding its
    /// locks, and anyone sharing the role could commit it (probe BP1): refused by session-end,
    /// where PostgreSQL's own answer came before (probe AL had it refused as unclassifiable).
    /// </summary>
    [Fact]
    public async Task PrepareTransaction_IsRefused_ItWouldOutliveTheSession()
    {
        await using var connection = await fixture.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand("PREPARE TRANSACTION 'xa-probe'", connection).ExecuteNonQueryAsync());

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("blocked by guardrail \"session-end\"", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Block_OneSessionCannotTerminateAnother_OfTheSharedUpstreamRole()
    {
        await using var victim = await fixture.OpenAsync();
        await using var attacker = await fixture.OpenAsync();
        var pid = (int)(await new NpgsqlCommand("SELECT pg_backend_pid()", victim).ExecuteScalarAsync())!;

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand($"SELECT pg_terminate_backend({pid})", attacker).ExecuteScalarAsync());

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("blocked by guardrail \"other-sessions\"", error.MessageText, StringComparison.Ordinal);
        Assert.Equal(1, await new NpgsqlCommand("SELECT 1", victim).ExecuteScalarAsync());
    }

    [Fact]
    public async Task Block_SeesADoBodySplitIntoStringPieces()
    {
        var table = PgGatewayFixture.TableName("split");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        await using var connection = await fixture.OpenAsync();

        // PostgreSQL joins string constants separated by a newline: this is one body, DROP TABLE.
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand($"DO 'begin dr'\n'op table {table}; end'", connection).ExecuteNonQueryAsync());

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("destructive-ddl", error.MessageText, StringComparison.Ordinal);
        await using var still = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        Assert.Equal(0L, await still.ExecuteScalarAsync());

        // A regular expression reads the body joined too.
        var sleep = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand("DO 'begin perform pg_sl'\n'eep(30); end'", connection).ExecuteNonQueryAsync());
        Assert.Equal("42501", sleep.SqlState);
        Assert.Contains("no-sleep", sleep.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Block_SeesABodyWrittenWithBackslashEscapes_ForASessionWithoutStandardConformingStrings()
    {
        var table = await TableWithRowsAsync();
        await fixture.GrantAsync();

        // PostgreSQL then reads '\117' in a plain string as O: the body below runs DROP TABLE.
        var result = await fixture.PsqlAsync("demo", fixture.Tls ? "require" : "disable",
            "-c", "SET standard_conforming_strings = off",
            "-c", $"DO 'BEGIN EXECUTE ''DR\\117P TABLE {table}''; END'");

        Assert.Contains("could not analyse the statement", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Alert_RunsTheStatement_AndRaisesAGuardrailAlertEvent()
    {
        await using var connection = await fixture.OpenAsync();
        var marker = PgGatewayFixture.Marker();

        await using var command = new NpgsqlCommand($"SELECT 'secret_plans {marker}'", connection);
        Assert.Equal($"secret_plans {marker}", await command.ExecuteScalarAsync());

        var alert = await WaitForEventAsync("guardrail.alert", e => e.GetProperty("statement").GetString()!.Contains(marker, StringComparison.Ordinal));
        Assert.Equal("watch-secrets", alert.Str("rule"));
        Assert.Equal("Someone looked at the secret plans.", alert.Str("message"));
    }

    /// <summary>
    /// A prepared statement an alert rule matches raises the alert at each run, named on each
    /// run's record (probe AL2: one event at the Parse, none per run, and no rule on the records).
    /// </summary>
    [Fact]
    public async Task Alert_OnAPreparedStatement_IsRaisedAndRecordedAtEachRun()
    {
        await using var connection = await fixture.OpenAsync();
        var marker = PgGatewayFixture.Marker();
        await using var command = new NpgsqlCommand($"SELECT 'secret_plans {marker}'", connection);
        await command.PrepareAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal($"secret_plans {marker}", await command.ExecuteScalarAsync());
        }

        var runs = await fixture.RecordedStatementsAsync(marker, count: 3);
        Assert.Equal(3, runs.Count);
        Assert.All(runs, run => Assert.Equal("watch-secrets", run.GetProperty("guardrail").GetString()));
        List<System.Text.Json.JsonElement> alerts = [];
        for (var i = 0; i < 100 && alerts.Count < 3; i++)
        {
            await Task.Delay(100);
            alerts = [.. (await fixture.EventsAsync("guardrail.alert")).Where(e => e.Str("statement").Contains(marker, StringComparison.Ordinal))];
        }

        Assert.Equal(runs.Select(r => r.GetProperty("seq").GetInt64()).Order(), alerts.Select(a => a.GetProperty("statementSeq").GetInt64()).Order());
    }

    /// <summary>
    /// A run PostgreSQL skipped (an earlier message of its batch failed) raises no alert; the run
    /// that follows does, once (probe AT3: the skipped run alerted as if it had run).
    /// </summary>
    [Fact]
    public async Task Alert_OfARunPostgresSkipped_IsNotRaised()
    {
        var marker = PgGatewayFixture.Marker();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "fails", "SELECT 1/0", []),
            o => FrontendWriter.WriteParse(o, "secret", $"SELECT 'secret_plans {marker}'", []),
            o => FrontendWriter.WriteBind(o, "", "fails", [], [], []), o => FrontendWriter.WriteExecute(o, "", 0),
            o => FrontendWriter.WriteBind(o, "", "secret", [], [], []), o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        Assert.Equal("22012", Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E').SqlState);
        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "secret", [], [], []), o => FrontendWriter.WriteExecute(o, "", 0), FrontendWriter.WriteSync);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

        var runs = await fixture.RecordedStatementsAsync(marker, count: 2);
        Assert.Equal(["skipped", "ok"], runs.OrderBy(r => r.GetProperty("seq").GetInt64()).Select(r => r.Str("outcome")));
        var ran = runs.Single(r => r.Str("outcome") == "ok").GetProperty("seq").GetInt64();
        List<System.Text.Json.JsonElement> alerts = [];
        for (var i = 0; i < 100 && alerts.Count == 0; i++)
        {
            await Task.Delay(100);
            alerts = [.. (await fixture.EventsAsync("guardrail.alert")).Where(e => e.Str("statement").Contains(marker, StringComparison.Ordinal))];
        }

        // The alert of the run that happened is written after the skipped run's record: had the skipped run alerted, it would be here too.
        await Task.Delay(300);
        alerts = [.. (await fixture.EventsAsync("guardrail.alert")).Where(e => e.Str("statement").Contains(marker, StringComparison.Ordinal))];
        Assert.Equal(ran, Assert.Single(alerts).GetProperty("statementSeq").GetInt64());
    }

    /// <summary>
    /// A prepared statement a review allowed runs once: its approval is spent at the Parse, so a
    /// second Execute does not run on it (probe CC: one approval ran it three times). It is held
    /// for a review of its own, as drivers that keep prepared statements never parse again (probe
    /// CG): still pending, it is refused; approved, it runs.
    /// </summary>
    [Fact]
    public async Task Review_OfAPreparedStatement_AllowsOneExecute_AndHoldsTheNext()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        await using var delete = new NpgsqlCommand($"DELETE FROM {table}", connection);
        var preparing = delete.PrepareAsync();
        var review = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{review}/approve", null, HttpStatusCode.OK);
        await preparing;

        Assert.Equal(3, await delete.ExecuteNonQueryAsync());
        await fixture.UpstreamAsync($"INSERT INTO {table} VALUES (1), (2)");

        // Nobody decides within the hold: refused with the review id, nothing deleted.
        var again = await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());
        Assert.Equal("42501", again.SqlState);
        Assert.Contains("held for review", again.MessageText, StringComparison.Ordinal);
        Assert.Equal(2L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));

        // Approved while held, the next Execute runs, once.
        var running = delete.ExecuteNonQueryAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? next = null;
        while (next is null && DateTime.UtcNow < deadline)
        {
            // The refused run's review is still pending too: the new hold's is the newer one.
            var pending = (await bob.GetJsonAsync("api/requests?status=pending")).EnumerateArray()
                .Where(r => r.TryGetProperty("command", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.Object && c.Str("sql") == $"DELETE FROM {table}")
                .ToList();
            next = pending.Count >= 2 ? pending.OrderByDescending(r => r.Time("createdAt")).First().Str("id") : null;
            await Task.Delay(50);
        }

        Assert.NotNull(next);
        await bob.PostAsync($"api/requests/{next}/approve", null, HttpStatusCode.OK);
        Assert.Equal(2, await running);
        Assert.Equal(1, await new NpgsqlCommand("SELECT 1", connection).ExecuteScalarAsync());
    }

    /// <summary>
    /// A later Execute of a reviewed statement in a batch whose earlier Execute failed upstream:
    /// PostgreSQL skips it, so it is not held, no approver is asked and no approval is spent for
    /// it; it is recorded skipped (probe CH-2: three reviews ended "executed" for one run).
    /// </summary>
    [Fact]
    public async Task Review_IsNotOpened_ForAnExecuteTheUpstreamSkips()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();
        await PrepareApprovedAsync(client, table);

        // Two runs in one batch: the first runs on the approval and fails upstream (division by
        // zero), so PostgreSQL skips the second.
        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "s1", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            o => FrontendWriter.WriteBind(o, "", "s1", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var messages = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));

        Assert.DoesNotContain(messages, m => m.Type == 'N');
        Assert.Equal("22012", Assert.Single(messages, m => m.Type == 'E').SqlState);
        await AssertOneReviewAndNothingDeletedAsync(table);
        var recorded = await fixture.RecordedStatementsAsync(table, count: 2);
        Assert.Equal(["error", "skipped"], recorded.Select(r => r.Str("outcome")));

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 1"));
        Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
    }

    /// <summary>
    /// An approved statement whose Bind the upstream refuses: its Execute never runs, so the
    /// review that approved it ends abandoned, not executed, and the record says why (probe
    /// DF-4: the review said "executed" for a run that never happened).
    /// </summary>
    [Fact]
    public async Task Review_OfAnExecuteWhoseBindFailed_EndsAbandoned()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();
        await PrepareApprovedAsync(client, table);

        // One parameter for a statement that takes none: PostgreSQL refuses the Bind (08P01) and skips the Execute.
        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "s1", [], [System.Text.Encoding.UTF8.GetBytes("1")], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var messages = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("08P01", Assert.Single(messages, m => m.Type == 'E').SqlState);
        await AssertOneReviewAndNothingDeletedAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        System.Text.Json.JsonElement review;
        do
        {
            review = (await bob.GetJsonAsync("api/requests?connection=demo")).EnumerateArray()
                .Single(r => r.Str("kind") == "command" && r.GetRawText().Contains(table, StringComparison.Ordinal));
            await Task.Delay(50);
        }
        while (review.Str("endReason") != "abandoned" && DateTime.UtcNow < deadline);

        Assert.Equal("abandoned", review.Str("endReason"));
        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(table, count: 1));
        Assert.Contains($"review {review.Str("id")} is used up", recorded.Str("error"), StringComparison.Ordinal);
    }

    /// <summary>
    /// Statement s1, a write the review rule holds whose run fails upstream (division by zero) and
    /// so changes nothing, parsed on <paramref name="client"/> and approved by bob: it may run once.
    /// </summary>
    private async Task PrepareApprovedAsync(RawPgClient client, string table)
    {
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "s1", $"DELETE FROM {table} RETURNING 1 / (id - id)", []), FrontendWriter.WriteSync);
        var preparing = client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{await WaitForReviewAsync(table)}/approve", null, HttpStatusCode.OK);
        Assert.Contains(await preparing, m => m.Type == '1');
    }

    /// <summary>The Parse's review is the only one opened, and the rows are all there.</summary>
    private async Task AssertOneReviewAndNothingDeletedAsync(string table)
    {
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var reviews = (await bob.GetJsonAsync("api/requests?connection=demo")).EnumerateArray()
            .Where(r => r.Str("kind") == "command" && r.GetRawText().Contains(table, StringComparison.Ordinal));
        Assert.Single(reviews);
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    /// <summary>The same with the failure seen first and the later Execute sent in a write of its own (probe DF-1: its Bind got no answer, and the wait ran the whole hold).</summary>
    [Fact]
    public async Task Review_IsNotOpened_ForAnExecuteSentAfterItsBatchFailed()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();
        await PrepareApprovedAsync(client, table);

        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "s1", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteFlush);
        while ((await client.ReadAsync()).Type != 'E')
        {
        }

        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "s1", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var rest = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("Z", string.Join(' ', rest.Select(m => m.Type)));
        await AssertOneReviewAndNothingDeletedAsync(table);
    }

    /// <summary>
    /// A simple Query held for review while the extended batch sent before it failed: PostgreSQL
    /// skips it with the batch, so approved, it does not run, and later answers stay in step
    /// (probe NB1: the batch's ReadyForQuery was taken for its answer, every later one was one behind).
    /// </summary>
    [Fact]
    public async Task Review_OfAQueryHeldWhileItsBatchFailed_IsSkippedWithTheBatch()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(RawPgClient.Unnamed("SELECT 1/0"), o => FrontendWriter.WriteQuery(o, $"DELETE FROM {table}"), FrontendWriter.WriteSync);
        var review = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{review}/approve", null, HttpStatusCode.OK);

        var batch = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("22012", Assert.Single(batch, m => m.Type == 'E').SqlState);
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 'abc'"));
        var answer = await client.ReadUntilReadyAsync();

        Assert.Equal("abc", System.Text.Encoding.UTF8.GetString(Assert.Single(answer, m => m.Type == 'D').Body[6..]));
        Assert.Equal(6L, await fixture.UpstreamScalarAsync<long>($"SELECT sum(id) FROM {table}"));
    }

    /// <summary>
    /// "EXECUTE name" says nothing of what it runs: its review shows the prepared statement too,
    /// and is approved for both (probe CC: approvers saw only "EXECUTE ccpp").
    /// </summary>
    [Fact]
    public async Task Review_OfAnExecute_ShowsWhatItRuns()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var name = await PrepareApprovedDeleteAsync(connection, bob, table);

        var executing = Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"EXECUTE {name}", connection).ExecuteNonQueryAsync());
        var held = await PendingReviewOfAsync(bob, $"EXECUTE {name}");

        Assert.Equal($"EXECUTE {name}\n-- runs the prepared statement:\nDELETE FROM {table}", held.GetProperty("command").Str("sql"));
        await executing;
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    /// <summary>
    /// A driver parses EXECUTE pd: it is held once, at its Execute, and runs on that approval
    /// (probe AT1: held at its Parse and again at its Execute, it never ran, and the first
    /// review's approval was logged as executed).
    /// </summary>
    [Fact]
    public async Task AnExecuteParsedByADriver_IsHeldOnce_AndRunsOnItsApproval()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var name = await PrepareApprovedDeleteAsync(connection, bob, table);

        var executing = new NpgsqlCommand($"EXECUTE {name}", connection).ExecuteNonQueryAsync();
        var held = await PendingReviewOfAsync(bob, $"EXECUTE {name}");
        await bob.PostAsync($"api/requests/{held.Str("id")}/approve", null, HttpStatusCode.OK);

        Assert.Equal(3, await executing);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        var reviews = (await bob.GetJsonAsync("api/requests")).EnumerateArray()
            .Count(r => r.TryGetProperty("command", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.Object
                && c.Str("sql").StartsWith($"EXECUTE {name}", StringComparison.Ordinal));
        Assert.Equal(1, reviews);
    }

    /// <summary><c>PREPARE name AS DELETE FROM table</c> through Npgsql, held and approved by <paramref name="approver"/>; returns the name.</summary>
    private async Task<string> PrepareApprovedDeleteAsync(NpgsqlConnection connection, HttpClient approver, string table)
    {
        var name = "p" + Guid.NewGuid().ToString("N")[..8];
        var preparing = new NpgsqlCommand($"PREPARE {name} AS DELETE FROM {table}", connection).ExecuteNonQueryAsync();
        await approver.PostAsync($"api/requests/{await WaitForReviewAsync(table)}/approve", null, HttpStatusCode.OK);
        await preparing;
        return name;
    }

    /// <summary>The pending command review whose statement starts with <paramref name="sql"/>, within 10 s.</summary>
    private static async Task<System.Text.Json.JsonElement> PendingReviewOfAsync(HttpClient approver, string sql)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var pending = (await approver.GetJsonAsync("api/requests?status=pending")).EnumerateArray()
                .Where(r => r.TryGetProperty("command", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.Object
                    && c.Str("sql").StartsWith(sql, StringComparison.Ordinal))
                .ToList();
            if (pending.Count > 0)
            {
                return pending[0];
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no pending review of {sql}");
    }

    /// <summary>
    /// An approved EXECUTE is recorded with what it ran, as its approvers read it (probe AL3: the
    /// record of one that deleted every row said only "EXECUTE pd").
    /// </summary>
    [Fact]
    public async Task AnApprovedExecute_IsRecordedWithWhatItRan()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();
        await PrepareApprovedDeleteAsync(client, table);
        var marker = PgGatewayFixture.Marker();

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"EXECUTE pd /* {marker} */"));
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{await WaitForReviewAsync(table, pending: true)}/approve", null, HttpStatusCode.OK);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20)), m => m.Type == 'E');

        var run = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal("DELETE 3", run.Str("commandTag"));
        Assert.Equal($"EXECUTE pd /* {marker} */\n-- runs the prepared statement:\nDELETE FROM {table}", run.Str("sql"));
    }

    /// <summary>
    /// A DEALLOCATE that PostgreSQL skipped (after an error in its query, in an aborted
    /// transaction, in an extended batch that failed) left the approved DELETE prepared: its next
    /// EXECUTE is held as the DELETE, not judged as what the skipped PREPARE would have made it
    /// (probe ZA1: every later EXECUTE deleted, unreviewed).
    /// </summary>
    [Theory]
    [InlineData("simple")]
    [InlineData("aborted")]
    [InlineData("extended")]
    [InlineData("parsed")] // probe AA1: a Parse of DEALLOCATE that no Execute ran
    [InlineData("body")] // probe AA1: a DEALLOCATE in a body that never reaches it
    public async Task ASkippedDeallocate_LeavesTheApprovedStatementHeldAtItsNextExecute(string how)
    {
        var table = await TableWithRowsAsync();
        var name = "p" + Guid.NewGuid().ToString("N")[..8];
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"PREPARE {name} AS DELETE FROM {table}"));
        await bob.PostAsync($"api/requests/{await WaitForReviewAsync(table)}/approve", null, HttpStatusCode.OK);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

        var replace = new[] { "SELECT 1/0", $"DEALLOCATE {name}", $"PREPARE {name} AS SELECT 1" };
        switch (how)
        {
            case "simple":
                await client.SendAsync(o => FrontendWriter.WriteQuery(o, string.Join("; ", replace)));
                Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
                break;
            case "aborted":
                foreach (var sql in (string[])["BEGIN", .. replace, "ROLLBACK"])
                {
                    await client.SendAsync(o => FrontendWriter.WriteQuery(o, sql));
                    await client.ReadUntilReadyAsync();
                }

                break;
            case "parsed":
                await client.SendAsync(o => FrontendWriter.WriteParse(o, "", $"DEALLOCATE {name}", []), FrontendWriter.WriteSync);
                await client.ReadUntilReadyAsync();
                await client.SendAsync(o => FrontendWriter.WriteQuery(o, replace[2]));
                Assert.Equal("42P05", Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E').SqlState);
                break;
            case "body":
                await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"DO $$ BEGIN IF false THEN EXECUTE 'DEALLOCATE {name}'; END IF; END $$"));
                Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
                await client.SendAsync(o => FrontendWriter.WriteQuery(o, replace[2]));
                Assert.Equal("42P05", Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E').SqlState);
                break;
            default:
                await client.SendAsync([.. replace.SelectMany<string, Action<System.Buffers.IBufferWriter<byte>>>(sql =>
                    [o => FrontendWriter.WriteParse(o, "", sql, []), o => FrontendWriter.WriteBind(o, "", "", [], [], []), o => FrontendWriter.WriteExecute(o, "", 0)]),
                    FrontendWriter.WriteSync]);
                Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
                break;
        }

        // PostgreSQL skipped the DEALLOCATE: the session still holds the DELETE.
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"SELECT count(*) FROM pg_prepared_statements WHERE name = '{name}' AND statement LIKE '%DELETE%'"));
        Assert.Equal("1", System.Text.Encoding.UTF8.GetString(Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'D').Body[6..]));
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"EXECUTE {name}"));
        var held = Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
        Assert.Contains("review", held.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    /// <summary>
    /// A parsed statement that runs a SQL-prepared one (<c>EXECUTE pd</c>) runs what the name holds
    /// at each Execute: each run is judged by it then (probe AF1: pd closed and prepared again as
    /// an approved DELETE, every later Execute of the parsed statement deleted, unreviewed).
    /// </summary>
    [Fact]
    public async Task AParsedExecuteOfAPreparedName_IsJudgedByWhatTheNameHoldsAtEachRun()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "PREPARE pd AS SELECT 1"));
        await client.ReadUntilReadyAsync();
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "runs_pd", "EXECUTE pd", []), FrontendWriter.WriteSync);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
        await client.SendAsync(o => FrontendWriter.WriteClose(o, Appliance.Wire.Frontend.DescribeTarget.Statement, "pd"), FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();
        await PrepareApprovedDeleteAsync(client, table);

        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "runs_pd", [], [], []), o => FrontendWriter.WriteExecute(o, "", 0), FrontendWriter.WriteSync);
        await AssertHeldAndNothingDeletedAsync(await client.ReadUntilReadyAsync(), table);
    }

    /// <summary>
    /// A portal bound to <c>EXECUTE pd</c> before pd was prepared again as a DELETE runs the DELETE:
    /// its Execute is judged by what pd holds then (probe AG1: it ran unreviewed).
    /// </summary>
    [Fact]
    public async Task APortalBoundToAnExecute_IsJudgedByWhatTheNameHoldsWhenItRuns()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "BEGIN; PREPARE pd AS SELECT 1"));
        await client.ReadUntilReadyAsync();
        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "runs_pd", "EXECUTE pd", []), o => FrontendWriter.WriteBind(o, "p1", "runs_pd", [], [], []),
            FrontendWriter.WriteSync);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "DEALLOCATE pd"));
        await client.ReadUntilReadyAsync();
        await PrepareApprovedDeleteAsync(client, table);

        await client.SendAsync(o => FrontendWriter.WriteExecute(o, "p1", 0), FrontendWriter.WriteSync);
        var answer = await client.ReadUntilReadyAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "COMMIT"));
        await client.ReadUntilReadyAsync();

        await AssertHeldAndNothingDeletedAsync(answer, table);
    }

    /// <summary>
    /// A parsed <c>EXECUTE pd</c> is judged at its Execute, by what pd holds then, not at its Parse
    /// (probe AJ1: pd swapped for an approved DELETE ran on the Parse's approval unreviewed; AT1:
    /// held at both, an approved one never ran). A portal paused by a row limit resumes without a
    /// new judgement (AJ3).
    /// </summary>
    [Fact]
    public async Task AParsedExecute_IsJudgedAtItsExecute_ByWhatTheNameHoldsThen()
    {
        var table = await TableWithRowsAsync();
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"PREPARE pd AS UPDATE {table} SET id = id"));
        await bob.PostAsync($"api/requests/{await WaitForReviewAsync(table, pending: true)}/approve", null, HttpStatusCode.OK);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "runs_pd", "EXECUTE pd", []), FrontendWriter.WriteSync);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "DEALLOCATE pd"));
        await client.ReadUntilReadyAsync();
        await PrepareApprovedDeleteAsync(client, table);

        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "runs_pd", [], [], []), o => FrontendWriter.WriteExecute(o, "", 0), FrontendWriter.WriteSync);
        await AssertHeldAndNothingDeletedAsync(await client.ReadUntilReadyAsync(), table);
    }

    [Fact]
    public async Task APortalPausedByARowLimit_ResumesWithThePlanItStarted()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"BEGIN; PREPARE pd AS SELECT id FROM {table} ORDER BY id"));
        await client.ReadUntilReadyAsync();
        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "runs_pd", "EXECUTE pd", []), o => FrontendWriter.WriteBind(o, "p1", "runs_pd", [], [], []),
            o => FrontendWriter.WriteExecute(o, "p1", 1), FrontendWriter.WriteSync);
        Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"DEALLOCATE pd; PREPARE pd AS DELETE FROM {table} WHERE id = 1"));
        await client.ReadUntilReadyAsync();

        await client.SendAsync(o => FrontendWriter.WriteExecute(o, "p1", 0), FrontendWriter.WriteSync);
        var rest = await client.ReadUntilReadyAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "ROLLBACK"));
        await client.ReadUntilReadyAsync();

        Assert.DoesNotContain(rest, m => m.Type == 'E');
        Assert.Equal(2, rest.Count(m => m.Type == 'D'));
    }

    /// <summary>
    /// A query that forgets no protocol statement leaves them bindable: DEALLOCATE of one SQL name
    /// forgets that name only (probe AG5: every statement Npgsql had prepared then failed to bind),
    /// and the word "deallocate" in a string forgets nothing (AF2).
    /// </summary>
    [Theory]
    [InlineData("PREPARE x AS SELECT 1; EXECUTE x; DEALLOCATE x")]
    [InlineData("SELECT 'how to deallocate memory', 'or discard all of it'")]
    public async Task AQueryThatForgetsNoProtocolStatement_LeavesThemBindable(string query)
    {
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "kept", "SELECT 41 + 1", []), FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, query));
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "kept", [], [], []), o => FrontendWriter.WriteExecute(o, "", 0), FrontendWriter.WriteSync);
        var answer = await client.ReadUntilReadyAsync();

        Assert.DoesNotContain(answer, m => m.Type == 'E');
        Assert.Equal("42", System.Text.Encoding.UTF8.GetString(Assert.Single(answer, m => m.Type == 'D').Body[6..]));
    }

    /// <summary>
    /// SQL EXECUTE of a statement a Parse made shows approvers that statement whole: the rule may
    /// match one statement inside it (a DO block's body) while all of it runs (probe CH: the review
    /// showed only the matched UPDATE of a DO block that also deleted).
    /// </summary>
    [Fact]
    public async Task Review_OfAnExecuteOfAParsedStatement_ShowsItWhole()
    {
        var table = await TableWithRowsAsync();
        await fixture.GrantAsync();
        var body = $"DO $$BEGIN PERFORM 1; DELETE FROM {table}; END$$";
        await using var client = await fixture.RawAliceAsync();
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "pdo", body, []), FrontendWriter.WriteSync);
        await bob.PostAsync($"api/requests/{await WaitForReviewAsync(table)}/approve", null, HttpStatusCode.OK);
        Assert.Equal('I', (await client.ReadUntilReadyAsync())[^1].Status);

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "", "EXECUTE pdo", []),
            o => FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? shown = null;
        while (shown is null && DateTime.UtcNow < deadline)
        {
            shown = (await bob.GetJsonAsync("api/requests?status=pending")).EnumerateArray()
                .Where(r => r.TryGetProperty("command", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.Object && c.Str("sql").StartsWith("EXECUTE pdo", StringComparison.Ordinal))
                .Select(r => r.GetProperty("command").Str("sql")).FirstOrDefault();
            await Task.Delay(50);
        }

        Assert.Equal($"EXECUTE pdo\n-- runs the prepared statement:\n{body}", shown);
        var held = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(15));
        Assert.Contains(held, m => m.Type == 'E' && m.SqlState == "42501");
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Review_ApprovedWhileHeld_RunsTheStatement()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        var running = new NpgsqlCommand($"DELETE FROM {table}", connection).ExecuteNonQueryAsync();

        var review = await WaitForReviewAsync(table);
        await Task.Delay(300);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var approved = await bob.PostAsync($"api/requests/{review}/approve", new { comment = "fine, it is only 4111 1111 1111 1111" }, HttpStatusCode.OK);
        // Comments are masked like the statement they approve.
        Assert.Equal("fine, it is only ****-****-****-1111", approved.GetProperty("approvals")[0].Str("comment"));

        Assert.Equal(3, await running);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));

        // Its record starts when it arrived and lasts the hold (probe AF: it started at the approval, 2 ms long).
        var record = Assert.Single(await fixture.RecordedStatementsAsync(table));
        Assert.Equal("ok", record.Str("outcome"));
        Assert.True(record.GetProperty("durationMs").GetDouble() >= 300, $"recorded {record.GetProperty("durationMs").GetDouble()} ms");

        // The session's replay shows the review: who held it up, who approved, that it ran.
        var sessionId = (await bob.GetJsonAsync($"api/requests/{review}")).GetProperty("command").Str("sessionId");
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        List<string> types = [];
        for (var i = 0; i < 100 && !types.Exists(t => t.StartsWith("command.executed ", StringComparison.Ordinal)); i++)
        {
            // The session's own record is written in the recorder's next batch.
            await Task.Delay(100);
            using var response = await auditor.GetAsync($"api/sessions/{sessionId}/events");
            if (response.IsSuccessStatusCode)
            {
                types = [.. System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
                    .Where(e => e.Str("type") != "statement")
                    .Select(e => e.Str("type") + " " + (e.GetProperty("data").TryGetProperty("actor", out var actor) ? actor.GetString() : ""))];
            }
        }

        Assert.Contains("request.approved bob@example.com", types);

        // The grant's own history holds no session: approvers do not see other people's sessions.
        var grantHistory = (await bob.GetJsonAsync($"api/requests/{await fixture.GrantAsync()}/events")).EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Contains("request.approved", grantHistory);
        Assert.DoesNotContain(grantHistory, t => t.StartsWith("session.", StringComparison.Ordinal));
        Assert.Contains(types, t => t.StartsWith("request.created ", StringComparison.Ordinal));
        Assert.Contains(types, t => t.StartsWith("command.executed ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Review_Denied_FailsWithWhoDeniedAndWhy()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        var running = new NpgsqlCommand($"UPDATE {table} SET id = id + 1", connection).ExecuteNonQueryAsync();

        var review = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{review}/deny", new { reason = "not during the sale, nor to 4111-1111-1111-1111" }, HttpStatusCode.OK);

        var error = await Assert.ThrowsAsync<PostgresException>(() => running);
        Assert.Equal("42501", error.SqlState);
        // What the approver quoted from the data is masked like the statement.
        Assert.Contains("denied by bob@example.com: not during the sale, nor to ****-****-****-1111", error.MessageText, StringComparison.Ordinal);
        Assert.Equal("not during the sale, nor to ****-****-****-1111", (await bob.GetJsonAsync($"api/requests/{review}")).Str("denyReason"));
        Assert.Equal(6L, await fixture.UpstreamScalarAsync<long>($"SELECT sum(id) FROM {table}"));
    }

    /// <summary>
    /// With standard_conforming_strings off, <c>'a\' WHERE id = 1 --'</c> is one string: the UPDATE
    /// has no WHERE and is held, as an UPDATE without one is (probe UB2: it ran on every row).
    /// </summary>
    [Fact]
    public async Task AWhereInsideABackslashQuotedString_DoesNotBoundTheUpdate()
    {
        var table = PgGatewayFixture.TableName("scs");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, v text); INSERT INTO {table} VALUES (1, 'one'), (2, 'two')");
        await using var connection = await fixture.OpenAsync();
        await new NpgsqlCommand("SET standard_conforming_strings = off", connection).ExecuteNonQueryAsync();

        var pending = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand($"UPDATE {table} SET v = 'a\\' WHERE id = 1 --'", connection).ExecuteNonQueryAsync());

        Assert.Equal("42501", pending.SqlState);
        Assert.Contains("held for review", pending.MessageText, StringComparison.Ordinal);

        // A bit string after it in the same simple Query takes no backslash escape in either reading:
        // it hides nothing (probe VA1: the other reading ended inside it, was dropped, and the UPDATE ran).
        await using var raw = await fixture.RawAliceAsync();
        await raw.SendAsync(o => FrontendWriter.WriteQuery(o, "SET standard_conforming_strings = off"));
        await raw.ReadUntilReadyAsync();
        await raw.SendAsync(o => FrontendWriter.WriteQuery(o, $"UPDATE {table} SET v = 'a\\' WHERE id = 1 --'\n;COMMIT;SELECT B'\\'"));
        var hidden = Assert.Single(await raw.ReadUntilReadyAsync(TimeSpan.FromSeconds(20)), m => m.Type == 'E');
        Assert.Contains("held for review", hidden.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table} WHERE v NOT IN ('one', 'two')"));
    }

    /// <summary>
    /// Two simple Queries in one write, the second held: its "held for review" notice comes after
    /// the first's answer, in the order PostgreSQL would answer them (probe QC2: it came first).
    /// </summary>
    [Fact]
    public async Task TheHoldNoticeOfASecondPipelinedQuery_ComesAfterTheFirstsAnswer()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(
            o => FrontendWriter.WriteQuery(o, "SELECT count(*) FROM generate_series(1, 2000000)"),
            o => FrontendWriter.WriteQuery(o, $"DELETE FROM {table}"));
        var messages = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));
        messages.AddRange(await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20)));

        var types = new string([.. messages.Select(m => m.Type)]);
        Assert.StartsWith("TDCZ", types, StringComparison.Ordinal);
        Assert.EndsWith("NEZ", types, StringComparison.Ordinal);
        Assert.Contains("held for review", messages[^3].Message, StringComparison.Ordinal);
        Assert.Equal(6L, await fixture.UpstreamScalarAsync<long>($"SELECT sum(id) FROM {table}"));
    }

    [Fact]
    public async Task Review_StillPending_FailsWithTheReviewId_AndOnceApprovedTheSameStatementPassesOnce()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        var notices = new List<PostgresNotice>();
        connection.Notice += (_, e) => notices.Add(e.Notice);
        var sql = $"DELETE FROM {table}";

        var pending = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync());
        var review = await WaitForReviewAsync(table);
        Assert.Equal("42501", pending.SqlState);
        Assert.Contains($"held for review {review}", pending.MessageText, StringComparison.Ordinal);
        Assert.Contains($"/hoop approve {review}", pending.MessageText, StringComparison.Ordinal);

        // The client was told at the start of the hold what it waits for, not only at its end.
        var told = Assert.Single(notices, n => n.MessageText.Contains($"statement held for review {review}", StringComparison.Ordinal));
        Assert.Contains("Waiting up to", told.MessageText, StringComparison.Ordinal);
        Assert.Contains($"POST /api/requests/{review}/approve", told.Hint, StringComparison.Ordinal);

        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{review}/approve", null, HttpStatusCode.OK);

        Assert.Equal(3, await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync());
        await fixture.UpstreamAsync($"INSERT INTO {table} VALUES (1)");
        var again = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync());
        Assert.Contains("held for review", again.MessageText, StringComparison.Ordinal);
    }

    /// <summary>
    /// Inside a transaction block the pending review's error aborts the transaction: the advice to
    /// run the statement again says it has to wait for the rollback (probe OC2).
    /// </summary>
    [Fact]
    public async Task Review_StillPending_InsideATransaction_SaysToRunItAgainAfterTheRollback()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var pending = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"DELETE FROM {table}", connection, transaction).ExecuteNonQueryAsync());

        Assert.Contains("held for review", pending.MessageText, StringComparison.Ordinal);
        Assert.EndsWith("run it again then, after this transaction, which the error aborts, is rolled back.", pending.MessageText, StringComparison.Ordinal);
        await transaction.RollbackAsync();
        var outside = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"DELETE FROM {table}", connection).ExecuteNonQueryAsync());
        Assert.EndsWith("run it again then.", outside.MessageText, StringComparison.Ordinal);
    }

    /// <summary>
    /// The person runs the approved statement from another session under the same grant: the
    /// review names that session and its <c>command.executed</c> is in that session's replay, where
    /// the statement ran (probe JC2: it was chained to the held session, and the one that ran it showed no review).
    /// </summary>
    [Fact]
    public async Task Review_ApprovedAndSpentInAnotherSession_IsInTheReplayOfTheSessionItRanIn()
    {
        var table = await TableWithRowsAsync();
        var sql = $"DELETE FROM {table}";
        await using (var held = await fixture.OpenAsync())
        {
            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(sql, held).ExecuteNonQueryAsync())).SqlState);
        }

        var review = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{review}/approve", null, HttpStatusCode.OK);
        var marker = "ranin_" + PgGatewayFixture.Marker();
        await using var other = await fixture.OpenAsync();
        await new NpgsqlCommand($"SELECT '{marker}'", other).ExecuteScalarAsync();
        Assert.Equal(3, await new NpgsqlCommand(sql, other).ExecuteNonQueryAsync());

        var ranIn = await SessionOfAsync(marker);
        var command = (await bob.GetJsonAsync($"api/requests/{review}")).GetProperty("command");
        Assert.Equal(ranIn, command.Str("ranIn"));
        Assert.NotEqual(ranIn, command.Str("sessionId"));
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var replay = await auditor.GetJsonAsync($"api/sessions/{ranIn}/events");
        var executed = Assert.Single(replay.EnumerateArray(), e => e.Str("type") == "command.executed");
        Assert.Equal(review, executed.GetProperty("data").GetProperty("request").Str("id"));

        // The chain still verifies: naming the session is a change the gateway makes (probe KA4).
        var verify = await auditor.GetJsonAsync("api/audit/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
    }

    /// <summary>
    /// Where an approval was spent is the gateway's to say: a ranIn written into the store before
    /// the statement runs in its own session is not carried into the chain (probe LB5).
    /// </summary>
    [Fact]
    public async Task Review_RanInWrittenIntoTheStore_IsNotChained()
    {
        var table = await TableWithRowsAsync();
        var sql = $"DELETE FROM {table}";
        await using var connection = await fixture.OpenAsync();
        await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync());
        var review = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{review}/approve", null, HttpStatusCode.OK);

        await using (var store = await fixture.Gateway.Service<Appliance.Gateway.Store.StoreDatabase>().OpenAsync())
        {
            var command = System.Text.Json.Nodes.JsonNode.Parse(
                await Dapper.SqlMapper.ExecuteScalarAsync<string>(store, "SELECT command FROM requests WHERE id = @review", new { review }) ?? "{}")!;
            command["ranIn"] = "sforged0000";
            await Dapper.SqlMapper.ExecuteAsync(store, "UPDATE requests SET command = @command WHERE id = @review", new { command = command.ToJsonString(), review });
        }

        Assert.Equal(3, await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync());

        var spent = (await bob.GetJsonAsync($"api/requests/{review}")).GetProperty("command");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, spent.GetProperty("ranIn").ValueKind);
    }

    /// <summary>
    /// A pipelining client's SELECT still runs upstream while the DELETE sent after it is held: a
    /// CancelRequest cancels the SELECT, as PostgreSQL would cancel what runs, and the DELETE stays
    /// held (probe OB2: the cancel ended the hold, and the SELECT ran to its end).
    /// </summary>
    [Fact]
    public async Task Cancel_WhileAStatementAheadOfAHoldRuns_CancelsThatStatement_AndTheHoldGoesOn()
    {
        var table = await TableWithRowsAsync();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT pg_sleep(8)"), o => FrontendWriter.WriteQuery(o, $"DELETE FROM {table}"));
        var review = await WaitForReviewAsync(table);

        await using (var cancel = fixture.Tls ? await RawPgClient.ConnectTlsAsync(fixture.Port) : await RawPgClient.ConnectAsync(fixture.Port))
        {
            await cancel.SendAsync(o => FrontendWriter.WriteCancelRequest(o, client.ProcessId, client.SecretKey));
            await cancel.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));
        }

        var sleep = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("57014", Assert.Single(sleep, m => m.Type == 'E').SqlState);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{review}/approve", null, HttpStatusCode.OK);
        var delete = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(delete, m => m.Type == 'E');
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Review_CancelledByTheClientWhileHeld_IsNotRun_AndItsReviewIsWithdrawn()
    {
        var table = await TableWithRowsAsync();
        var sql = $"DELETE FROM {table}";
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var running = command.ExecuteNonQueryAsync();
        var review = await WaitForReviewAsync(table);

        command.Cancel(); // a CancelRequest on a connection of its own, as psql's Ctrl-C sends
        // Npgsql reports a cancel it asked for as OperationCanceledException over the server's error.
        var thrown = await Assert.ThrowsAsync<OperationCanceledException>(() => running);
        var cancelled = Assert.IsType<PostgresException>(thrown.InnerException);
        Assert.Equal("57014", cancelled.SqlState);
        Assert.Contains($"review {review}", cancelled.MessageText, StringComparison.Ordinal);

        await AssertWithdrawnAndNeverRunAsync(review, table, sql, "canceling statement due to user request");
        // The session goes on, as after a cancel in PostgreSQL.
        Assert.Equal(3L, await new NpgsqlCommand($"SELECT count(*) FROM {table}", connection).ExecuteScalarAsync());
    }

    [Fact]
    public async Task Review_ClientGoneWhileHeld_IsNotRun_AndItsReviewIsWithdrawn()
    {
        var table = await TableWithRowsAsync();
        var sql = $"DELETE FROM {table}";
        await fixture.GrantAsync();
        using var psql = StartPsql(sql);
        string review;
        try
        {
            review = await WaitForReviewAsync(table);
        }
        catch (TimeoutException) when (psql.HasExited)
        {
            throw new InvalidOperationException($"psql exited {psql.ExitCode}: {await psql.StandardError.ReadToEndAsync()}");
        }

        psql.Kill(); // SIGKILL: the connection just closes
        await psql.WaitForExitAsync();

        await AssertWithdrawnAndNeverRunAsync(review, table, sql, "the client disconnected");
    }

    /// <summary>
    /// A client that says Terminate and closes while its statement is held is gone too, though its
    /// Terminate (and over TLS its close_notify) is still unread (probe AT2: it looked still there
    /// until the hold ran out, and its review stayed pending).
    /// </summary>
    [Fact]
    public async Task Review_ClientThatTerminatedWhileHeld_IsGone_AndItsReviewIsWithdrawn()
    {
        var table = await TableWithRowsAsync();
        var sql = $"DELETE FROM {table}";
        var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, sql));
        var review = await WaitForReviewAsync(table);

        await client.SendAsync(FrontendWriter.WriteTerminate);
        await client.DisposeAsync();

        await AssertWithdrawnAndNeverRunAsync(review, table, sql, "the client disconnected");
    }

    /// <summary>
    /// A review ends with its grant: an approval not yet used, good only under the grant it was
    /// held under, showed "may run once" until its own expiry (probe BA); one nobody decided asked
    /// approvers to decide a statement that could no longer run.
    /// </summary>
    [Theory]
    [InlineData(true, "expired", null, "grant {0} ended")]
    [InlineData(false, "cancelled", "system", "grant {0} ended: the statement cannot run under it")]
    public async Task Review_EndsWithItsGrant(bool approved, string status, string? endedBy, string endReason)
    {
        var table = await TableWithRowsAsync();
        var grant = await fixture.RequestAndApproveAsync(fixture.AliceToken, "demo", "1h");
        var password = await fixture.GrantCredentialAsync(fixture.AliceToken, grant);
        await using (var connection = new NpgsqlConnection(fixture.ConnectionString(password: password).ConnectionString))
        {
            await connection.OpenAsync();
            await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"DELETE FROM {table}", connection).ExecuteNonQueryAsync());
        }

        var review = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var open = approved
            ? (await bob.PostAsync($"api/requests/{review}/approve", null, HttpStatusCode.OK)).Str("status")
            : (await bob.GetJsonAsync($"api/requests/{review}")).Str("status");
        Assert.Equal(approved ? "active" : "pending", open);

        await bob.PostAsync($"api/requests/{grant}/revoke", new { reason = "incident over" }, HttpStatusCode.OK);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        System.Text.Json.JsonElement state;
        while ((state = await bob.GetJsonAsync($"api/requests/{review}")).Str("status") == open)
        {
            Assert.True(DateTime.UtcNow < deadline, "the review outlived its grant");
            await Task.Delay(50);
        }

        Assert.Equal(status, state.Str("status"));
        Assert.Equal(endedBy, state.GetProperty("endedBy").ValueKind == System.Text.Json.JsonValueKind.Null ? null : state.Str("endedBy"));
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, endReason, grant), state.Str("endReason"));
        await bob.PostAsync($"api/requests/{review}/approve", null, HttpStatusCode.Conflict);
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Review_OfASessionCutByItsGrantsEnd_IsWithdrawn_AndNotRun()
    {
        var table = await TableWithRowsAsync();
        var sql = $"DELETE FROM {table}";
        var grant = await fixture.RequestAndApproveAsync(fixture.AliceToken, "demo", "1h");
        var password = await fixture.GrantCredentialAsync(fixture.AliceToken, grant);
        await using var connection = new NpgsqlConnection(fixture.ConnectionString(password: password).ConnectionString);
        await connection.OpenAsync();
        var held = new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
        var review = await WaitForReviewAsync(table);

        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{grant}/revoke", new { reason = "incident over" }, HttpStatusCode.OK);

        await Assert.ThrowsAnyAsync<Exception>(() => held);
        // Ended by the system, as the grant was: alice did nothing (probe DD). By the hold's end or by
        // the grant's, whichever comes first: both say why.
        await AssertWithdrawnAndNeverRunAsync(review, table, sql, $"grant {grant}", endedBy: "system");
    }

    [Fact]
    public async Task Review_ApprovedJustAsTheClientLeaves_IsNotRun()
    {
        var table = await TableWithRowsAsync();
        await fixture.GrantAsync();
        using var psql = StartPsql($"DELETE FROM {table}");
        var review = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);

        psql.Kill();
        await psql.WaitForExitAsync();
        // At once, before the hold's next look at the client: the approval may win the race.
        using var approve = await bob.PostAsync($"api/requests/{review}/approve", null);

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        var state = await bob.GetJsonAsync($"api/requests/{review}");
        if (approve.IsSuccessStatusCode)
        {
            // The approval won the race: the hold revoked it, or the statement spent it and then did not
            // run, which the review must say rather than "executed".
            Assert.True(
                state.Str("status") == "revoked" || (state.Str("status") == "expired" && state.Str("endReason") == "abandoned"),
                state.ToString());
        }
        else
        {
            Assert.Equal("cancelled", state.Str("status"));
        }
    }

    /// <summary>psql as alice running <paramref name="sql"/>, left running: a test kills it to leave mid-statement.</summary>
    private System.Diagnostics.Process StartPsql(string sql) => System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(ProcessRunner.Psql)
    {
        UseShellExecute = false,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        ArgumentList = { "-X", "-h", "127.0.0.1", "-p", fixture.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", Appliance.Tests.Common.Gateway.TestPolicies.Alice, "-d", "demo", "-c", sql },
        Environment = { ["PGPASSWORD"] = fixture.AliceToken, ["PGSSLMODE"] = fixture.Tls ? "require" : "disable" },
    })!;

    /// <summary>The review ends cancelled (approving it is refused), the rows are all there, and the record says why.</summary>
    private async Task AssertWithdrawnAndNeverRunAsync(string review, string table, string sql, string endReason, string endedBy = "alice@example.com")
    {
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var status = "";
        while (DateTime.UtcNow < deadline && (status = (await bob.GetJsonAsync($"api/requests/{review}")).Str("status")) == "pending")
        {
            await Task.Delay(50);
        }

        Assert.Equal("cancelled", status);
        await bob.PostAsync($"api/requests/{review}/approve", null, HttpStatusCode.Conflict);
        var ended = await bob.GetJsonAsync($"api/requests/{review}");
        var sessionId = ended.GetProperty("command").Str("sessionId");

        // Withdrawn for the requester (or by the system, when the session ended), and the review says what ended the hold.
        Assert.Equal(endedBy, ended.Str("endedBy"));
        Assert.Contains(endReason, ended.Str("endReason"), StringComparison.Ordinal);

        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var statements = await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql") == sql, 1);
        var record = Assert.Single(statements, s => s.Str("sql") == sql);
        Assert.Equal("cancelled", record.Str("outcome"));
        // It started when it arrived, and lasted until it was abandoned.
        Assert.True(record.GetProperty("durationMs").GetDouble() > 0);
        Assert.Equal("unbounded-write", record.Str("guardrail"));
        Assert.Contains($"review {review}", record.Str("error"), StringComparison.Ordinal);

        // Past the hold: nothing ran it meanwhile.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Review_ShowsApproversTheMaskedStatement_AndTheApprovalFitsOnlyTheExactOne()
    {
        var table = PgGatewayFixture.TableName("revcard");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, note text); INSERT INTO {table} VALUES (1, 'x')");
        await using var connection = await fixture.OpenAsync();
        var sql = $"UPDATE {table} SET note = 'card 4111 1111 1111 1111'";

        await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync());
        var id = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var review = await bob.GetJsonAsync($"api/requests/{id}");
        var shown = review.GetProperty("command").Str("sql");
        Assert.Contains("****-****-****-1111", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("4111 1111 1111 1111", review.GetRawText(), StringComparison.Ordinal);

        await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        // Another statement that masks to the same text is not what was approved.
        var other = $"UPDATE {table} SET note = 'card 5555 5555 5553 1111'";
        var refused = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(other, connection).ExecuteNonQueryAsync());
        Assert.Contains("held for review", refused.MessageText, StringComparison.Ordinal);
        Assert.Equal(1, await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync());
    }

    [Theory]
    [InlineData("DO $$ /* password={0} */ BEGIN DELETE FROM {1}; END $$")]
    [InlineData("DO E'/* password={0} */ BEGIN DELETE FROM {1}; END'")]
    public async Task Review_OfABodyMentioningAPassword_ShowsApproversAndTheAuditWhatWouldRun(string body)
    {
        var table = PgGatewayFixture.TableName("revpw");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int); INSERT INTO {table} VALUES (1)");
        await using var connection = await fixture.OpenAsync();
        var sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, body, "x", table);

        await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync());
        var id = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var shown = (await bob.GetJsonAsync($"api/requests/{id}")).GetProperty("command").Str("sql");

        // Hidden whole as a password literal, the body was 'DO '****'' and approvers approved blind (probe AM).
        // The comment naming the password is hidden whole (probe HA3); the code around it is shown.
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, body.Replace("password={0}", "{0}", StringComparison.Ordinal), "****", table), shown);
        var recorded = await fixture.RecordedStatementsAsync(table);
        Assert.Contains(recorded, s => s.Str("sql") == shown);
    }

    [Fact]
    public async Task RegexRule_SeesThroughCommentsAndCase()
    {
        await using var connection = await fixture.OpenAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand("select /* nap */ PG_SLEEP( 30 )", connection).ExecuteNonQueryAsync());

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("no-sleep", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SqlPrepareAndExecute_AreTrackedAcrossStatements_AndAnUnknownNameFailsClosed()
    {
        await using var connection = await fixture.OpenAsync();
        var name = "p_" + Guid.NewGuid().ToString("N")[..8];

        await new NpgsqlCommand($"PREPARE {name} AS SELECT 41 + 1", connection).ExecuteNonQueryAsync();
        var result = await new NpgsqlCommand($"EXECUTE {name}", connection).ExecuteScalarAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand("EXECUTE prepared_elsewhere", connection).ExecuteNonQueryAsync());

        Assert.Equal(42, result);
        Assert.Equal("42501", error.SqlState);
        Assert.StartsWith(
            "blocked: it executes a prepared statement the gateway did not see prepared in this session (none of that name was, or its PREPARE was refused)",
            error.MessageText, StringComparison.Ordinal);
        // Not a list of every guardrail, which read as a block by some rule (probe DA6).
        Assert.DoesNotContain("guardrails that may apply", error.MessageText, StringComparison.Ordinal);
    }

    /// <summary>
    /// A PREPARE that did not run (held for review and denied) prepared nothing: an EXECUTE of its
    /// name is refused at once, not held for an approval of a body PostgreSQL does not have (probe
    /// DO1: approvers were asked to approve "runs the prepared statement: DELETE …", which then failed 26000).
    /// </summary>
    [Fact]
    public async Task APrepareThatDidNotRun_PreparesNothingForExecute()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        var name = "p_" + Guid.NewGuid().ToString("N")[..8];

        var preparing = new NpgsqlCommand($"PREPARE {name} AS DELETE FROM {table}", connection).ExecuteNonQueryAsync();
        var review = await WaitForReviewAsync(table);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{review}/deny", null, HttpStatusCode.OK);
        var denied = await Assert.ThrowsAsync<PostgresException>(() => preparing);
        var execute = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"EXECUTE {name}", connection).ExecuteNonQueryAsync());

        Assert.Contains("denied by bob@example.com", denied.MessageText, StringComparison.Ordinal);
        Assert.Equal("42501", execute.SqlState);
        Assert.StartsWith("blocked: it executes a prepared statement the gateway did not see prepared in this session", execute.MessageText, StringComparison.Ordinal);
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task UnclassifiableStatement_ThatARuleCouldMatch_IsBlocked()
    {
        await using var connection = await fixture.OpenAsync();

        // An unterminated quote: the engine cannot tell what runs, so rules with statement kinds fail closed.
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand("SELECT 'never closed", connection) { AllResultTypesAreUnknown = true }.ExecuteNonQueryAsync());

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("could not analyse the statement", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SqlThatRunsFromAValue_IsJudged_AndNothingOfItRuns()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();

        // Computed dynamic SQL and a U&"…" name cannot be read: refused whatever the rule.
        foreach (var sql in new[] { $"DO $$ begin execute 'DR'||'OP TABLE {table}'; end $$", "select U&\"pg\\005fsleep\"(10)" })
        {
            var unreadable = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync());
            Assert.Equal("42501", unreadable.SqlState);
            Assert.Contains("could not analyse the statement", unreadable.MessageText, StringComparison.Ordinal);

            // Not in the name of the first rule that matches anything unreadable (the built-in one on roles): all of them, the connection's first.
            Assert.DoesNotContain("guardrail \"upstream-role\"", unreadable.MessageText, StringComparison.Ordinal);
            Assert.Matches("guardrails that may apply: destructive-ddl, .*upstream-role, other-sessions, server-files, operators, system-catalogs, session-end$", unreadable.MessageText);
        }

        var blocked = await WaitForEventAsync("guardrail.blocked", e => e.Str("statement").Contains("pg\\005fsleep", StringComparison.Ordinal));
        Assert.StartsWith("destructive-ddl, ", blocked.Str("rule"), StringComparison.Ordinal);
        Assert.Contains("could not analyse the statement", blocked.Str("message"), StringComparison.Ordinal);

        // A query given to a function as one literal is judged by what it is.
        var dropped = await Assert.ThrowsAsync<PostgresException>(() =>
            new NpgsqlCommand($"select query_to_xml('DROP TABLE {table}', true, false, '')", connection).ExecuteNonQueryAsync());
        Assert.Contains("blocked by guardrail \"destructive-ddl\"", dropped.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain("could not analyse", dropped.MessageText, StringComparison.Ordinal);

        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        var xml = (string?)await new NpgsqlCommand($"select query_to_xml('select id from {table} where id = 2', true, false, '')::text", connection).ExecuteScalarAsync();
        // It runs; on this connection, which masks columns, a whole query's result as one value is masked whole.
        Assert.Equal("****", xml);
        await new NpgsqlCommand("DO $$ begin execute 'select 1'; end $$", connection).ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task MergeThatDeletes_IsHeldForReview_OnTheExtendedProtocolToo()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        var merge = new NpgsqlCommand($"MERGE INTO {table} t USING (SELECT @id AS id) s ON t.id >= s.id WHEN MATCHED THEN DELETE", connection);
        merge.Parameters.AddWithValue("id", 1);

        var pending = await Assert.ThrowsAsync<PostgresException>(() => merge.ExecuteNonQueryAsync());

        Assert.Equal("42501", pending.SqlState);
        Assert.Contains("held for review", pending.MessageText, StringComparison.Ordinal);
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task EveryStatement_IsRecordedWithItsOutcome_MaskedLiteralsAndSampleRows()
    {
        var table = PgGatewayFixture.TableName("rec");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, ssn text, card text); INSERT INTO {table} VALUES (1, '123-45-6789', '4111111111111111')");
        string sessionId;
        await using (var connection = await fixture.OpenAsync())
        {
            await new NpgsqlCommand($"SELECT * FROM {table} WHERE card <> '4111111111111111'", connection).ExecuteNonQueryAsync();
            await using (var select = new NpgsqlCommand($"SELECT id, ssn, card FROM {table} WHERE id = @id", connection))
            {
                select.Parameters.AddWithValue("id", 1);
                await using var reader = await select.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                }
            }

            await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"DROP TABLE {table}", connection).ExecuteNonQueryAsync());
            sessionId = await SessionIdAsync(table);
        }

        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var all = await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql").Contains(table, StringComparison.Ordinal), 3);
        var statements = all.Where(s => s.Str("sql").Contains(table, StringComparison.Ordinal)).ToList();

        // Drivers send their own queries too (Npgsql reads the type catalog): every one is recorded, in order.
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(s => s.GetProperty("seq").GetInt64()));
        Assert.Equal(3, statements.Count);
        Assert.Equal("ok", statements[0].Str("outcome"));
        Assert.Equal("SELECT 0", statements[0].Str("commandTag"));
        Assert.DoesNotContain("4111111111111111", statements[0].Str("sql"), StringComparison.Ordinal);
        Assert.Equal("ok", statements[1].Str("outcome"));
        Assert.Equal("SELECT 1", statements[1].Str("commandTag"));
        Assert.Equal(1, statements[1].GetProperty("rows").GetInt64());
        Assert.Equal(["id", "ssn", "card"], statements[1].GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var sample = statements[1].GetProperty("sampleRows")[0].EnumerateArray().Select(v => v.GetString()).ToList();
        Assert.Equal("1", sample[0]);
        Assert.Equal("****", sample[1]);
        Assert.DoesNotContain("4111111111111111", sample[2], StringComparison.Ordinal);
        Assert.Equal("blocked", statements[2].Str("outcome"));
        Assert.Equal("destructive-ddl", statements[2].Str("guardrail"));
    }

    /// <summary>
    /// A password set in a session and read back (SHOW, current_setting), or carried
    /// in application_name, stays out of the audit log (probe AX): the statement's text hides the
    /// literal, its sample rows keep no values, the session keeps no application name.
    /// </summary>
    [Fact]
    public async Task PasswordReadBack_IsNotKeptInSampleRows_NorInTheApplicationName()
    {
        var marker = PgGatewayFixture.TableName("pwread");
        var secret = "pw" + Guid.NewGuid().ToString("N")[..12];
        await fixture.GrantAsync();
        var builder = fixture.ConnectionString();
        builder.ApplicationName = $"etl password={secret}";
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand($"SET my.password = '{secret}'", connection).ExecuteNonQueryAsync();
            Assert.Equal(secret, await new NpgsqlCommand("SHOW my.password", connection).ExecuteScalarAsync());
            Assert.Equal(secret, await new NpgsqlCommand("SELECT current_setting('my.password')", connection).ExecuteScalarAsync());
            // A setting's name computed, so the statement does not name a password (probe AZ); and a
            // row that names a password keeps no values, though its statement does not name one.
            Assert.Equal(secret, await new NpgsqlCommand("SELECT current_setting('my.pass' || 'word')", connection).ExecuteScalarAsync());
            await new NpgsqlCommand("SELECT 'my.pass' || 'word', 'x'", connection).ExecuteScalarAsync();
            // Read back through a failing cast, the value is in the error: the client's, not the record's (probe CA).
            var cast = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand("SELECT current_setting('my.pass' || 'word')::int", connection).ExecuteScalarAsync());
            Assert.Contains(secret, cast.MessageText, StringComparison.Ordinal);
            await new NpgsqlCommand($"SELECT 'visible {marker}'", connection).ExecuteScalarAsync();
            await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"DROP TABLE {marker}", connection).ExecuteNonQueryAsync());
        }

        var sessionId = await SessionIdAsync(marker);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var records = await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql").Contains(marker, StringComparison.Ordinal), 2);
        Assert.DoesNotContain(secret, await auditor.GetStringAsync($"api/sessions/{sessionId}/events"), StringComparison.Ordinal);

        List<string?> Sample(string sql) =>
            [.. Assert.Single(records, s => s.Str("sql") == sql).GetProperty("sampleRows")[0].EnumerateArray().Select(v => v.GetString())];
        Assert.Equal(["****"], Sample("SHOW my.password"));
        Assert.Equal(["****"], Sample("SELECT current_setting('****')"));
        Assert.Equal(["****"], Sample("SELECT current_setting('my.pass' || 'word')"));
        Assert.Equal(["****", "****"], Sample("SELECT 'my.pass' || 'word', 'x'"));
        Assert.Equal("22P02: invalid input syntax for type integer: ****",
            Assert.Single(records, s => s.Str("sql") == "SELECT current_setting('my.pass' || 'word')::int").Str("error"));
        Assert.Equal([$"visible {marker}"], Sample($"SELECT 'visible {marker}'"));

        var sessions = await auditor.GetStringAsync($"api/sessions?user={Uri.EscapeDataString(Appliance.Tests.Common.Gateway.TestPolicies.Alice)}");
        Assert.DoesNotContain(secret, sessions, StringComparison.Ordinal);
        var session = System.Text.Json.JsonDocument.Parse(sessions).RootElement.EnumerateArray().Single(s => s.Str("id") == sessionId);
        Assert.Equal("****", session.Str("application"));
    }

    /// <summary>
    /// A password passed as a parameter of a statement that handles one (a setting written with
    /// set_config, a connection string built with ||) holds nothing the detectors know: the
    /// record keeps none of such a statement's parameters (probe FC2).
    /// </summary>
    [Fact]
    public async Task APasswordPassedAsAParameter_IsNotKeptInTheRecord()
    {
        var marker = PgGatewayFixture.TableName("pwparam");
        var secret = "pw" + Guid.NewGuid().ToString("N")[..12];
        await fixture.GrantAsync();
        await using (var connection = await fixture.OpenAsync())
        {
            async Task<object?> Scalar(string sql, params object[] values)
            {
                await using var command = new NpgsqlCommand(sql, connection);
                foreach (var value in values)
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = value });
                }

                return await command.ExecuteScalarAsync();
            }

            // Marked by an alias: a comment in a statement that names a password is hidden whole.
            Assert.Equal(secret, await Scalar($"SELECT set_config('my.password', $1, false) AS {marker}", secret));
            // A setting named by a parameter is refused (session-end), and its record keeps no password either.
            var named = await Assert.ThrowsAsync<PostgresException>(() => Scalar($"SELECT set_config($1, $2, false) AS {marker}", "my.password", secret));
            Assert.Contains("session-end", named.MessageText, StringComparison.Ordinal);
            Assert.Equal($"host=x password={secret}", await Scalar($"SELECT 'host=x password=' || $1 AS {marker}", secret));
            Assert.Equal("visible", await Scalar($"SELECT $1::text AS {marker}", "visible"));
            await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"DROP TABLE {marker}", connection).ExecuteNonQueryAsync());
        }

        var sessionId = await SessionIdAsync(marker);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var records = await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql").Contains(marker, StringComparison.Ordinal), 5);
        Assert.DoesNotContain(secret, await auditor.GetStringAsync($"api/sessions/{sessionId}/events"), StringComparison.Ordinal);
        Assert.Equal(["visible"], Assert.Single(records, s => s.Str("sql").StartsWith("SELECT $1::text", StringComparison.Ordinal))
            .GetProperty("parameters").EnumerateArray().Select(v => v.GetString()));
    }

    /// <summary>
    /// A password as a startup parameter named like one, a RAISE whose message is a password
    /// setting, and a card sent as bytea's hex text stay out of the record (probes GD1, GD6, GD7).
    /// </summary>
    [Fact]
    public async Task APasswordInAStartupSettingOrARaisedMessage_AndACardInHex_AreNotKeptInTheRecord()
    {
        var marker = PgGatewayFixture.TableName("pwstart");
        var secret = "pw" + Guid.NewGuid().ToString("N")[..12];
        await fixture.GrantAsync();
        await using (var client = fixture.Tls ? await RawPgClient.ConnectTlsAsync(fixture.Port) : await RawPgClient.ConnectAsync(fixture.Port))
        {
            // PostgreSQL drops the backslash of options: this sets my.password too (probe HA5).
            await client.SendStartupAsync(Appliance.Tests.Common.Gateway.TestPolicies.Alice, "demo", fixture.AliceToken,
                new KeyValuePair<string, string>("my.password", secret), new KeyValuePair<string, string>("options", $"-c my.pass\\word={secret}"));
            Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"DO $$BEGIN RAISE EXCEPTION '%', current_setting('my.password'); END$$ /* {marker} */"));
            Assert.Contains(secret, Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E').Message, StringComparison.Ordinal);
            await client.SendAsync(
                o => FrontendWriter.WriteParse(o, "", $"SELECT length($1::bytea) /* {marker} */", [17]),
                o => FrontendWriter.WriteBind(o, "", "", [], [System.Text.Encoding.ASCII.GetBytes("\\x" + Convert.ToHexString("4111111111111111"u8))], []),
                o => FrontendWriter.WriteExecute(o, "", 0),
                FrontendWriter.WriteSync);
            Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
            // Whitespace between the hex pairs, which PostgreSQL takes (probe HA9).
            var spaced = "\\x" + string.Join(' ', Convert.ToHexString("4111111111111111"u8).Chunk(2).Select(pair => new string(pair)));
            await client.SendAsync(
                o => FrontendWriter.WriteParse(o, "", $"SELECT length($1::bytea) AS spaced /* {marker} */", [17]),
                o => FrontendWriter.WriteBind(o, "", "", [], [System.Text.Encoding.ASCII.GetBytes(spaced)], []),
                o => FrontendWriter.WriteExecute(o, "", 0),
                FrontendWriter.WriteSync);
            Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
            // A SQL-prepared statement reading the password runs under EXECUTE's text (probe HA2).
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"PREPARE hp AS SELECT current_setting('my.password') AS {marker}"));
            await client.ReadUntilReadyAsync();
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, "EXECUTE hp"));
            Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"DROP TABLE {marker}"));
            await client.ReadUntilReadyAsync();
        }

        var sessionId = await SessionIdAsync(marker);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        // The two hex Binds, PREPARE and the DROP name the marker; the DO's comment is hidden, as it names a password.
        var records = await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql").Contains(marker, StringComparison.Ordinal), 4);
        var events = await auditor.GetStringAsync($"api/sessions/{sessionId}/events");
        Assert.DoesNotContain(secret, events, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString("4111111111111111"u8), events, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["****"], Assert.Single(records, s => s.Str("sql").StartsWith("SELECT length($1::bytea) /*", StringComparison.Ordinal))
            .GetProperty("parameters").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["****"], Assert.Single(records, s => s.Str("sql").StartsWith("SELECT length($1::bytea) AS spaced", StringComparison.Ordinal))
            .GetProperty("parameters").EnumerateArray().Select(v => v.GetString()));
        var sessions = await auditor.GetStringAsync($"api/sessions?user={Uri.EscapeDataString(Appliance.Tests.Common.Gateway.TestPolicies.Alice)}");
        Assert.DoesNotContain(secret, sessions, StringComparison.Ordinal);
    }

    /// <summary>
    /// A session's guardrail events are chained (and so delivered to chat) in the order of its
    /// statements: written concurrently, they raced for the chain (probe AW saw 3rd, 2nd, 1st, 4th).
    /// </summary>
    [Fact]
    public async Task ASessionsBlocks_AreChainedInTheOrderOfItsStatements()
    {
        var marker = PgGatewayFixture.TableName("order");
        await using (var connection = await fixture.OpenAsync())
        {
            for (var i = 1; i <= 6; i++)
            {
                await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"DROP TABLE {marker}_{i}", connection).ExecuteNonQueryAsync());
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<System.Text.Json.JsonElement> blocks;
        while ((blocks = [.. (await fixture.EventsAsync("guardrail.blocked")).Where(e => e.Str("statement").Contains(marker, StringComparison.Ordinal))]).Count < 6)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{blocks.Count} of 6 guardrail.blocked events");
            await Task.Delay(50);
        }

        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"DROP TABLE {marker}_{i}"), blocks.Select(e => e.Str("statement")));
        var numbers = blocks.Select(e => e.GetProperty("statementSeq").GetInt64()).ToList();
        Assert.Equal(numbers.Order(), numbers);
    }

    [Fact]
    public async Task ChangingTheSharedUpstreamRole_IsBlockedOnEveryConnection_AndItsPasswordNeverRecorded()
    {
        var marker = PgGatewayFixture.TableName("role");
        var secret = "pw-" + Guid.NewGuid().ToString("N");
        await using (var connection = await fixture.OpenAsync())
        {
            var blocked = await Assert.ThrowsAsync<PostgresException>(
                () => new NpgsqlCommand($"ALTER ROLE current_user PASSWORD '{secret}'", connection).ExecuteNonQueryAsync());
            Assert.Equal("42501", blocked.SqlState);
            Assert.Contains("\"upstream-role\"", blocked.MessageText, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, blocked.MessageText + blocked.Detail, StringComparison.Ordinal);

            var setting = await Assert.ThrowsAsync<PostgresException>(
                () => new NpgsqlCommand($"ALTER ROLE current_user SET application_name = '{marker}'", connection).ExecuteNonQueryAsync());
            Assert.Equal("42501", setting.SqlState);
        }

        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>(
            $"SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = '{fixture.Upstream.User}'"));
        var sessionId = await SessionIdAsync(marker);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var records = await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql").StartsWith("ALTER ROLE", StringComparison.Ordinal), 2);
        var password = Assert.Single(records, s => s.Str("sql").Contains("PASSWORD", StringComparison.Ordinal));
        Assert.Equal("blocked", password.Str("outcome"));
        Assert.Equal("upstream-role", password.Str("guardrail"));
        Assert.Equal("ALTER ROLE current_user PASSWORD '****'", password.Str("sql"));
        Assert.DoesNotContain(secret, string.Join("\n", (await fixture.EventsAsync("guardrail.blocked")).Select(e => e.ToString())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BinaryParameters_AreRecordedAsText_ReadByTheirType_WithCardsAndSsnsMasked()
    {
        // Npgsql sends every parameter in binary: a card as text, int8, numeric or bytea must not reach the log as readable hex.
        var table = PgGatewayFixture.TableName("par");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        string sessionId;
        await using (var connection = await fixture.OpenAsync())
        {
            await using (var select = new NpgsqlCommand($"SELECT @card, @ssn, @long, @amount, @raw, @id, @price, @uri FROM {table}", connection))
            {
                select.Parameters.AddWithValue("card", "4111 1111 1111 1111");
                select.Parameters.AddWithValue("ssn", "ssn 123-45-6789");
                select.Parameters.AddWithValue("long", 4111111111111111L);
                select.Parameters.AddWithValue("amount", 4111111111111111m);
                select.Parameters.AddWithValue("raw", "card 4111-1111-1111-1111"u8.ToArray());
                select.Parameters.AddWithValue("id", 42);
                select.Parameters.AddWithValue("price", 12.50m);
                select.Parameters.AddWithValue("uri", "postgresql://u:s3cret@h/d");
                await select.ExecuteNonQueryAsync();
            }

            await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"DROP TABLE {table}", connection).ExecuteNonQueryAsync());
            sessionId = await SessionIdAsync(table);
        }

        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var all = await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql").StartsWith("SELECT $1", StringComparison.Ordinal), 1);
        var parameters = all.Single(s => s.Str("sql").StartsWith("SELECT $1", StringComparison.Ordinal)).GetProperty("parameters")
            .EnumerateArray().Select(p => p.GetString()!).ToList();

        Assert.Equal(8, parameters.Count);
        Assert.Contains("1111", parameters[0], StringComparison.Ordinal);
        Assert.DoesNotContain("4111", parameters[0], StringComparison.Ordinal);
        Assert.StartsWith("ssn ", parameters[1], StringComparison.Ordinal);
        Assert.DoesNotContain("123-45", parameters[1], StringComparison.Ordinal);
        Assert.Equal("****", parameters[2]);
        Assert.Equal("****", parameters[3]);
        var raw = System.Text.Encoding.UTF8.GetString(Convert.FromHexString(parameters[4][2..]));
        Assert.StartsWith("card ", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", raw, StringComparison.Ordinal);
        Assert.Equal("42", parameters[5]);
        Assert.Equal("12.50", parameters[6]);
        Assert.Equal("****", parameters[7]);
    }

    [Fact]
    public async Task BinaryParametersOfAnUndeclaredType_AreRecordedOnlyIfTheyReadAsText()
    {
        var marker = PgGatewayFixture.TableName("oid0");
        await fixture.GrantAsync();
        var card = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(card, 4111111111111111L);
        await using (var client = await fixture.RawAliceAsync())
        {
            await client.SendAsync(
                o => FrontendWriter.WriteParse(o, "", $"SELECT $1::int8, $2::text AS {marker}", [0, 0]),
                o => FrontendWriter.WriteBind(o, "", "", [PgFormat.Binary], [card, "ssn 123-45-6789"u8.ToArray()], []),
                o => FrontendWriter.WriteExecute(o, "", 0),
                FrontendWriter.WriteSync);
            Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'C');
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"DROP TABLE {marker}"));
            await client.ReadUntilReadyAsync();
        }

        var sessionId = await SessionIdAsync(marker);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var record = Assert.Single(
            await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql").StartsWith("SELECT $1", StringComparison.Ordinal), 1),
            s => s.Str("sql").StartsWith("SELECT $1", StringComparison.Ordinal));
        var parameters = record.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Equal("(binary, 8 bytes, type not given)", parameters[0]);
        Assert.StartsWith("ssn ", parameters[1], StringComparison.Ordinal);
        Assert.DoesNotContain("123-45", parameters[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStatementFailingAtParseOrBind_IsRecordedAsFailed_AndTheRestOfItsBatchAsSkipped()
    {
        var table = await TableWithRowsAsync();
        await using var connection = await fixture.OpenAsync();
        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new($"SELECT count(*) AS ran FROM {table}"),
                new($"SELECT id FROM {table}_missing"), // fails at Parse
                new($"SELECT id AS skipped FROM {table}"),
            },
        })
        {
            Assert.Equal("42P01", (await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync())).SqlState);
        }

        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new($"SELECT 13 / 0 AS fails_at_bind_{table}"), new($"SELECT 1 AS skipped_too_{table}") },
        })
        {
            Assert.Equal("22012", (await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync())).SqlState);
        }

        // A batch the gateway refuses part of: what follows the refusal up to Sync never runs.
        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new($"SELECT 1 AS before_{table}"), new($"DROP TABLE {table}"), new($"SELECT 2 AS after_{table}") },
        })
        {
            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync())).SqlState);
        }

        await using (var cmd = new NpgsqlCommand($"SELECT 1 FROM {table} LIMIT 1", connection))
        {
            await cmd.ExecuteScalarAsync();
        }

        var sessionId = await SessionOfAsync(table);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var all = await WaitForStatementsAsync(auditor, sessionId, s => s.Str("sql").Contains(table, StringComparison.Ordinal), 9);
        // In seq order: a refusal is recorded as it happens, an answer when it comes back.
        all = [.. all.OrderBy(s => s.GetProperty("seq").GetInt64())];
        var ours = all.Where(s => s.Str("sql").Contains(table, StringComparison.Ordinal)).ToList();

        // Every Execute has its record, numbered without gaps.
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(s => s.GetProperty("seq").GetInt64()));
        // What ran before the failure or refusal in its batch was rolled back with the batch's implicit transaction.
        Assert.Equal(["rolled-back", "error", "skipped", "error", "skipped", "rolled-back", "blocked", "skipped", "ok"], ours.Select(s => s.Str("outcome")));
        Assert.Contains("an error later in its extended batch", ours[5].Str("error"), StringComparison.Ordinal);
        Assert.Contains($"after_{table}", ours[7].Str("sql"), StringComparison.Ordinal);
        Assert.Contains("42P01", ours[1].Str("error"), StringComparison.Ordinal);
        Assert.Contains("not run", ours[2].Str("error"), StringComparison.Ordinal);
        Assert.Contains("22012", ours[3].Str("error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSessionsApplicationName_IsRecordedMasked_AsTheClientIsShownIt()
    {
        var table = await TableWithRowsAsync();
        await fixture.GrantAsync();
        var builder = fixture.ConnectionString();
        builder.ApplicationName = "report for 4111 1111 1111 1111";
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand($"SELECT count(*) FROM {table}", connection).ExecuteScalarAsync();
        }

        var sessionId = await SessionOfAsync(table);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var session = (await auditor.GetJsonAsync("api/sessions?limit=50")).EnumerateArray().Single(s => s.Str("id") == sessionId);
        Assert.Equal("report for ****-****-****-1111", session.Str("application"));
    }

    /// <summary>
    /// pgjdbc, and so DBeaver, name the application with SET after the login: the session is listed
    /// under the last name it gave, masked, and the chain that says so still verifies (probe VB4).
    /// </summary>
    [Fact]
    public async Task AnApplicationNamedAfterTheLogin_IsTheSessions_Masked()
    {
        var table = await TableWithRowsAsync();
        var marker = PgGatewayFixture.Marker();
        await fixture.GrantAsync();
        await using (var connection = new NpgsqlConnection(fixture.ConnectionString().ConnectionString))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand($"SET application_name = 'DBeaver {marker}'", connection).ExecuteNonQueryAsync();
            // Reported at the batch's end, when only its Sync waits: withheld for want of a statement, it read **** (probe AL1).
            Assert.Equal($"DBeaver {marker}", connection.PostgresParameters["application_name"]);
            await new NpgsqlCommand($"SELECT count(*) FROM {table}", connection).ExecuteScalarAsync();
            await new NpgsqlCommand($"SET application_name = 'report {marker} for 4111 1111 1111 1111'", connection).ExecuteNonQueryAsync();
            Assert.Equal(
                $"report {marker} for ****-****-****-1111", await new NpgsqlCommand("SHOW application_name", connection).ExecuteScalarAsync());
        }

        var session = await fixture.EndedSessionAsync($"report {marker} for ****-****-****-1111");
        Assert.NotNull(session);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var named = (await auditor.GetJsonAsync($"api/sessions/{session.Value.Str("id")}/events")).EnumerateArray()
            .Where(e => e.Str("type") == "session.application").Select(e => e.GetProperty("data").Str("application")).ToList();
        Assert.Equal([$"DBeaver {marker}", $"report {marker} for ****-****-****-1111"], named);
        var verify = await auditor.GetJsonAsync("api/audit/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
    }

    /// <summary>The id of alice's session that ran a statement on <paramref name="table"/>, from the sessions API.</summary>
    private async Task<string> SessionOfAsync(string table)
    {
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var session in (await auditor.GetJsonAsync("api/sessions?limit=50")).EnumerateArray())
            {
                var events = await auditor.GetStringAsync($"api/sessions/{session.Str("id")}/events");
                if (events.Contains(table, StringComparison.Ordinal))
                {
                    return session.Str("id");
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"no session ran a statement on {table}");
    }

    private async Task<string> TableWithRowsAsync()
    {
        var table = PgGatewayFixture.TableName("rev");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int); INSERT INTO {table} VALUES (1), (2), (3)");
        return table;
    }

    /// <summary>The id of the command review opened for a statement on <paramref name="table"/>.</summary>
    /// <summary><c>PREPARE pd AS DELETE FROM table</c>, held and approved by bob: pd holds an approved DELETE.</summary>
    private async Task PrepareApprovedDeleteAsync(RawPgClient client, string table)
    {
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"PREPARE pd AS DELETE FROM {table}"));
        await bob.PostAsync($"api/requests/{await WaitForReviewAsync(table, pending: true)}/approve", null, HttpStatusCode.OK);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
    }

    /// <summary>The answer is one error, a hold for review that ran out, and the table still has its three rows.</summary>
    private async Task AssertHeldAndNothingDeletedAsync(IReadOnlyList<PgMessage> answer, string table)
    {
        var held = Assert.Single(answer, m => m.Type == 'E');
        Assert.Contains("review", held.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    /// <param name="pending">Only a review still waiting: an earlier one of the same table is decided already.</param>
    private async Task<string> WaitForReviewAsync(string table, bool pending = false)
    {
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var requests = await bob.GetJsonAsync(pending ? "api/requests?connection=demo&status=pending" : "api/requests?connection=demo");
            foreach (var request in requests.EnumerateArray())
            {
                if (request.Str("kind") == "command" && request.GetRawText().Contains(table, StringComparison.Ordinal))
                {
                    return request.Str("id");
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no command review for {table}");
    }

    private async Task<System.Text.Json.JsonElement> WaitForEventAsync(string type, Func<System.Text.Json.JsonElement, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var e in await fixture.EventsAsync(type))
            {
                if (match(e))
                {
                    return e;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no {type} event");
    }

    private async Task<string> SessionIdAsync(string table)
    {
        var blocked = await WaitForEventAsync("guardrail.blocked", e => e.GetProperty("statement").GetString()!.Contains(table, StringComparison.Ordinal));
        return blocked.Str("sessionId");
    }

    /// <summary>The session's recorded statements once <paramref name="count"/> of them match <paramref name="match"/>.</summary>
    private static async Task<List<System.Text.Json.JsonElement>> WaitForStatementsAsync(
        HttpClient auditor, string sessionId, Func<System.Text.Json.JsonElement, bool> match, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<System.Text.Json.JsonElement> statements = [];
        while (DateTime.UtcNow < deadline)
        {
            // The recorder writes in batches: the session may not be in the store yet.
            using var response = await auditor.GetAsync($"api/sessions/{sessionId}/events");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                await Task.Delay(100);
                continue;
            }

            var events = await Api.ExpectAsync(response, HttpStatusCode.OK);
            statements = [.. events.EnumerateArray().Where(e => e.Str("type") == "statement").Select(e => e.GetProperty("data"))];
            if (statements.Count(match) >= count)
            {
                return statements;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{statements.Count} statements recorded for {sessionId}, expected {count}");
    }
}
