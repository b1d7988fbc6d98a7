using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Store;
using Appliance.Gateway.Tests.Support;
using Npgsql;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// <c>audit: strict</c> when the store cannot commit (probe AO): nothing runs that the audit log
/// does not hold, the refusals are clean and on record once the store is back, and a session's
/// statement numbers stay without gaps.
/// </summary>
public sealed class StrictAuditTests(StrictAuditTests.Fixture fixture) : IClassFixture<StrictAuditTests.Fixture>
{
    public sealed class Fixture : PgGatewayFixture
    {
        protected override bool PostgresStore => true;
    }

    [Fact]
    public async Task Statement_TheStoreCannotRecord_IsRefused_AndTheNumbersHaveNoGap()
    {
        var marker = PgGatewayFixture.Marker();
        await using (var connection = await fixture.OpenAsync("strict"))
        {
            Assert.Equal("before", await ScalarAsync(connection, $"SELECT 'before' AS {marker}"));
            await using (await StoreOutage.BeginAsync(fixture.Store!))
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(connection, $"SELECT 'during' AS {marker}"));
                Assert.Equal("58000", error.SqlState);
                // Refused either by its own record's failed commit, or, when a queued record (the
                // session's, the last statement's) met the outage first, because the audit log
                // is failing: which comes first is the writer's timing (one in three runs here).
                Assert.Matches("could not record the statement|the audit log cannot record statements right now", error.MessageText);
            }
        }

        // Npgsql ends a connection on a class 58 error (system error), as on any it cannot trust: a new one works.
        await using (var again = await fixture.OpenAsync("strict"))
        {
            Assert.Equal("after", await ScalarAsync(again, $"SELECT 'after' AS {marker}"));
        }

        // Two intents committed ahead, then the three statements' own records; the first session's numbers follow each other.
        var recorded = await fixture.RecordedStatementsAsync(marker, count: 5);
        var first = recorded.Where(s => s.Str("outcome") != "forwarded" && s.Str("sql").Contains("'before'", StringComparison.Ordinal)).Single();
        var during = recorded.Single(s => s.Str("sql").Contains("'during'", StringComparison.Ordinal));
        Assert.Equal("error", during.Str("outcome"));
        Assert.Equal(first.GetProperty("seq").GetInt64() + 1, during.GetProperty("seq").GetInt64());
        Assert.Contains(recorded, s => s.Str("sql").Contains("'after'", StringComparison.Ordinal) && s.Str("outcome") == "ok");
    }

    [Fact]
    public async Task Login_TheStoreCannotRecord_IsRefused_AndTheAttemptIsOnRecordAfter()
    {
        await fixture.GrantAsync("strict");
        var application = "strict-" + PgGatewayFixture.Marker();
        var builder = fixture.ConnectionString("strict");
        builder.ApplicationName = application;

        await using (await StoreOutage.BeginWritesFailAsync(fixture.Store!))
        {
            // The store still reads (the token and the grant check out) but takes no write to the audit chain.
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.Equal("58000", error.SqlState);
            Assert.Contains("could not record the session", error.MessageText, StringComparison.Ordinal);
        }

        var session = await fixture.EndedSessionAsync(application);
        Assert.NotNull(session);
        Assert.Contains("could not record the session", session.Value.Str("endReason"), StringComparison.Ordinal);
        Assert.Equal(0, session.Value.GetProperty("statements").GetInt64());
    }

    /// <summary>
    /// A statement whose Bind fails in a pipeline is recorded with its error and the rest of the
    /// batch as skipped, as without strict audit (probe UC1: the Bind went upstream while its intent
    /// was committed, its error was taken before its Execute was queued, and the record put the
    /// error on the next statement or lost it).
    /// </summary>
    [Fact]
    public async Task ABindFailingInAPipeline_IsRecordedAsItsStatementsError_AndTheRestSkipped()
    {
        await fixture.GrantAsync("strict");
        var marker = PgGatewayFixture.Marker();
        await using var client = await RawPgClient.LoginAsync(
            fixture.Port, Appliance.Tests.Common.Gateway.TestPolicies.Alice, fixture.AliceToken, "strict", fixture.Tls);

        for (var run = 0; run < 3; run++)
        {
            var mark = $"{marker}_{run}";
            await client.SendAsync(
                RawPgClient.Unnamed($"SELECT 1 AS {mark}_a"), RawPgClient.Unnamed($"SELECT 1/0 AS {mark}_b"), RawPgClient.Unnamed($"SELECT 3 AS {mark}_c"),
                Appliance.Wire.Writing.FrontendWriter.WriteSync);
            var messages = await client.ReadUntilReadyAsync();
            Assert.Equal("22012", Assert.Single(messages, m => m.Type == 'E').SqlState);

            var recorded = (await fixture.RecordedStatementsAsync(mark, count: 6)).Where(s => s.Str("outcome") != "forwarded")
                .OrderBy(s => s.GetProperty("seq").GetInt64()).ToList();
            Assert.Equal(["rolled-back", "error", "skipped"], recorded.Select(s => s.Str("outcome")));
            Assert.Contains($"{mark}_b", recorded[1].Str("sql"), StringComparison.Ordinal);
            Assert.Contains("22012", recorded[1].Str("error"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Statement_WaitingForTheStore_DoesNotRunOnceItsClientHasGone()
    {
        var table = PgGatewayFixture.TableName("strictgone");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        await fixture.GrantAsync("strict");
        // Logged in first: under strict audit the login waits for the store too.
        var client = await RawPgClient.LoginAsync(fixture.Port, Appliance.Tests.Common.Gateway.TestPolicies.Alice, fixture.AliceToken, "strict", fixture.Tls);
        await using (await StoreOutage.BeginStalledAsync(fixture.Store!))
        {
            await using (client)
            {
                await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, $"INSERT INTO {table} VALUES (1)"));
                await Task.Delay(300);
            }

            // The client is gone while its statement waits for the audit log.
            await Task.Delay(600);
        }

        var recorded = Assert.Single(await fixture.RecordedStatementsAsync($"INSERT INTO {table}", count: 1), s => s.Str("outcome") != "forwarded");
        Assert.Equal("cancelled", recorded.Str("outcome"));
        Assert.Contains("the client disconnected", recorded.Str("error"), StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Statement_WaitingForTheStore_IsEndedByACancelRequest()
    {
        var table = PgGatewayFixture.TableName("strictcancel");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        await using var connection = await fixture.OpenAsync("strict");
        PostgresException error;
        await using (await StoreOutage.BeginStalledAsync(fixture.Store!))
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await using var command = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", connection);
            // Npgsql sends a CancelRequest when the token fires, then reads the statement's answer.
            var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => command.ExecuteNonQueryAsync(cancel.Token));
            error = Assert.IsType<PostgresException>(thrown.InnerException);
        }

        Assert.Equal("57014", error.SqlState);
        Assert.Contains("canceling statement due to user request", error.MessageText, StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        Assert.Equal(1, await ScalarAsync(connection, "SELECT 1"));
    }

    /// <summary>
    /// A batched connection while the store takes no writes (probe AX: a read-only store let
    /// sessions write to the target while their records waited in memory, lost at the stop):
    /// once the writer's commits fail, /healthz says so and new logins are refused; once the
    /// store takes writes again, both recover and the refused attempt is on record.
    /// </summary>
    [Fact]
    public async Task BatchedLogin_WhileTheAuditWritesFail_IsRefused_AndItRecovers()
    {
        await fixture.GrantAsync("demo");
        var application = "batched-" + PgGatewayFixture.Marker();
        var builder = fixture.ConnectionString("demo");
        builder.ApplicationName = application;
        using var http = fixture.Gateway.Client();
        // Nothing of an earlier test left to write, and its outage over: else a queued record can
        // meet this outage before the first login below, which is then refused (seen in one run of ten).
        await WaitForHealthAsync(http, System.Net.HttpStatusCode.OK);
        await fixture.Gateway.Service<Appliance.Gateway.Audit.SessionRecorder>().FlushAsync(CancellationToken.None);

        await using (await StoreOutage.BeginWritesFailAsync(fixture.Store!))
        {
            // Admitted before any commit failed; its start is queued and the writer's commit fails.
            await using (var live = await fixture.OpenAsync("demo"))
            {
                Assert.Equal(1, await ScalarAsync(live, "SELECT 1"));
                await WaitForHealthAsync(http, System.Net.HttpStatusCode.ServiceUnavailable);

                // Nor does an open session run statements whose records could only be held in memory (probe EL1).
                var stopped = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(live, "SELECT 2"));
                Assert.Equal("58000", stopped.SqlState);
                Assert.Contains("the audit log cannot record statements right now", stopped.MessageText, StringComparison.Ordinal);
            }

            await using var refused = new NpgsqlConnection(builder.ConnectionString);
            var error = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
            Assert.Equal("58000", error.SqlState);
            Assert.Contains("the audit log cannot record sessions right now", error.MessageText, StringComparison.Ordinal);
        }

        await WaitForHealthAsync(http, System.Net.HttpStatusCode.OK);
        await using (var again = await fixture.OpenAsync("demo"))
        {
            Assert.Equal(1, await ScalarAsync(again, "SELECT 1"));
        }

        var session = await fixture.EndedSessionAsync(application);
        Assert.NotNull(session);
        Assert.Contains("the audit log cannot record sessions right now", session.Value.Str("endReason"), StringComparison.Ordinal);
    }

    private static async Task WaitForHealthAsync(HttpClient http, System.Net.HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var response = await http.GetAsync("healthz");
            if (response.StatusCode == expected)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/healthz still answers {response.StatusCode}, not {expected}");
            await Task.Delay(100);
        }
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
