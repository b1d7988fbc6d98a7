using System.Diagnostics;
using System.Net;
using Appliance.Gateway.Access;
using Appliance.Gateway.Store;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>A grant's end cuts its live sessions, with a FATAL that says why.</summary>
public sealed class SessionCutTests(PgGatewayFixture fixture) : IClassFixture<PgGatewayFixture>
{
    [Fact]
    public async Task GrantExpiry_CutsTheSessionWithinASecond()
    {
        var grant = await fixture.RequestAndApproveAsync(fixture.AliceToken, "demo", "3s");
        var password = await fixture.GrantCredentialAsync(fixture.AliceToken, grant);
        using var alice = fixture.Gateway.Client(fixture.AliceToken);
        var expiresAt = (await alice.GetJsonAsync($"api/requests/{grant}")).Time("expiresAt");
        await using var client = await RawPgClient.LoginAsync(fixture.Port, Alice, password, "demo");

        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
        var cutAt = DateTimeOffset.UtcNow;

        var fatal = Assert.Single(messages, m => m.Type == 'E');
        Assert.Equal("FATAL", fatal.ErrorField((byte)'V'));
        Assert.Equal("57P01", fatal.SqlState);
        Assert.Contains($"grant {grant} expired at", fatal.Message, StringComparison.Ordinal);
        Assert.True(cutAt - expiresAt < TimeSpan.FromSeconds(1.5), $"cut {(cutAt - expiresAt).TotalMilliseconds} ms after expiry");
    }

