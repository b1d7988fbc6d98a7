using System.Globalization;
using System.Buffers.Binary;
using System.Text;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Frontend;
using Appliance.Wire.Writing;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>The protocol message by message: negotiation, TLS, pipelines, row limits, cancel, terminate.</summary>
public sealed class ProtocolTests(PgGatewayFixture fixture) : IClassFixture<PgGatewayFixture>
{
    private async Task<RawPgClient> LoginAsync(string connection = "demo", bool tls = false)
    {
        await fixture.GrantAsync(connection);
        return await RawPgClient.LoginAsync(fixture.Port, Alice, fixture.AliceToken, connection, tls);
    }

    [Fact]
    public async Task SslRequest_IsAnsweredInBand_ThenTheSessionRunsOverTls()
    {
        await using var client = await LoginAsync(tls: true);

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
        var messages = await client.ReadUntilReadyAsync();

        Assert.IsType<System.Net.Security.SslStream>(client.Stream);
        Assert.Contains(messages, m => m.Type == 'D');
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task QueryAndTerminateInOneWrite_AreAnsweredBeforeTheSessionEnds(bool tls)
    {
        await using var client = await LoginAsync(tls: tls);

        // As PostgreSQL does: the Query is answered in full, then the Terminate closes the session.
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 42; SELECT 43"), FrontendWriter.WriteTerminate);

        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("TDCTDCZ", string.Concat(messages.Select(m => m.Type)));
    }

    /// <summary>A token typed into the user field is a live credential: the refusal's log line names the user by its length (probe BX2).</summary>
    [Fact]
    public async Task ATokenTypedAsTheUser_IsNotLogged()
    {
        var token = await fixture.Gateway.CreateTokenAsync(Alice);
        await Assert.ThrowsAnyAsync<Exception>(() => RawPgClient.LoginAsync(fixture.Port, token, token, "demo", tls: true));

        var logged = $"Login refused for \"(not a user the policy names: {token.Length} characters)\"";
        for (var i = 0; i < 40 && !fixture.Gateway.Options.Logs.Entries.Any(e => e.Message.Contains(logged, StringComparison.Ordinal)); i++)
        {
            await Task.Delay(50);
        }

        Assert.Contains(fixture.Gateway.Options.Logs.Entries, e => e.Message.Contains(logged, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Gateway.Options.Logs.Entries, e => e.Message.Contains(token, StringComparison.Ordinal));
    }

    /// <summary>
    /// A user or database name is the client's text: a line break in it wrote a forged audit anchor
    /// line of its own into the log (probe CM1), <c>psql -U alice@example.com &lt;token&gt;</c>
    /// sends the token as the database (probe CN1), and a token may be glued to the address (CQ1).
    /// Only the names the policy holds are logged; the rest by their length.
    /// </summary>
    [Fact]
    public async Task ALineBreakOrATokenInTheUserOrDatabaseName_IsNotLogged()
    {
        const string forged = "[00:17:00 INF] Audit chain anchor: event 5 has hash 0000 (forged)";
        var user = "mallory@example.com\n" + forged;
        var database = "demo\r\n" + forged + "!";
        var token = await fixture.Gateway.CreateTokenAsync(Alice);
        await Assert.ThrowsAnyAsync<Exception>(() => RawPgClient.LoginAsync(fixture.Port, user, "wrong", database, tls: true));
        await Assert.ThrowsAnyAsync<Exception>(() => RawPgClient.LoginAsync(fixture.Port, Alice, "wrong", token, tls: true));
        // Glued to the address, out of the basic-auth habit (probe CQ1).
        var glued = $"{Alice}:{token}";
        await Assert.ThrowsAnyAsync<Exception>(() => RawPgClient.LoginAsync(fixture.Port, glued, "wrong", "demo", tls: true));

        var forgedLogged = $"Login refused for \"(not a user the policy names: {user.Length} characters)\" to \"(not a connection the policy names: {database.Length} characters)\"";
        var tokenLogged = $"Login refused for \"{Alice}\" to \"(not a connection the policy names: {token.Length} characters)\"";
        var gluedLogged = $"Login refused for \"(not a user the policy names: {glued.Length} characters)\" to \"demo\"";
        for (var i = 0; i < 40 && !(Logged(forgedLogged) && Logged(tokenLogged) && Logged(gluedLogged)); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(Logged(forgedLogged));
        Assert.True(Logged(tokenLogged));
        Assert.True(Logged(gluedLogged));
        Assert.DoesNotContain(fixture.Gateway.Options.Logs.Entries, e => e.Message.Contains("(forged)", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Gateway.Options.Logs.Entries, e => e.Message.Contains(token, StringComparison.Ordinal));

        bool Logged(string text) => fixture.Gateway.Options.Logs.Entries.Any(e => e.Message.Contains(text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GssEncRequest_IsRefused_AndTheClientCarriesOn()
    {
        await using var client = await RawPgClient.ConnectAsync(fixture.Port);
        await client.SendAsync(FrontendWriter.WriteGssEncRequest);
        Assert.Equal('N', (char)await client.ReadByteAsync());

        await client.SendAsync(FrontendWriter.WriteSslRequest);
        Assert.Equal('S', (char)await client.ReadByteAsync());
        await client.StartTlsAsync(alpn: true);
        await client.SendAsync(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V30, [new("user", Alice), new("database", "demo")]));

        var request = await client.ReadAsync();
        Assert.Equal('R', request.Type);
        Assert.Equal((int)AuthenticationKind.CleartextPassword, BinaryPrimitives.ReadInt32BigEndian(request.Body));
    }

    [Fact]
    public async Task DirectTls_WithAlpnPostgresql_IsAccepted()
    {
        await fixture.GrantAsync();
        await using var client = await RawPgClient.ConnectAsync(fixture.Port);
        await client.StartTlsAsync(alpn: true);
        await client.SendStartupAsync(Alice, "demo", fixture.AliceToken);

        var messages = await client.ReadUntilReadyAsync();

        Assert.Contains(messages, m => m.Type == 'R' && BinaryPrimitives.ReadInt32BigEndian(m.Body) == 0);
    }

    [Fact]
    public async Task DirectTls_WithoutAlpn_IsRefused()
    {
        await using var client = await RawPgClient.ConnectAsync(fixture.Port);
        await client.StartTlsAsync(alpn: false);

        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));

        var fatal = Assert.Single(messages);
        Assert.Equal("08P01", fatal.SqlState);
        Assert.Contains("ALPN", fatal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Protocol32WithOptions_IsNegotiatedDownTo30()
    {
        await using var client = await RawPgClient.ConnectAsync(fixture.Port);
        await client.SendAsync(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V32,
            [new("user", Alice), new("database", "demo"), new("_pq_.future_option", "on")]));

        var negotiate = await client.ReadAsync();
        var request = await client.ReadAsync();

        Assert.Equal('v', negotiate.Type);
        var parsed = NegotiateProtocolVersionMessage.Parse(negotiate.Body);
        Assert.Equal(ProtocolVersion.V30, parsed.Newest);
        Assert.Equal(0x00030000, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(negotiate.Body)); // as PostgreSQL sends it
        Assert.True(parsed.UnrecognizedOptions.Contains("_pq_.future_option"u8));
        Assert.Equal('R', request.Type);
    }

    /// <summary>
    /// A setting named twice at startup is valid, and PostgreSQL applies the last value: the
    /// login ended with no message and no record, as the second name threw (probe OB1).
    /// </summary>
    [Fact]
    public async Task ASettingNamedTwiceAtStartup_RunsWithTheLastValue_AndIsRecordedSo()
    {
        await fixture.GrantAsync();
        var application = "twice-" + Guid.NewGuid().ToString("N")[..8];
        await using (var client = fixture.Tls ? await RawPgClient.ConnectTlsAsync(fixture.Port) : await RawPgClient.ConnectAsync(fixture.Port))
        {
            await client.SendStartupAsync(Alice, "demo", fixture.AliceToken,
                new KeyValuePair<string, string>("search_path", "pg_catalog"), new KeyValuePair<string, string>("application_name", application),
                new KeyValuePair<string, string>("search_path", "public, pg_catalog"));
            Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SHOW search_path"));
            var row = Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
            Assert.Contains("public, pg_catalog", System.Text.Encoding.UTF8.GetString(row.Body), StringComparison.Ordinal);
        }

        var session = await fixture.EndedSessionAsync(application);
        Assert.NotNull(session);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var events = await auditor.GetJsonAsync($"api/sessions/{session.Value.GetProperty("id").GetString()}/events");
        var started = events.EnumerateArray().Single(e => e.GetProperty("type").GetString() == "session.started");
        Assert.Equal("public, pg_catalog", started.GetProperty("data").GetProperty("settings").GetProperty("search_path").GetString());
    }

    [Fact]
    public async Task RefusedParseFirstInABatch_InsideATransaction_AnswersErrorThenReady_WithTheTransactionFailed()
    {
        await using var client = await LoginAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "BEGIN"));
        Assert.Equal('T', (await client.ReadUntilReadyAsync())[^1].Status);

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "", "DROP TABLE whatever", []),
            o => FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var messages = await client.ReadUntilReadyAsync();

        Assert.Equal("E Z", string.Join(' ', messages.Select(m => m.Type)));
        Assert.Equal("42501", messages[0].SqlState);
        Assert.Equal('E', messages[1].Status);
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 1"));
        var after = await client.ReadUntilReadyAsync();
        Assert.Equal("E Z", string.Join(' ', after.Select(m => m.Type)));
        Assert.Equal("25P02", after[0].SqlState);
    }

    /// <summary>
    /// A statement SQL PREPARE made (the same namespace upstream) is not bound through the
    /// protocol: judged only at SQL EXECUTE, bound it ran unjudged and unrecorded, as often as
    /// asked (probe CE). Refused with 42501; EXECUTE still runs it.
    /// </summary>
    [Fact]
    public async Task BindOfASqlPreparedStatement_IsRefused_AndExecuteStillRunsIt()
    {
        await using var client = await LoginAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "PREPARE sqlprep AS SELECT 42"));
        Assert.Equal('I', (await client.ReadUntilReadyAsync())[^1].Status);

        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "sqlprep", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var refused = await client.ReadUntilReadyAsync();

        Assert.Equal("E Z", string.Join(' ', refused.Select(m => m.Type)));
        Assert.Equal("42501", refused[0].SqlState);
        Assert.Contains("prepared statement \"sqlprep\" was not prepared with Parse on this connection", refused[0].Message, StringComparison.Ordinal);
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "EXECUTE sqlprep"));
        var executed = await client.ReadUntilReadyAsync();
        Assert.Contains(executed, m => m.Type == 'D');
    }

    /// <summary>
    /// A statement closed (or discarded, or never made) answers as PostgreSQL does, 26000, on which
    /// drivers act: pgjdbc parses again after it. It answered 42501, which stopped them.
    /// </summary>
    [Theory]
    [InlineData("close")]
    [InlineData("DISCARD ALL")]
    [InlineData("never")]
    [InlineData("blocked")] // probe IB3: its Parse was refused by a guardrail, so PostgreSQL never saw it
    [InlineData("failed")] // probe DS2: its Parse failed upstream (42703), and the Bind was refused as a SQL-prepared statement's
    [InlineData("skipped")] // its Parse was skipped, after an earlier message of its batch failed
    public async Task BindOfAStatementThatDoesNotExist_AnswersAsPostgreSqlDoes(string how)
    {
        await using var client = await LoginAsync();
        if (how is "failed" or "skipped")
        {
            await client.SendAsync(
                o => FrontendWriter.WriteParse(o, how == "failed" ? "gone" : "", "SELECT no_such_column FROM pg_class", []),
                o => FrontendWriter.WriteParse(o, how == "failed" ? "" : "gone", "SELECT 42", []),
                FrontendWriter.WriteSync);
            Assert.Equal("42703", Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E').SqlState);
        }
        else if (how == "blocked")
        {
            await client.SendAsync(o => FrontendWriter.WriteParse(o, "gone", "DROP TABLE gone_never_made", []), FrontendWriter.WriteSync);
            Assert.Equal("42501", Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E').SqlState);
        }
        else if (how != "never")
        {
            await client.SendAsync(o => FrontendWriter.WriteParse(o, "gone", "SELECT 42", []), FrontendWriter.WriteSync);
            await client.ReadUntilReadyAsync();
            await client.SendAsync(how == "close"
                ? o => FrontendWriter.WriteClose(o, DescribeTarget.Statement, "gone")
                : o => FrontendWriter.WriteQuery(o, how));
            if (how == "close")
            {
                await client.SendAsync(FrontendWriter.WriteSync);
            }

            await client.ReadUntilReadyAsync();
        }

        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "gone", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var refused = await client.ReadUntilReadyAsync();

        Assert.Equal("E Z", string.Join(' ', refused.Select(m => m.Type)));
        Assert.Equal("26000", refused[0].SqlState);
        Assert.Equal("prepared statement \"gone\" does not exist", refused[0].Message);
        if (how == "failed")
        {
            // SQL EXECUTE of it too (probe DU3: 42501, as for a statement PostgreSQL holds).
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, "EXECUTE gone"));
            var executed = await client.ReadUntilReadyAsync();
            Assert.Equal("26000", Assert.Single(executed, m => m.Type == 'E').SqlState);
        }

        // Parsed again, it runs.
        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "gone", "SELECT 42", []),
            o => FrontendWriter.WriteBind(o, "", "gone", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
    }

    /// <summary>
    /// A name PostgreSQL still holds, parsed again with another text after the gateway forgot it
    /// (a DEALLOCATE that PostgreSQL skipped after an error): PostgreSQL refuses the Parse (42P05) and keeps the first.
    /// A Bind of the name is then refused: the gateway judged and recorded the new text while
    /// PostgreSQL ran the old (probe DO).
    /// </summary>
    [Fact]
    public async Task BindOfANameWhoseParseTheUpstreamRefused_IsRefused()
    {
        await using var client = await LoginAsync();
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "kept", "SELECT 'first'", []), FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 1/0; DEALLOCATE kept"));
        await client.ReadUntilReadyAsync();

        await client.SendAsync(o => FrontendWriter.WriteParse(o, "kept", "SELECT 'second'", []), FrontendWriter.WriteSync);
        Assert.Equal("42P05", Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E').SqlState);

        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", "kept", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var bound = await client.ReadUntilReadyAsync();

        Assert.DoesNotContain(bound, m => m.Type == 'D');
        Assert.Contains(bound, m => m.Type == 'E' && m.SqlState is "42501" or "26000");
    }

    [Fact]
    public async Task RefusedParseAfterForwardedMessages_AnswersThemInOrder_ThenOneError_ThenReady()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        await using var client = await LoginAsync();

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "", $"INSERT INTO {table} VALUES (1)", []),
            o => FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => FrontendWriter.WriteDescribe(o, DescribeTarget.Portal, ""),
            o => FrontendWriter.WriteExecute(o, "", 0),
            o => FrontendWriter.WriteParse(o, "", $"TRUNCATE {table}", []),
            o => FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            o => FrontendWriter.WriteParse(o, "", "SELECT 2", []),
            FrontendWriter.WriteSync);
        var messages = await client.ReadUntilReadyAsync();

        Assert.Equal("1 2 n C E Z", string.Join(' ', messages.Select(m => m.Type)));
        Assert.Equal("42501", messages[4].SqlState);
        Assert.Contains("destructive-ddl", messages[4].Message, StringComparison.Ordinal);
        Assert.Equal('I', messages[5].Status);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task RefusedSimpleQuery_PipelinedBehindOthers_KeepsTheOrderOfAnswers()
    {
        await using var client = await LoginAsync();

        await client.SendAsync(
            o => FrontendWriter.WriteQuery(o, "SELECT 1"),
            o => FrontendWriter.WriteQuery(o, "DROP TABLE nothing_here"),
            o => FrontendWriter.WriteQuery(o, "SELECT 3"));
        var first = await client.ReadUntilReadyAsync();
        var second = await client.ReadUntilReadyAsync();
        var third = await client.ReadUntilReadyAsync();

        Assert.Equal("T D C Z", string.Join(' ', first.Select(m => m.Type)));
        Assert.Equal("E Z", string.Join(' ', second.Select(m => m.Type)));
        Assert.Equal("T D C Z", string.Join(' ', third.Select(m => m.Type)));
        Assert.Equal("3", Encoding.UTF8.GetString(third[1].Body[6..]));
    }

    [Fact]
    public async Task RowLimitedPortal_IsSuspendedAndResumed_WithRowsMasked_EvenWithoutADescribe()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} AS SELECT g AS id, '4111111111111111' AS card FROM generate_series(1, 7) g");
        await using var client = await LoginAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "BEGIN"));
        await client.ReadUntilReadyAsync();

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "s1", $"SELECT id, card FROM {table} ORDER BY id", []),
            o => FrontendWriter.WriteBind(o, "p1", "s1", [], [], [Appliance.Wire.Primitives.PgFormat.Binary]),
            o => FrontendWriter.WriteExecute(o, "p1", 3),
            o => FrontendWriter.WriteExecute(o, "p1", 3),
            o => FrontendWriter.WriteExecute(o, "p1", 3),
            FrontendWriter.WriteSync);
        var messages = await client.ReadUntilReadyAsync();

        Assert.Equal("1 2 D D D s D D D s D C Z", string.Join(' ', messages.Select(m => m.Type)));
        foreach (var row in messages.Where(m => m.Type == 'D'))
        {
            var text = Encoding.UTF8.GetString(row.Body);
            Assert.DoesNotContain("4111111111111111", text, StringComparison.Ordinal);
            Assert.Contains("1111", text, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A named portal fetched from again after a write (pgjdbc's fetch size with writes on the same
    /// connection) is no longer trusted for its plan, and its record names the portal and the
    /// statement it was bound to (probe VB1: the record had no text at all).
    /// </summary>
    [Fact]
    public async Task AFetchFromANamedPortalAfterAWrite_IsRecordedWithTheStatementItWasBoundTo()
    {
        var table = PgGatewayFixture.TableName("fetchw");
        var marker = PgGatewayFixture.Marker();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        await using var client = await LoginAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "BEGIN"));
        await client.ReadUntilReadyAsync();

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "s1", $"SELECT g AS {marker} FROM generate_series(1, 5) g", []),
            o => FrontendWriter.WriteBind(o, "p1", "s1", [], [], []),
            o => FrontendWriter.WriteExecute(o, "p1", 2),
            RawPgClient.Unnamed($"INSERT INTO {table} VALUES (1)"),
            o => FrontendWriter.WriteExecute(o, "p1", 2),
            FrontendWriter.WriteSync);
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

        var recorded = await fixture.RecordedStatementsAsync(marker, count: 2);
        Assert.Equal(2, recorded.Count);
        Assert.Equal($"SELECT g AS {marker} FROM generate_series(1, 5) g", recorded[0].Str("sql"));
        Assert.Equal($"-- portal \"p1\", bound to:\nSELECT g AS {marker} FROM generate_series(1, 5) g", recorded[1].Str("sql"));
    }

    /// <summary>A statement name the upstream already holds: PostgreSQL keeps the first text, so the gateway must not judge by the second.</summary>
    [Fact]
    public async Task AStatementNameParsedAgainWithOtherText_IsRefused_AndTheFirstStaysMasked_AndNotRunBySqlExecute()
    {
        var table = PgGatewayFixture.TableName("reparse");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, ssn text, note text); INSERT INTO {table} VALUES (1, '123-45-6789', 'plain')");
        await using var client = await LoginAsync();
        var query = $"SELECT id, translate({{0}}, '0123456789', 'abcdefghij') AS t FROM {table}";

        await client.SendAsync(o => FrontendWriter.WriteParse(o, "s1", string.Format(CultureInfo.InvariantCulture, query, "ssn"), []), FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "s1", string.Format(CultureInfo.InvariantCulture, query, "note"), []), FrontendWriter.WriteSync);
        var second = await client.ReadUntilReadyAsync();
        await client.SendAsync(o => FrontendWriter.WriteBind(o, "", "s1", [], [], []), o => FrontendWriter.WriteExecute(o, "", 0), FrontendWriter.WriteSync);
        var rows = await client.ReadUntilReadyAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "EXECUTE s1"));
        var executed = await client.ReadUntilReadyAsync();

        Assert.Equal("42P05", second.First(m => m.Type == 'E').SqlState);
        var row = Assert.Single(rows, m => m.Type == 'D');
        Assert.DoesNotContain("bcd-ef-ghij", Encoding.UTF8.GetString(row.Body), StringComparison.Ordinal);

        // SQL EXECUTE carries none of the statement's text: refused on a connection with masked columns.
        Assert.DoesNotContain(executed, m => m.Type == 'D');
        Assert.Equal("42501", executed.First(m => m.Type == 'E').SqlState);
    }

    [Fact]
    public async Task FunctionCall_IsRefused()
    {
        await using var client = await LoginAsync();
        var call = new byte[] { (byte)'F', 0, 0, 0, 14, 0, 0, 0x05, 0x69, 0, 0, 0, 0, 0, 0 };

        await client.SendRawAsync(call);
        var messages = await client.ReadUntilReadyAsync();

        Assert.Equal("E Z", string.Join(' ', messages.Select(m => m.Type)));
        Assert.Equal("42501", messages[0].SqlState);
        Assert.Contains("function call", messages[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelRequest_WithTheGatewaysKey_CancelsTheUpstreamStatement_AndAWrongKeyDoesNot()
    {
        await using var client = await LoginAsync();
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT pg_sleep(1)"));
        await using (var wrong = await RawPgClient.ConnectAsync(fixture.Port))
        {
            await wrong.SendAsync(o => FrontendWriter.WriteCancelRequest(o, client.ProcessId, [1, 2, 3, 4]));
            await wrong.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));
        }

        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT pg_sleep(5)"));
        await Task.Delay(300);
        await using (var cancel = await RawPgClient.ConnectAsync(fixture.Port))
        {
            await cancel.SendAsync(o => FrontendWriter.WriteCancelRequest(o, client.ProcessId, client.SecretKey));
            await cancel.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));
        }

        var messages = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(3));
        Assert.Equal("57014", Assert.Single(messages, m => m.Type == 'E').SqlState);
    }

    [Fact]
    public async Task Terminate_ClosesBothLegs()
    {
        var application = "terminate-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.GrantAsync();
        await using var client = await RawPgClient.ConnectAsync(fixture.Port);
        await client.SendStartupAsync(Alice, "demo", fixture.AliceToken, new KeyValuePair<string, string>("application_name", application));
        await client.ReadUntilReadyAsync();
        Assert.Equal(1L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application}'"));

        await client.SendAsync(FrontendWriter.WriteTerminate);

        Assert.Empty(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(5)));
        long left = 1;
        for (var i = 0; i < 40 && left > 0; i++)
        {
            await Task.Delay(50);
            left = await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application}'");
        }

        Assert.Equal(0L, left);
    }

    [Fact]
    public async Task Terminate_OverTls_GetsNoErrorWhenTheUpstreamCloses()
    {
        // On threads the upstream leg may see the upstream close before the client leg has
        // stopped; that close was asked for, and node-postgres throws on an error after end().
        // A race: it showed in most runs beside other suites (a loaded machine), rarely alone.
        for (var i = 0; i < 20; i++)
        {
            await using var client = await LoginAsync(tls: true);

            await client.SendAsync(FrontendWriter.WriteTerminate);

            Assert.Empty(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task UnknownMessageType_GetsAFatalProtocolViolation()
    {
        await using var client = await LoginAsync();

        await client.SendRawAsync([(byte)'!', 0, 0, 0, 4]);
        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));

        var fatal = Assert.Single(messages);
        Assert.Equal("08P01", fatal.SqlState);
        Assert.Contains("invalid frontend message type '!'", fatal.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// An SSLRequest sent inside a session reads as type 0 with 2,052 bytes to come: refused on its
    /// header, as PostgreSQL does, not once those bytes arrived (probe OB3: the next query was
    /// swallowed into its body and the session hung).
    /// </summary>
    [Fact]
    public async Task UnknownMessageType_IsRefusedOnItsHeader_BeforeItsDeclaredLengthArrives()
    {
        await using var client = await LoginAsync();

        await client.SendRawAsync([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]);
        var fatal = Assert.Single(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(5)));

        Assert.Equal("08P01", fatal.SqlState);
        Assert.EndsWith("invalid frontend message type 0 (0x00)", fatal.Message, StringComparison.Ordinal);
    }

    /// <summary>A lone unknown type byte gets its FATAL at once, not after four more bytes (probe QC3).</summary>
    [Fact]
    public async Task UnknownMessageType_IsRefusedOnItsTypeByteAlone()
    {
        await using var client = await LoginAsync();

        await client.SendRawAsync([(byte)'!']);
        var fatal = Assert.Single(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(5)));

        Assert.Equal("08P01", fatal.SqlState);
        Assert.EndsWith("invalid frontend message type '!'", fatal.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// An unprintable type (a NUL) is named by its number: written raw, it ended the ErrorResponse's
    /// message field early and made the FATAL itself malformed (probe AY).
    /// </summary>
    [Fact]
    public async Task NulMessageType_GetsAWellFormedFatalNamingIt()
    {
        await using (var client = await LoginAsync())
        {
            await client.SendRawAsync([0, 0, 0, 0, 4]);
            var fatal = Assert.Single(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal("08P01", fatal.SqlState);
            Assert.EndsWith("invalid frontend message type 0 (0x00)", fatal.Message, StringComparison.Ordinal);
        }

        // The same where the password is expected (a second StartupMessage starts with a NUL).
        await using var login = await RawPgClient.ConnectAsync(fixture.Port);
        await login.SendAsync(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V30, [new("user", Alice), new("database", "demo")]));
        Assert.Equal('R', (await login.ReadAsync()).Type);
        await login.SendRawAsync([0, 0, 0, 0, 4]);
        var refused = Assert.Single(await login.ReadUntilClosedAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("08P01", refused.SqlState);
        Assert.Equal("Expected a password response, got message type 0 (0x00).", refused.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ABindWithAnUnknownResultFormat_GetsAnErrorItCanRead(bool tls)
    {
        // Probe AH: the gateway closed the connection without a word.
        await using var client = await LoginAsync(tls: tls);

        // Bind: portal "", statement "", no parameter formats, no parameters, one result format: 2.
        byte[] bind = [(byte)'B', 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2];
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "", "SELECT 1", []));
        await client.SendRawAsync([.. bind]);
        await client.SendAsync(FrontendWriter.WriteSync);
        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));

        var error = Assert.Single(messages, m => m.Type == 'E');
        Assert.Equal("08P01", error.SqlState);
        Assert.Contains("format code 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedMessage_IsRefusedBeforeItIsBuffered()
    {
        await using var client = await LoginAsync();

        // Claims 1 GB but sends 5 bytes: the gateway must not wait for (or allocate) the rest.
        await client.SendRawAsync([(byte)'Q', 0x3F, 0xFF, 0xFF, 0xFF]);
        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));

        Assert.Equal("54000", Assert.Single(messages).SqlState);
    }
}