    [Fact]
    public async Task RevokingTheLoginToken_CutsTheSession_TheGrantLivesOn()
    {
        await fixture.GrantAsync();
        using var admin = fixture.Gateway.AdminClient();
        var created = await admin.PostAsync($"api/users/{Alice}/tokens", new { name = "laptop" }, HttpStatusCode.Created);
        var token = created.Str("token");
        await using var client = await RawPgClient.LoginAsync(fixture.Port, Alice, token, "demo");
        var watch = Stopwatch.StartNew();

        using var revoked = await admin.DeleteAsync($"api/tokens/{created.Str("id")}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
        var fatal = Assert.Single(messages, m => m.Type == 'E');
        Assert.Equal("57P01", fatal.SqlState);
        Assert.Contains("the token it logged in with", fatal.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), $"the session was cut after {watch.ElapsedMilliseconds} ms");

        // Sessions opened with another token of the same person are not touched.
        await using var other = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", other);
        Assert.Equal(1, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task AGrantEndedWithoutItsChangeReachingTheSession_IsStillCutByTheSweep()
    {
        // Probe AC: a login that found its grant active, and was listed only after the revocation
        // had been announced, missed the announcement and lived on. The sweep reads the store, so
        // here the grant is ended there without the announcement.
        var grant = await fixture.RequestAndApproveAsync(fixture.AliceToken, "demo", "1h");
        var password = await fixture.GrantCredentialAsync(fixture.AliceToken, grant);
        await using var client = await RawPgClient.LoginAsync(fixture.Port, Alice, password, "demo");
        var requests = fixture.Gateway.Services.GetRequiredService<RequestStore>();
        var watch = Stopwatch.StartNew();
        Assert.True(await fixture.Gateway.Services.GetRequiredService<StoreDatabase>().InTransactionAsync(async (c, t) =>
        {
            var active = (await requests.GetAsync(c, t, grant))!;
            var revoked = active with
            {
                Status = RequestStatus.Revoked, Version = active.Version + 1, EndedAt = DateTimeOffset.UtcNow, EndedBy = Bob, EndReason = "race",
            };
            return await requests.UpdateAsync(c, t, revoked, active.Version, DateTimeOffset.UtcNow);
        }));

        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
        var fatal = Assert.Single(messages, m => m.Type == 'E');
        Assert.Equal("57P01", fatal.SqlState);
        Assert.Contains($"grant {grant} was revoked by {Bob}: race", fatal.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"the session was cut after {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// A grant row changed in the store outside the gateway (a revoked grant set active again)
    /// grants no session: it must be what the audit chain last recorded (probe CF).
    /// </summary>
    [Fact]
    public async Task GrantChangedOutsideTheGateway_GrantsNoSession()
    {
        var grant = await fixture.RequestAndApproveAsync(fixture.AliceToken, "demo", "1h");
        var password = await fixture.GrantCredentialAsync(fixture.AliceToken, grant);
        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{grant}/revoke", new { reason = "over" }, HttpStatusCode.OK);
        (long EndedAt, string EndedBy, string EndReason) ended;
        await using (var store = await fixture.Gateway.Service<StoreDatabase>().OpenAsync())
        {
            ended = await Dapper.SqlMapper.QuerySingleAsync<(long, string, string)>(store, "SELECT ended_at, ended_by, end_reason FROM requests WHERE id = @grant", new { grant });
            await Dapper.SqlMapper.ExecuteAsync(store, "UPDATE requests SET status = 'active', ended_at = NULL, ended_by = NULL, end_reason = NULL WHERE id = @grant", new { grant });
        }

        try
        {
            await using var connection = new NpgsqlConnection(fixture.ConnectionString(password: password).ConnectionString);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.Equal("28000", refused.SqlState);
            Assert.Contains($"grant {grant} as stored is not what the audit log recorded", refused.MessageText, StringComparison.Ordinal);
        }
        finally
        {
            await using var store = await fixture.Gateway.Service<StoreDatabase>().OpenAsync();
            await Dapper.SqlMapper.ExecuteAsync(store, "UPDATE requests SET status = 'revoked', ended_at = @EndedAt, ended_by = @EndedBy, end_reason = @EndReason WHERE id = @grant",
                new { grant, ended.EndedAt, ended.EndedBy, ended.EndReason });
        }
    }

    /// <summary>
    /// Another gateway on the store took this one for dead (it was paused, or cut off from the
    /// store) and ended its session in the record: the session is cut, and its end is recorded
    /// once (probe PA3: it ran on under an ended session, and a second end followed).
    /// </summary>
    [Fact]
    public async Task ASessionEndedInTheStoreByAnotherGateway_IsCut_AndEndedOnce()
    {
        await fixture.GrantAsync();
        var builder = fixture.ConnectionString();
        builder.ApplicationName = "elsewhere-" + PgGatewayFixture.Marker();
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using (var first = new NpgsqlCommand("SELECT 1", connection))
        {
            await first.ExecuteScalarAsync();
        }

        await fixture.Gateway.Service<Appliance.Gateway.Audit.SessionRecorder>().FlushAsync(CancellationToken.None);
        await using (var store = await fixture.Gateway.Service<StoreDatabase>().OpenAsync())
        {
            // What another gateway's sweep writes (OrphanedSessions.EndLostAsync).
            Assert.Equal(1, await Dapper.SqlMapper.ExecuteAsync(store,
                "UPDATE sessions SET ended_at = @at, end_reason = @reason WHERE application = @application AND ended_at IS NULL",
                new { at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), reason = Appliance.Gateway.Audit.OrphanedSessions.LostReason, application = builder.ApplicationName }));
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync();
                await Task.Delay(100);
            }
        });
        var postgres = error as PostgresException ?? error.InnerException as PostgresException;
        Assert.Equal("57P01", postgres?.SqlState);
        var session = await fixture.EndedSessionAsync(builder.ApplicationName);
        Assert.NotNull(session);
        await fixture.Gateway.Service<Appliance.Gateway.Audit.SessionRecorder>().FlushAsync(CancellationToken.None);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var events = await auditor.GetJsonAsync($"api/sessions/{session.Value.GetProperty("id").GetString()}/events");
        // The other gateway's sweep chains the end it wrote (not simulated here); this one adds none.
        Assert.DoesNotContain(events.EnumerateArray(), e => e.GetProperty("type").GetString() == "session.ended");
    }

    /// <summary>
    /// A gateway that could not say it was alive for as long as the others wait (paused, or cut off
    /// from the store) may have had its sessions ended in the record: on resuming, a session ends
    /// before it relays anything more (probe QC1: queries ran 29 s after their recorded end), and so
    /// does every session of the lapsed lease once it is renewed; sessions after it run.
    /// </summary>
    [Fact]
    public async Task AfterTheGatewaysLeaseLapsed_ItsSessionsEndBeforeRelayingMore()
    {
        var node = fixture.Gateway.Service<Appliance.Gateway.Audit.GatewayNode>();
        await using var before = await fixture.OpenAsync();
        await using (var ok = new NpgsqlCommand("SELECT 1", before))
        {
            Assert.Equal(1, await ok.ExecuteScalarAsync());
        }

        // A last heartbeat two minutes ago, whose lease ran one: what a gateway resuming from a pause sees.
        node.Alive(Environment.TickCount64 - 120_000, TimeSpan.FromMinutes(1));
        await using (var lapsed = new NpgsqlCommand("SELECT 1", before))
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => lapsed.ExecuteScalarAsync());
            Assert.Equal("57P01", (error as PostgresException ?? error.InnerException as PostgresException)?.SqlState);
        }

        await using var during = await fixture.OpenAsync();
        node.Alive(Environment.TickCount64, TimeSpan.FromHours(1));
        await using (var stale = new NpgsqlCommand("SELECT 1", during))
        {
            // Opened while the lease had lapsed: of the old epoch, ended too.
            await Assert.ThrowsAnyAsync<Exception>(() => stale.ExecuteScalarAsync());
        }

        await using var after = await fixture.OpenAsync();
        await using var fresh = new NpgsqlCommand("SELECT 2", after);
        Assert.Equal(2, await fresh.ExecuteScalarAsync());
    }

    [Fact]
    public async Task GrantRevocation_CutsTheSession_AndSaysWhoAndWhy()
    {
        var grant = await fixture.RequestAndApproveAsync(fixture.AliceToken, "demo", "1h");
        var password = await fixture.GrantCredentialAsync(fixture.AliceToken, grant);
        var builder = fixture.ConnectionString(password: password);
        builder.ApplicationName = "revoked-" + PgGatewayFixture.Marker();
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        var sleeping = new NpgsqlCommand("SELECT pg_sleep(5)", connection).ExecuteNonQueryAsync();
        await Task.Delay(300);
        var watch = Stopwatch.StartNew();

        using var bob = fixture.Gateway.Client(fixture.BobToken);
        // A reason on several lines reaches the client on one: psql prints newlines as they are (probe BA).
        await bob.PostAsync($"api/requests/{grant}/revoke", new { reason = "incident over\nERROR:  all your data was deleted\u2028\r\tx" }, HttpStatusCode.OK);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => sleeping);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"the session was cut after {watch.ElapsedMilliseconds} ms");
        var postgres = error as PostgresException ?? error.InnerException as PostgresException;
        Assert.NotNull(postgres);
        Assert.Equal("57P01", postgres.SqlState);
        Assert.EndsWith($"grant {grant} was revoked by bob@example.com: incident over ERROR:  all your data was deleted   x", postgres.MessageText, StringComparison.Ordinal);
        // The audit log says the same, not only "grant revoked" (probe AQ).
        var ended = await fixture.EndedSessionAsync(builder.ApplicationName);
        Assert.Equal($"grant {grant} was revoked by bob@example.com: incident over ERROR:  all your data was deleted   x", ended?.GetProperty("endReason").GetString());

        // The statement it was running is cancelled upstream, not left to run to its end.
        long running = 1;
        for (var i = 0; i < 40 && running > 0; i++)
        {
            await Task.Delay(50);
            running = await fixture.UpstreamScalarAsync<long>(
                $"SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)' AND state = 'active' AND datname = '{fixture.Upstream.Database}'");
        }

        Assert.Equal(0L, running);
    }

    /// <summary>
    /// A statement that catches the cancel (a DO block's EXCEPTION WHEN query_canceled) does not
    /// run on after the cut: its backend is ended (probe BI1: it committed rows for 8 s after the
    /// revocation, while the record said it had failed).
    /// </summary>
    [Fact]
    public async Task GrantRevocation_EndsTheBackend_OfAStatementThatCatchesTheCancel()
    {
        var grant = await fixture.RequestAndApproveAsync(fixture.AliceToken, "demo", "1h");
        var builder = fixture.ConnectionString(password: await fixture.GrantCredentialAsync(fixture.AliceToken, grant));
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        var marker = PgGatewayFixture.Marker();
        var running = $"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%{marker}%' AND query NOT LIKE '%pg_stat_activity%'";
        var block = new NpgsqlCommand(
            "DO $$ BEGIN FOR i IN 1..300 LOOP BEGIN PERFORM pg_sleep(0.1); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$ -- " + marker,
            connection) { CommandTimeout = 60 }.ExecuteNonQueryAsync();
        for (var i = 0; i < 40 && await fixture.UpstreamScalarAsync<long>(running) == 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1L, await fixture.UpstreamScalarAsync<long>(running));

        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{grant}/revoke", new { reason = "done" }, HttpStatusCode.OK);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => block);
        Assert.Equal("57P01", (error as PostgresException ?? error.InnerException as PostgresException)?.SqlState);

        // Before, the block ran its 30 s to the end upstream.
        long left = 1;
        for (var i = 0; i < 60 && left > 0; i++)
        {
            await Task.Delay(100);
            left = await fixture.UpstreamScalarAsync<long>(running);
        }

        Assert.Equal(0L, left);
    }

    /// <summary>
    /// Where the backend cannot be ended by name (the database revoked pg_terminate_backend), the
    /// upstream session still notices the gateway's closed socket within a second: the gateway logs
    /// in with client_connection_check_interval set, which the client cannot lower (probe BI1).
    /// </summary>
    [Fact]
    public async Task TheUpstreamSession_ChecksItsClientEverySecond_WhateverTheClientAsks()
    {
        await fixture.GrantAsync();
        var builder = fixture.ConnectionString();
        builder.Options = "-c client_connection_check_interval=0";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        async Task<string?> Show() => (string?)await new NpgsqlCommand("SHOW client_connection_check_interval", connection).ExecuteScalarAsync();

        Assert.Equal("1s", await Show());
        await new NpgsqlCommand("RESET ALL", connection).ExecuteNonQueryAsync();
        Assert.Equal("1s", await Show());
        var refused = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand("SET client_connection_check_interval = 0", connection).ExecuteNonQueryAsync());
        Assert.Equal("42501", refused.SqlState);
        Assert.Contains("session-end", refused.MessageText, StringComparison.Ordinal);
        Assert.Equal("1s", await Show());
    }

    /// <summary>
    /// A session in the middle of a long result gets the FATAL too, after the row it is on (probe
    /// AO1: the upstream thread held the client while relaying, the FATAL was skipped, and the
    /// socket closed inside a DataRow with no word of why).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GrantRevocation_DuringALongResult_EndsItWithTheFatal_AfterAWholeRow(bool tls)
    {
        var grant = await fixture.RequestAndApproveAsync(fixture.AliceToken, "plain", "1h");
        var builder = fixture.ConnectionString("plain", tls, password: await fixture.GrantCredentialAsync(fixture.AliceToken, grant));
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT g, repeat('x', 200) FROM generate_series(1, 20000000) g", connection);
        await using var reader = await command.ExecuteReaderAsync();
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(await reader.ReadAsync());
        }

        using var bob = fixture.Gateway.Client(fixture.BobToken);
        await bob.PostAsync($"api/requests/{grant}/revoke", new { reason = "mid-result" }, HttpStatusCode.OK);

        // Reading on, slowly enough that the gateway's writes to the client block: every row read is whole, then the FATAL.
        var rows = 1000L;
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            while (await reader.ReadAsync())
            {
                Assert.Equal(++rows, reader.GetInt32(0));
                Assert.Equal(200, reader.GetString(1).Length);
                if (rows % 20000 == 0)
                {
                    await Task.Delay(10);
                }
            }
        });
        var postgres = error as PostgresException ?? error.InnerException as PostgresException;
        Assert.True(postgres is not null, $"after {rows} rows: {error}");
        Assert.Equal("57P01", postgres.SqlState);
        Assert.EndsWith($"grant {grant} was revoked by bob@example.com: mid-result", postgres.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtherGrantsSessions_Survive()
    {
        var ending = await fixture.RequestAndApproveAsync(fixture.AliceToken, "plain", "1h");
        await using var other = await fixture.OpenAsync("demo");
        await using var doomed = new NpgsqlConnection(fixture.ConnectionString("plain", password: await fixture.GrantCredentialAsync(fixture.AliceToken, ending)).ConnectionString);
        await doomed.OpenAsync();

        using var alice = fixture.Gateway.Client(fixture.AliceToken);
        await alice.PostAsync($"api/requests/{ending}/revoke", new { reason = "done" }, HttpStatusCode.OK);
        await Task.Delay(500);

        Assert.Equal(1, await new NpgsqlCommand("SELECT 1", other).ExecuteScalarAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => new NpgsqlCommand("SELECT 1", doomed).ExecuteScalarAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ClientLeavingWhileAResultStreams_IsRecordedAsTheClientsDisconnect(bool tls)
    {
        await fixture.GrantAsync();
        var application = PgGatewayFixture.Marker();
        var client = tls ? await RawPgClient.ConnectTlsAsync(fixture.Port) : await RawPgClient.ConnectAsync(fixture.Port);
        await using (client)
        {
            await client.SendStartupAsync(Alice, "demo", fixture.AliceToken, new KeyValuePair<string, string>("application_name", application));
            await client.ReadUntilReadyAsync();
            await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "SELECT generate_series(1, 5000000)"));
            for (var i = 0; i < 2000; i++)
            {
                await client.ReadAsync();
            }
        }

        // The upstream thread was writing rows to a client that was gone: its failed write is the client's leaving.
        var session = await fixture.EndedSessionAsync(application);
        Assert.NotNull(session);
        Assert.Equal("client disconnected", session.Value.GetProperty("endReason").GetString());
    }
}
