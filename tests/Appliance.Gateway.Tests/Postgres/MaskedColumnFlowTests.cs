using Microsoft.Extensions.Logging;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Npgsql;

namespace Appliance.Gateway.Tests.Postgres;

public sealed class MaskedColumnFlowOverTlsTests(PgGatewayFixture fixture) : MaskedColumnFlowTests<PgGatewayFixture>(fixture);

public sealed class MaskedColumnFlowOnEventLoopTests(PlaintextFixture fixture) : MaskedColumnFlowTests<PlaintextFixture>(fixture);

/// <summary>
/// A masked column cannot be laundered through something the gateway cannot follow (a table,
/// a function, an SQL prepared statement); read in place, or through a cursor, it stays masked.
/// </summary>
public abstract class MaskedColumnFlowTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PgGatewayFixture
{
    /// <summary>A table with one person whose SSN is this test's own, so any leak of it anywhere is this test's.</summary>
    private async Task<(string Table, string Ssn)> PersonAsync()
    {
        var table = PgGatewayFixture.TableName("person");
        var ssn = $"{Random.Shared.Next(100, 899)}-{Random.Shared.Next(10, 99)}-{Random.Shared.Next(1000, 9999)}";
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int PRIMARY KEY, ssn text); INSERT INTO {table} VALUES (1, '{ssn}');");
        return (table, ssn);
    }

    /// <summary>
    /// A named portal is gone when its transaction ends; a SQL cursor may then take its name, and
    /// an Execute of that name runs the cursor: masked by the cursor's columns, not by the plan of
    /// the portal that had the name (probe DO-3).
    /// </summary>
    [Fact]
    public async Task ACursorTakingTheNameOfAnEndedPortal_IsMaskedAsTheCursor()
    {
        var (table, ssn) = await PersonAsync();
        await using var client = await fixture.RawAliceAsync();
        Assert.Contains(await BindPortalCAsync(client, "SELECT 'plain'::text AS v", maxRows: 0), m => m.Type == 'D');
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(
            o, $"BEGIN; DECLARE c CURSOR FOR SELECT translate(ssn, '0123456789', 'abcdefghij') AS v FROM {table}"));
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

        await AssertPortalCIsMaskedAsync(client, ssn);
    }

    /// <summary>
    /// Inside one transaction a SQL CLOSE and DECLARE gave a protocol portal's name to a cursor
    /// over the SSNs: its next Execute was masked by the portal's harmless plan (probe IA1).
    /// </summary>
    [Fact]
    public async Task APortalsName_TakenByACursorInTheSameTransaction_IsMaskedAsTheCursor()
    {
        var (table, ssn) = await PersonAsync();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "BEGIN"));
        await client.ReadUntilReadyAsync();
        Assert.Contains(await BindPortalCAsync(client, "SELECT 'harmless'::text AS v FROM generate_series(1, 3)", maxRows: 1), m => m.Type == 's');
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(
            o, $"CLOSE c; DECLARE c CURSOR FOR SELECT translate(ssn, '0123456789', 'abcdefghij') AS v FROM {table}"));
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

        await AssertPortalCIsMaskedAsync(client, ssn);
    }

    /// <summary>Binds the portal <c>c</c> over <paramref name="query"/>, describes it and runs it up to <paramref name="maxRows"/>.</summary>
    private static async Task<List<PgMessage>> BindPortalCAsync(RawPgClient client, string query, int maxRows)
    {
        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", query, []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "c", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteDescribe(o, Appliance.Wire.Frontend.DescribeTarget.Portal, "c"),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "c", maxRows),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        return await client.ReadUntilReadyAsync();
    }

    /// <summary>An Execute of <c>c</c>, now a cursor over the SSN in letters, returns its one row masked.</summary>
    private static async Task AssertPortalCIsMaskedAsync(RawPgClient client, string ssn)
    {
        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "c", 0),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        var rows = await client.ReadUntilReadyAsync();

        var row = System.Text.Encoding.UTF8.GetString(Assert.Single(rows, m => m.Type == 'D').Body);
        Assert.DoesNotContain(AsLetters(ssn), row, StringComparison.Ordinal);
        Assert.Contains("****", row, StringComparison.Ordinal);
    }

    /// <summary>
    /// A WITH HOLD cursor's name outlives the cursor when something else closes it (a protocol
    /// Close, CLOSE ALL, a rollback) or reopens it (a function's OPEN): a new portal under the name
    /// was masked by the old cursor's harmless query, and a FETCH returned the SSN whole (probe FB1).
    /// </summary>
    [Theory]
    [InlineData("close")]
    [InlineData("CLOSE ALL")]
    [InlineData("rollback")]
    [InlineData("function")]
    [InlineData("declare")] // probe GB1: a WITH HOLD cursor declared outside a transaction runs its query at once
    public async Task ACursorsName_TakenByAnotherPortal_IsNotMaskedByTheOldCursorsQuery(string closedBy)
    {
        var (table, ssn) = await PersonAsync();
        var letters = $"translate(ssn, '0123456789', 'abcdefghij')";
        await using var client = await fixture.RawAliceAsync();
        async Task<List<PgMessage>> Query(string sql)
        {
            await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, sql));
            return await client.ReadUntilReadyAsync();
        }

        await Query(closedBy == "rollback" ? "BEGIN" : "SELECT 1");
        Assert.DoesNotContain(await Query("DECLARE a CURSOR WITH HOLD FOR SELECT 'harmless'::text AS v"), m => m.Type == 'E');
        switch (closedBy)
        {
            case "close":
                await client.SendAsync(
                    o => Appliance.Wire.Writing.FrontendWriter.WriteClose(o, Appliance.Wire.Frontend.DescribeTarget.Portal, "a"),
                    Appliance.Wire.Writing.FrontendWriter.WriteSync);
                await client.ReadUntilReadyAsync();
                break;
            case "function":
                // A function of the database's own (a DO block naming ssn is refused) closes the cursor and opens another under its name.
                await fixture.UpstreamAsync($"CREATE FUNCTION reopen_{table}(c refcursor) RETURNS refcursor LANGUAGE plpgsql AS $$ BEGIN CLOSE c; " +
                    $"OPEN c FOR SELECT {letters} AS v FROM {table}; RETURN c; END $$; GRANT EXECUTE ON FUNCTION reopen_{table}(refcursor) TO PUBLIC");
                await Query("BEGIN");
                Assert.DoesNotContain(await Query($"SELECT reopen_{table}('a')"), m => m.Type == 'E');
                break;
            case "declare":
                await fixture.UpstreamAsync($"CREATE FUNCTION redeclare_{table}() RETURNS int LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'CLOSE a'; " +
                    $"EXECUTE 'DECLARE a CURSOR WITH HOLD FOR SELECT {letters.Replace("'", "''", StringComparison.Ordinal)} AS v FROM {table}'; RETURN 1; END $$; " +
                    $"GRANT EXECUTE ON FUNCTION redeclare_{table}() TO PUBLIC");
                Assert.DoesNotContain(await Query($"DECLARE b CURSOR WITH HOLD FOR SELECT redeclare_{table}()"), m => m.Type == 'E');
                break;
            default:
                await Query(closedBy);
                break;
        }

        if (closedBy is not ("function" or "declare"))
        {
            await Query("BEGIN");
            await client.SendAsync(
                o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", $"SELECT {letters} AS v FROM {table}", []),
                o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "a", "", [], [], []),
                Appliance.Wire.Writing.FrontendWriter.WriteSync);
            Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
        }

        var fetched = await Query("fetch all from a");

        var row = System.Text.Encoding.UTF8.GetString(Assert.Single(fetched, m => m.Type == 'D').Body);
        Assert.DoesNotContain(AsLetters(ssn), row, StringComparison.Ordinal);
        Assert.Contains("****", row, StringComparison.Ordinal);
    }

    /// <summary>
    /// A constraint's error quotes the failing row whole, masked columns included, though the
    /// statement names none of them (probe EO1): errors of a statement naming a table that holds a
    /// masked column keep no values.
    /// </summary>
    [Fact]
    public async Task AnErrorQuotingTheFailingRow_KeepsNoMaskedValue()
    {
        // A value no detector knows: only the column rule on ssn protects it.
        var table = PgGatewayFixture.TableName("failing");
        var secret = "SECRET-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.UpstreamAsync(
            $"CREATE TABLE {table} (id int PRIMARY KEY, ssn text, note text CHECK (note IS NULL OR note <> 'bad')); INSERT INTO {table} VALUES (1, '{secret}', NULL)");
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, $"UPDATE {table} SET note = 'bad' WHERE id = 1"));
        var error = Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

        Assert.Equal("23514", error.SqlState);
        Assert.DoesNotContain(secret, System.Text.Encoding.UTF8.GetString(error.Body), StringComparison.Ordinal);
    }

    /// <summary>The SSN as translate(ssn, '0123456789', 'abcdefghij') writes it.</summary>
    private static string AsLetters(string ssn) => new([.. ssn.Select(c => char.IsAsciiDigit(c) ? (char)('a' + (c - '0')) : c)]);

    private static void AssertNoSsn(string? text, string ssn)
    {
        Assert.DoesNotContain(ssn, text ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain(ssn.Replace("-", "", StringComparison.Ordinal), text ?? "", StringComparison.Ordinal);
    }

    /// <summary>Waits for this session's statements to reach the audit log, then looks for the SSN in every event.</summary>
    private async Task AssertAuditHasNoSsnAsync(NpgsqlConnection connection, string ssn)
    {
        var marker = "marker-" + PgGatewayFixture.Marker();
        await using (var command = new NpgsqlCommand($"SELECT '{marker}'", connection))
        {
            await command.ExecuteScalarAsync();
        }

        var events = "";
        for (var i = 0; i < 200 && !events.Contains(marker, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            await using var store = await fixture.Gateway.Service<Appliance.Gateway.Store.StoreDatabase>().OpenAsync();
            events = string.Join("\n", await Dapper.SqlMapper.QueryAsync<string>(store, "SELECT data FROM events"));
        }

        Assert.Contains(marker, events, StringComparison.Ordinal);
        AssertNoSsn(events, ssn);
    }

    /// <summary>Runs the statement <paramref name="template"/> makes for <paramref name="table"/>, which must fail.</summary>
    private static Task<PostgresException> FailsAsync(NpgsqlConnection connection, string template, string table) =>
        Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var command = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, table), connection);
            await command.ExecuteNonQueryAsync();
        });

    private async Task<string> PeopleAsync()
    {
        var table = PgGatewayFixture.TableName("people");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int PRIMARY KEY, ssn text); INSERT INTO {table} VALUES (1, '123-45-6789');");
        return table;
    }

    [Fact]
    public async Task PsqlWithFetchCount_ReadsThroughACursor_MaskedAsTheQueryWouldBe()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.GrantAsync();

        // FETCH_COUNT makes psql run each query as DECLARE … CURSOR FOR, then FETCH, then CLOSE.
        var masked = await fixture.PsqlAsync("demo", fixture.Tls ? "require" : "disable", "-v", "FETCH_COUNT=1", "-At",
            "-c", $"SELECT id, ssn, replace(ssn, '-', '') AS x FROM {table}");
        Assert.Equal(0, masked.ExitCode);
        Assert.Equal("1|****|****", masked.Stdout.Trim());
        // Its withheld column is named once, not at each FETCH.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(masked.Stderr, "withholds column \"x\""));

        // A cursor over columns that are not masked reads as the query does: the FETCH is planned with its DECLARE.
        var plain = await fixture.PsqlAsync("demo", fixture.Tls ? "require" : "disable", "-v", "FETCH_COUNT=1", "-At",
            "-c", $"SELECT id, upper('plain') AS u FROM {table}");
        Assert.Equal("1|PLAIN", plain.Stdout.Trim());
        AssertNoSsn(masked.Stdout + masked.Stderr, ssn);
    }

    [Fact]
    public async Task ACursorsRows_ComeBackAsItsQuerys_AfterAFailedQueryOrWithASemicolon()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.GrantAsync();
        var sslMode = fixture.Tls ? "require" : "disable";

        // A FETCH ending in a semicolon, as psql scripts send it.
        var fetched = await fixture.PsqlAsync("demo", sslMode, "-At",
            "-c", "BEGIN", "-c", $"DECLARE y CURSOR FOR SELECT 1 + 1 AS two, upper('a') FROM {table}", "-c", "FETCH FIRST FROM y;", "-c", "COMMIT");
        Assert.Contains("2|A", fetched.Stdout, StringComparison.Ordinal);

        // psql's FETCH_COUNT reuses one cursor name: a query that failed under a savepoint must not blank the next.
        var afterError = await fixture.PsqlAsync("demo", sslMode, "-v", "FETCH_COUNT=7", "-At",
            "-c", "BEGIN", "-c", "SAVEPOINT s", "-c", $"SELECT 1 / 0 AS boom FROM {table}", "-c", "ROLLBACK TO SAVEPOINT s",
            "-c", $"SELECT count(*) AS n, max(id) + 1 AS m FROM {table}", "-c", $"SELECT id, replace(ssn, '-', '') FROM {table}", "-c", "COMMIT");
        Assert.Contains("1|2", afterError.Stdout, StringComparison.Ordinal);
        Assert.Contains("1|****", afterError.Stdout, StringComparison.Ordinal);
        AssertNoSsn(afterError.Stdout + afterError.Stderr, ssn);
    }

    [Fact]
    public async Task ACursorDeclaredAgain_KeepsMaskingWhatItMayStillHold_AndABodyCannotFetchFromIt()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.GrantAsync();
        var sslmode = fixture.Tls ? "require" : "disable";

        // PostgreSQL refuses the second DECLARE (the name exists) and keeps the first cursor.
        var redeclared = await fixture.PsqlAsync("demo", sslmode, "-At",
            "-c", $"DECLARE a CURSOR WITH HOLD FOR SELECT translate(ssn, '0123456789', 'abcdefghij') AS t FROM {table}",
            "-c", "DECLARE a CURSOR WITH HOLD FOR SELECT 'harmless'::text AS t",
            "-c", "FETCH 1 a", "-c", "CLOSE a");
        Assert.Contains("****", redeclared.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("harmless", redeclared.Stdout, StringComparison.Ordinal);

        // A DO block reading the cursor by name would print what masking cannot follow.
        var body = await fixture.PsqlAsync("demo", sslmode, "-At",
            "-c", $"DECLARE s CURSOR WITH HOLD FOR SELECT id, ssn FROM {table}",
            "-c", "DO $$DECLARE r refcursor := 's'; i int; v text; BEGIN FETCH r INTO i, v; RAISE NOTICE '%', translate(v, '0123456789', 'abcdefghij'); END$$",
            "-c", "CLOSE s");
        Assert.Contains("FETCHed in a body", body.Stderr, StringComparison.Ordinal);
        var letters = AsLetters(ssn);
        Assert.DoesNotContain(letters, body.Stdout + body.Stderr, StringComparison.Ordinal);
        AssertNoSsn(redeclared.Stdout + redeclared.Stderr + body.Stdout + body.Stderr, ssn);
    }

    /// <summary>
    /// A name the gateway forgot (any other statement may close a cursor) may still be open: a
    /// DECLARE of it that PostgreSQL refuses (probe JA1), or a Parse of one never executed (JA2),
    /// must not teach the gateway a harmless query for the FETCH that reads the old cursor.
    /// </summary>
    [Theory]
    [InlineData("refused")]
    [InlineData("parsed")]
    public async Task ACursorsQuery_IsLearntOnlyFromADeclarePostgreSqlRan(string how)
    {
        var (table, ssn) = await PersonAsync();
        await using var client = await fixture.RawAliceAsync();
        async Task<List<PgMessage>> Query(string sql)
        {
            await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, sql));
            return await client.ReadUntilReadyAsync();
        }

        Assert.DoesNotContain(
            await Query($"DECLARE c CURSOR WITH HOLD FOR SELECT translate(ssn, '0123456789', 'abcdefghij') AS v FROM {table}"), m => m.Type == 'E');
        await Query("SELECT 1");
        if (how == "refused")
        {
            Assert.Equal("42P03", Assert.Single(await Query("DECLARE c CURSOR WITH HOLD FOR SELECT 'harmless'::text AS v"), m => m.Type == 'E').SqlState);
        }
        else
        {
            await client.SendAsync(
                o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "DECLARE c CURSOR WITH HOLD FOR SELECT 'harmless'::text AS v", []),
                Appliance.Wire.Writing.FrontendWriter.WriteSync);
            Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
        }

        var row = System.Text.Encoding.UTF8.GetString(Assert.Single(await Query("FETCH 1 FROM c"), m => m.Type == 'D').Body);
        Assert.DoesNotContain(AsLetters(ssn), row, StringComparison.Ordinal);
        Assert.Contains("****", row, StringComparison.Ordinal);
    }

    /// <summary>A DECLARE PostgreSQL ran is learnt: a FETCH from it is masked by its own query, so a column it does not compute from a masked one comes out whole.</summary>
    [Fact]
    public async Task ACursorDeclaredAndAnswered_PlansItsFetches()
    {
        var (table, _) = await PersonAsync();
        await using var client = await fixture.RawAliceAsync();
        async Task<List<PgMessage>> Query(string sql)
        {
            await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, sql));
            return await client.ReadUntilReadyAsync();
        }

        await Query("BEGIN");
        Assert.DoesNotContain(await Query($"DECLARE c CURSOR FOR SELECT id * 1000 + 7 AS v FROM {table}"), m => m.Type == 'E');
        var row = System.Text.Encoding.UTF8.GetString(Assert.Single(await Query("FETCH 1 FROM c"), m => m.Type == 'D').Body);
        Assert.Contains("1007", row, StringComparison.Ordinal);
    }

    /// <summary>Once its transaction ended, a cursor that was not WITH HOLD hides no more errors (probe JB1: psql's FETCH_COUNT).</summary>
    [Fact]
    public async Task AfterACursorsTransactionEnded_ErrorsSayWhatTheyAreAbout()
    {
        var marker = "nocol_" + PgGatewayFixture.Marker();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "BEGIN; DECLARE c CURSOR FOR SELECT 1; FETCH 1 FROM c; CLOSE c; COMMIT"));
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, $"SELECT {marker}"));
        var error = Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
        Assert.Equal("42703", error.SqlState);
        Assert.Contains(marker, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorsOfACursorsQuery_RaisedAtMoveOrCommit_OrPrintedUnquoted_AreWithheld()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.GrantAsync();
        var sslmode = fixture.Tls ? "require" : "disable";
        var letters = AsLetters(ssn);
        var asLetters = $"translate(ssn, '0123456789', 'abcdefghij')";

        // The cursor's query runs (and fails) at MOVE, and for a WITH HOLD cursor at COMMIT.
        var move = await fixture.PsqlAsync("demo", sslmode, "-c", "BEGIN",
            "-c", $"DECLARE c CURSOR FOR SELECT {asLetters}::int FROM {table}", "-c", "MOVE 1 IN c");
        var commit = await fixture.PsqlAsync("demo", sslmode, "-c", "BEGIN",
            "-c", $"DECLARE h CURSOR WITH HOLD FOR SELECT {asLetters}::int FROM {table}", "-c", "COMMIT");
        // regoper prints the value it could not find unquoted.
        var regoper = await fixture.PsqlAsync("demo", sslmode, "-c", $"SELECT translate(ssn, '0123456789-', 'abcdefghijk')::regoper FROM {table}");

        foreach (var result in new[] { move, commit, regoper })
        {
            Assert.Contains("****", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(letters, result.Stdout + result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(letters.Replace("-", "k", StringComparison.Ordinal), result.Stderr, StringComparison.Ordinal);
            AssertNoSsn(result.Stdout + result.Stderr, ssn);
        }
    }

    [Fact]
    public async Task AFetchFromACursorTheGatewayNeverSawDeclared_MasksComputedColumnsWhole()
    {
        var (table, ssn) = await PersonAsync();
        var opener = "open_" + table;
        // A function of the database's own (not created through the gateway) opens the cursor.
        await fixture.UpstreamAsync(
            $"CREATE FUNCTION {opener}() RETURNS refcursor LANGUAGE plpgsql AS $$ DECLARE c refcursor := 'hidden_{table}'; " +
            $"BEGIN OPEN c FOR SELECT replace(ssn, '-', '') AS x, ssn FROM {table}; RETURN c; END $$; GRANT EXECUTE ON FUNCTION {opener}() TO PUBLIC");
        await fixture.GrantAsync();

        var result = await fixture.PsqlAsync("demo", fixture.Tls ? "require" : "disable", "-At",
            "-c", $"BEGIN; SELECT {opener}(); FETCH ALL FROM hidden_{table}; COMMIT;");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("****|****", result.Stdout, StringComparison.Ordinal);
        AssertNoSsn(result.Stdout + result.Stderr, ssn);
    }

    [Fact]
    public async Task ACursorReadWithNpgsql_IsMasked_ComputedColumnsWhole()
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await new NpgsqlCommand($"DECLARE c CURSOR FOR SELECT id, ssn, replace(ssn, '-', '') AS x FROM {table}", connection, transaction).ExecuteNonQueryAsync();

        await using var reader = await new NpgsqlCommand("FETCH ALL FROM c", connection, transaction).ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.Equal("****", reader.GetString(1));
        Assert.Equal("****", reader.GetString(2));
        AssertNoSsn(reader.GetString(2), ssn);
    }

    [Theory]
    [InlineData("CREATE TEMP TABLE laundered AS SELECT id, replace(ssn, '-', '') AS x FROM {0}")]
    [InlineData("PREPARE laundered AS SELECT replace(ssn, '-', '') AS x FROM {0}")]
    [InlineData("CREATE FUNCTION pg_temp.laundered() RETURNS SETOF text LANGUAGE sql AS $$ SELECT replace(ssn, '-', '') FROM {0} $$")]
    [InlineData("DO $$ BEGIN RAISE NOTICE '%', (SELECT replace(ssn, '-', '') FROM {0} LIMIT 1); END $$")]
    public async Task CopyingAMaskedColumnAway_IsRefused_AndNothingIsCreated(string template)
    {
        var table = await PeopleAsync();
        await using var connection = await fixture.OpenAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);

        var error = await FailsAsync(connection, template, table);

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("masked column \"ssn\"", error.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain(notices, n => n.Contains("123456789", StringComparison.Ordinal));
        await using var check = new NpgsqlCommand(
            "SELECT count(*) FROM pg_class WHERE relname = 'laundered' AND relpersistence = 't'", connection);
        Assert.Equal(0L, await check.ExecuteScalarAsync());
        await using var prepared = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements WHERE name = 'laundered'", connection);
        Assert.Equal(0L, await prepared.ExecuteScalarAsync());
    }

    /// <summary>
    /// The index predicate of an upsert and the WHERE of a union's first branch had made the rest
    /// of the statement read as a filter, and a masked column was copied into a clean one (probe
    /// CB1, CB2). The upsert that keeps the value in the masked column runs (probe CB3).
    /// </summary>
    [Fact]
    public async Task AnUpsertOrAUnion_CopyingAMaskedColumn_IsRefused_AndAnUpsertInPlaceRuns()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync($"CREATE TABLE {table}_clean (id int PRIMARY KEY, v text); INSERT INTO {table}_clean VALUES (1, 'z')");
        await using var connection = await fixture.OpenAsync();

        var upsert = await FailsAsync(connection,
            "INSERT INTO {0}_clean AS t (id, v) VALUES (1, 'y') ON CONFLICT (id) WHERE true DO UPDATE SET v = (SELECT reverse(ssn) FROM {0} LIMIT 1)", table);
        var union = await FailsAsync(connection, "INSERT INTO {0}_clean (id, v) SELECT 2, 'a' WHERE true UNION ALL SELECT 3, reverse(ssn) FROM {0}", table);
        await using (var inPlace = new NpgsqlCommand(
            $"INSERT INTO {table} (id, ssn) VALUES (1, '000-11-2222') ON CONFLICT (id) DO UPDATE SET ssn = EXCLUDED.ssn", connection))
        {
            await inPlace.ExecuteNonQueryAsync();
        }

        Assert.Equal("42501", upsert.SqlState);
        Assert.Contains("masked column \"ssn\"", upsert.MessageText, StringComparison.Ordinal);
        Assert.Equal("42501", union.SqlState);
        Assert.Contains("masked column \"ssn\"", union.MessageText, StringComparison.Ordinal);
        Assert.Equal("1:z", await fixture.UpstreamScalarAsync<string>($"SELECT string_agg(id || ':' || v, ',') FROM {table}_clean"));
        Assert.Equal("000-11-2222", await fixture.UpstreamScalarAsync<string>($"SELECT ssn FROM {table} WHERE id = 1"));
        AssertNoSsn(upsert.MessageText + union.MessageText, ssn);
    }

    /// <summary>
    /// The plan of a query selecting a masked column comes back as a plan, its literals through the
    /// detectors, not as rows of **** (probe DA4); one calling an IMMUTABLE function already in the
    /// database that returns one, whose value PostgreSQL folds into the plan, is masked whole.
    /// </summary>
    [Fact]
    public async Task AnExplain_OfAQueryNamingAMaskedColumn_ShowsThePlan_ButNotAFoldedValue()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync(
            $"CREATE FUNCTION {table}_first() RETURNS text IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT ssn FROM {table} LIMIT 1); END $$");
        await using var connection = await fixture.OpenAsync();

        static async Task<string> PlanAsync(NpgsqlConnection connection, string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            var lines = new List<string>();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }

            return string.Join('\n', lines);
        }

        var plan = await PlanAsync(connection, $"EXPLAIN (VERBOSE, COSTS OFF) SELECT id, ssn FROM {table} WHERE ssn <> '123-45-6789'");
        var analyzed = await PlanAsync(connection, $"EXPLAIN (ANALYZE, FORMAT JSON) SELECT upper(ssn) FROM {table}");
        var folded = await PlanAsync(connection, $"EXPLAIN (VERBOSE, COSTS OFF) SELECT {table}_first() AS v");
        // In a filter too, where the plan prints it (probe DC1).
        var filtered = await PlanAsync(connection, $"EXPLAIN SELECT 1 FROM {table} WHERE id::text <> translate({table}_first(), '0123456789', 'abcdefghij')");

        Assert.Contains($"Seq Scan on public.{table}", plan, StringComparison.Ordinal);
        Assert.Contains($"Output: id, ssn", plan, StringComparison.Ordinal);
        Assert.Contains("***-**-6789", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("123-45-6789", plan, StringComparison.Ordinal);
        Assert.Contains("\"Node Type\": \"Seq Scan\"", analyzed, StringComparison.Ordinal);
        Assert.All(folded.Split('\n'), line => Assert.Equal("****", line));
        Assert.All(filtered.Split('\n'), line => Assert.Equal("****", line));
        AssertNoSsn(plan + analyzed + folded + filtered, ssn);
        Assert.DoesNotContain(Letters(ssn), filtered, StringComparison.Ordinal);
    }

    /// <summary>
    /// A WITH query before a write, or a CREATE TABLE … AS, that names a masked column only to
    /// filter runs; before, any mention refused it (probe DA2, DA3). One whose rows carry the
    /// value under another name is still refused, and writes nothing.
    /// </summary>
    [Fact]
    public async Task AFilterOnAMaskedColumn_InAWithQueryOrACreateTableAs_Runs_AndACopyThroughOneIsRefused()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync($"CREATE TABLE {table}_clean (id int PRIMARY KEY, v text); INSERT INTO {table}_clean VALUES (1, 'z')");
        await using var connection = await fixture.OpenAsync();

        await using (var filtered = new NpgsqlCommand(
            $"WITH t AS (SELECT id FROM {table} WHERE ssn LIKE '{ssn[..3]}%') UPDATE {table}_clean SET v = 'flagged' WHERE id IN (SELECT id FROM t)", connection))
        {
            Assert.Equal(1, await filtered.ExecuteNonQueryAsync());
        }

        await using (var inPlace = new NpgsqlCommand(
            $"WITH t AS (SELECT 1 AS id) UPDATE {table} SET ssn = '000-11-2222' WHERE id IN (SELECT id FROM t)", connection))
        {
            Assert.Equal(1, await inPlace.ExecuteNonQueryAsync());
        }

        await using (var created = new NpgsqlCommand($"CREATE TEMP TABLE {table}_ids AS SELECT id FROM {table} WHERE ssn = '000-11-2222'", connection))
        {
            await created.ExecuteNonQueryAsync();
        }

        // A field of a row in parentheses, (p).ssn, is a column too: a filter on it runs (probe DR1).
        await using (var byField = new NpgsqlCommand(
            $"INSERT INTO {table}_clean SELECT (p).id + 10, 'by-field' FROM {table} p WHERE (p).ssn LIKE '000%'", connection))
        {
            Assert.Equal(1, await byField.ExecuteNonQueryAsync());
        }

        var copy = await FailsAsync(connection, "WITH t AS (SELECT id, ssn AS s FROM {0}) UPDATE {0}_clean c SET v = t.s FROM t WHERE c.id = t.id", table);
        var created2 = await FailsAsync(connection, "CREATE TEMP TABLE laundered (a, b) AS SELECT id, ssn FROM {0} WHERE id = 1", table);
        var fieldCopy = await FailsAsync(connection, "INSERT INTO {0}_clean SELECT (p).id + 20, (p).ssn FROM {0} p", table);

        Assert.Equal("42501", fieldCopy.SqlState);
        Assert.Equal("1:flagged,11:by-field", await fixture.UpstreamScalarAsync<string>($"SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM {table}_clean"));
        Assert.Equal("000-11-2222", await fixture.UpstreamScalarAsync<string>($"SELECT ssn FROM {table} WHERE id = 1"));
        await using (var ids = new NpgsqlCommand($"SELECT count(*) FROM {table}_ids", connection))
        {
            Assert.Equal(1L, await ids.ExecuteScalarAsync());
        }

        Assert.Equal("42501", copy.SqlState);
        Assert.Equal("42501", created2.SqlState);
        Assert.Contains("masked column \"ssn\"", copy.MessageText, StringComparison.Ordinal);
        Assert.Contains("masked column \"ssn\"", created2.MessageText, StringComparison.Ordinal);
        await using var check = new NpgsqlCommand("SELECT count(*) FROM pg_class WHERE relname = 'laundered' AND relpersistence = 't'", connection);
        Assert.Equal(0L, await check.ExecuteScalarAsync());
    }

    /// <summary>
    /// A view reading a masked table's clean columns and counting the whole rows of a clean one
    /// (count(i.*), the LEFT JOIN idiom) keeps its computed columns: they came back NULL with no
    /// notice, as if the order had no items (probe DT1). A whole row of the masked table still counts.
    /// </summary>
    [Fact]
    public async Task AViewCountingWholeRowsOfACleanTable_NextToAMaskedOne_KeepsItsComputedColumns()
    {
        var (table, _) = await PersonAsync();
        await fixture.UpstreamAsync($"CREATE TABLE {table}_items (order_id int, total numeric); INSERT INTO {table}_items VALUES (1, 2.5), (1, 4); " +
            $"CREATE VIEW {table}_sum AS SELECT p.id, sum(i.total) AS total, count(i.*) AS items FROM {table} p LEFT JOIN {table}_items i ON i.order_id = p.id GROUP BY p.id; " +
            $"CREATE VIEW {table}_rows AS SELECT p.id, count(p.*) AS n FROM {table} p GROUP BY p.id");
        await using var connection = await fixture.OpenAsync();

        Assert.Equal(["1", "6.5", "2"], await RowAsync(connection, $"SELECT id, total, items FROM {table}_sum"));
        Assert.Equal(["1", "(null)"], await RowAsync(connection, $"SELECT id, n FROM {table}_rows"));
    }

    /// <summary>
    /// A view made in the database (not through the gateway) that renames a masked column, or
    /// computes from it, let it out under the new name with only the detectors on it (probe OA1).
    /// Its columns are masked by what they read, through views over it too, and its other
    /// columns are not.
    /// </summary>
    [Fact]
    public async Task AViewRenamingAMaskedColumn_IsMaskedByWhatItsColumnsRead()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync(
            $"ALTER TABLE {table} ADD COLUMN note text; UPDATE {table} SET note = 'plain note'; " +
            $"CREATE VIEW {table}_v AS SELECT id, ssn AS s, translate(ssn, '0123456789', 'abcdefghij') AS tr, note, upper(note) AS loud FROM {table}; " +
            $"CREATE VIEW {table}_vv AS SELECT s AS s2, note AS n FROM {table}_v; " +
            $"CREATE VIEW {table}_plain AS SELECT id, upper(note) AS loud FROM {table}");
        await using var connection = await fixture.OpenAsync();

        var view = await RowAsync(connection, $"SELECT * FROM {table}_v");
        Assert.Equal(["1", "****", "****", "plain note", "****"], view);
        Assert.Equal(["****", "plain note"], await RowAsync(connection, $"SELECT * FROM {table}_vv"));
        Assert.Equal(["1", "PLAIN NOTE"], await RowAsync(connection, $"SELECT * FROM {table}_plain"));
        var whole = Assert.Single(await RowAsync(connection, $"SELECT v FROM {table}_v v"));
        AssertNoSsn(whole, ssn);
        Assert.DoesNotContain(Letters(ssn), whole, StringComparison.Ordinal);

        // Computing on the new name, in the statement, is computing on the masked column (and, as
        // for a statement naming it, every computed column of the statement is masked).
        Assert.Equal(["****", "****"], await RowAsync(connection, $"SELECT translate(s, '0123456789', 'abcdefghij'), upper(note) FROM {table}_v"));
        Assert.Equal(["PLAIN NOTE"], await RowAsync(connection, $"SELECT upper(note) FROM {table}_v"));
        Assert.Equal(["****"], await RowAsync(connection, $"SELECT reverse(x.s2) FROM {table}_vv x"));
        await fixture.UpstreamAsync($"CREATE TABLE {table}_copy (id int, body text)");
        var copy = await FailsAsync(connection, "INSERT INTO {0}_copy (id, body) SELECT id, s FROM {0}_v", table);
        Assert.Equal("42501", copy.SqlState);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}_copy"));
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>
    /// A view's query is sent to a login only when it is new or replaced (its rule's version):
    /// one replaced between two logins is read again, not taken from the first.
    /// </summary>
    [Fact]
    public async Task AViewReplacedBetweenLogins_IsReadAgain()
    {
        var (table, _) = await PersonAsync();
        await fixture.UpstreamAsync(
            $"ALTER TABLE {table} ADD COLUMN note text; UPDATE {table} SET note = 'plain note'; " +
            $"CREATE VIEW {table}_v AS SELECT ssn AS a, note AS b FROM {table}");
        await using (var first = await fixture.OpenAsync())
        {
            Assert.Equal(["****", "plain note"], await RowAsync(first, $"SELECT * FROM {table}_v"));
        }

        await fixture.UpstreamAsync($"CREATE OR REPLACE VIEW {table}_v AS SELECT note AS a, ssn AS b FROM {table}");
        await using var second = await fixture.OpenAsync();
        Assert.Equal(["plain note", "****"], await RowAsync(second, $"SELECT * FROM {table}_v"));
    }

    /// <summary>
    /// A view's whole-row column carries every column of its relation, and a whole row used
    /// beside a named column leaves PostgreSQL only the column's dependency (probe QA1: both let
    /// the SSN out, translated, and copied it into a table).
    /// </summary>
    [Fact]
    public async Task AViewReadingAWholeRow_IsMaskedAsTheRowsMaskedColumn()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync(
            $"CREATE VIEW {table}_row AS SELECT c FROM {table} c; " +
            $"CREATE VIEW {table}_rj AS SELECT id, translate(row_to_json(c)::text, '0123456789', 'abcdefghij') AS j FROM {table} c; " +
            $"CREATE FUNCTION {table}_txt(anyelement) RETURNS text LANGUAGE sql AS 'SELECT $1::text'; " +
            $"CREATE FUNCTION {table}_acc(text, {table}) RETURNS text LANGUAGE sql AS $f$SELECT coalesce($1, '') || $2::text$f$; " +
            $"CREATE AGGREGATE {table}_agg({table}) (SFUNC = {table}_acc, STYPE = text); " +
            $"CREATE DOMAIN {table}_d AS {table}; CREATE FUNCTION {table}_dt({table}_d) RETURNS text LANGUAGE sql AS 'SELECT $1::text'; " +
            $"CREATE TABLE {table}_sink (body text)");
        await using (var admin = new NpgsqlConnection(fixture.AdminUpstreamConnectionString))
        {
            // One a superuser puts in information_schema, reached by a session's search_path (probe DW2).
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE FUNCTION information_schema.{table}_is(anyelement) RETURNS text LANGUAGE sql AS 'SELECT $1::text'", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using var connection = await fixture.OpenAsync();

        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate(c::text, '0123456789', 'abcdefghij') FROM {table}_row"));
        Assert.Equal(["1", "****"], await RowAsync(connection, $"SELECT * FROM {table}_rj"));
        var copy = await FailsAsync(connection, "INSERT INTO {0}_sink SELECT c::text FROM {0}_row", table);
        Assert.Equal("42501", copy.SqlState);

        // An aggregate in attribute notation on the row, c.json_agg for json_agg(c) (probe DU1).
        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate(c.json_agg::text, '0123456789', 'abcdefghij') FROM {table} c"));
        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate((c).array_agg::text, '0123456789', 'abcdefghij') FROM {table} c"));
        var aggregated = await FailsAsync(connection, "INSERT INTO {0}_sink SELECT (c).jsonb_agg::text FROM {0} c", table);
        Assert.Equal("42501", aggregated.SqlState);
        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate(public.{table}.json_agg::text, '0123456789', 'abcdefghij') FROM {table}"));
        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate(public.{table}.*::text, '0123456789', 'abcdefghij') FROM {table}"));
        // So is a function of the database taking any row (anyelement): c.f is f(c).
        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate(c.{table}_txt, '0123456789', 'abcdefghij') FROM {table} c"));
        var taken = await FailsAsync(connection, "INSERT INTO {0}_sink SELECT c.{0}_txt FROM {0} c", table);
        Assert.Equal("42501", taken.SqlState);
        await using (var path = new NpgsqlCommand("SET search_path = public, information_schema", connection))
        {
            await path.ExecuteNonQueryAsync();
        }

        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate(c.{table}_is, '0123456789', 'abcdefghij') FROM {table} c"));
        // An aggregate over the table's row type, a function over a domain of it (probe DV2, DV3).
        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate(c.{table}_agg, '0123456789', 'abcdefghij') FROM {table} c"));
        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate(c.{table}_dt, '0123456789', 'abcdefghij') FROM {table} c"));

        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}_sink"));
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>
    /// <c>c.x</c> where x is no column of c's table is a function or cast of c's whole row, whatever
    /// the database holds (probe DV4: a superuser's implicit cast of the row to text made c.upper and
    /// c.reverse give the row out; DV5: a function made since the session's login; DV6: one a
    /// superuser put in pg_catalog). The table's own columns, and its system columns, stay columns.
    /// </summary>
    [Fact]
    public async Task ANameAfterTheRowThatIsNoColumn_IsReadAsTheWholeRow()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync($"ALTER TABLE {table} ADD COLUMN note text; UPDATE {table} SET note = 'plain'; CREATE TABLE {table}_sink (body text)");
        await using (var admin = new NpgsqlConnection(fixture.AdminUpstreamConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand(
                $"CREATE CAST ({table} AS text) WITH INOUT AS IMPLICIT; " +
                $"CREATE FUNCTION pg_catalog.{table}_pc(anyelement) RETURNS text LANGUAGE sql AS 'SELECT $1::text'", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using var connection = await fixture.OpenAsync();
        await fixture.UpstreamAsync($"CREATE FUNCTION public.{table}_late(anyelement) RETURNS text LANGUAGE sql AS 'SELECT $1::text'");

        foreach (var field in new[] { "upper", "reverse", $"{table}_pc", $"{table}_late" })
        {
            Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate(c.{field}, '0123456789', 'abcdefghij') FROM {table} c"));
            var copy = await FailsAsync(connection, $"INSERT INTO {{0}}_sink SELECT c.{field} FROM {{0}} c", table);
            Assert.Equal("42501", copy.SqlState);
        }

        Assert.Equal(["****"], await RowAsync(connection, $"SELECT translate({table}.lower, '0123456789', 'abcdefghij') FROM {table}"));
        Assert.Equal(["1", "plain", "PLAIN"], await RowAsync(connection, $"SELECT c.id, c.note, upper(c.note) FROM {table} c"));
        Assert.Equal([await fixture.UpstreamScalarAsync<string>($"SELECT ctid::text FROM {table}") ?? ""], await RowAsync(connection, $"SELECT c.ctid FROM {table} c"));
        await using (var plain = new NpgsqlCommand($"INSERT INTO {table}_sink SELECT c.note FROM {table} c", connection))
        {
            Assert.Equal(1, await plain.ExecuteNonQueryAsync());
        }

        Assert.Equal(["plain"], await RowAsync(connection, $"SELECT body FROM {table}_sink"));
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>
    /// A filter comparing a masked column, or a whole row holding one, with what the statement
    /// makes per row is refused: with digits and positions one statement read every SSN, and the
    /// audit log's sample rows kept them (probe DZ2). A lookup by a constant or a parameter runs.
    /// </summary>
    [Fact]
    public async Task AFilterAskingAboutEachMaskedValuePerRow_IsRefused_ALookupRuns()
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();

        var digits = await FailsAsync(connection,
            "SELECT c.id, string_agg(d::text, '' ORDER BY p) FROM {0} c, generate_series(1, 11) p, generate_series(0, 9) d " +
            "WHERE substr(c.ssn, p, 1) = d::text GROUP BY c.id", table);
        Assert.Equal("42501", digits.SqlState);
        Assert.Contains("a filter compares the masked column \"ssn\"", digits.MessageText, StringComparison.Ordinal);
        var wholeRow = await FailsAsync(connection,
            "SELECT string_agg(d::text, '' ORDER BY p) FROM {0} c, generate_series(1, 40) p, generate_series(0, 9) d WHERE substr(c::text, p, 1) = d::text", table);
        Assert.Equal("42501", wholeRow.SqlState);
        var alternatives = await FailsAsync(connection,
            "SELECT d FROM {0} c, generate_series(0, 9) d WHERE (substr(c.ssn, 1, 1) = '1' AND d = 1) OR (substr(c.ssn, 1, 1) = '2' AND d = 2)", table);
        Assert.Equal("42501", alternatives.SqlState);

        // A row count set by the value (probe EA3), left( in a join (EA2).
        var count = await FailsAsync(connection, "SELECT c.id FROM {0} c, generate_series(0, substr(c.ssn, 1, 3)::int) g", table);
        Assert.StartsWith("the number of rows would tell the value", count.MessageText, StringComparison.Ordinal);

        // Under a name the statement gives it (probe EC1), and as a LATERAL subquery's LIMIT (EC2).
        var renamed = await FailsAsync(connection,
            "SELECT s.id, x FROM (SELECT id, substr(ssn, 1, 1)::int d FROM {0}) s JOIN generate_series(0, 9) x ON x = s.d", table);
        Assert.Equal("42501", renamed.SqlState);
        var limited = await FailsAsync(connection,
            "SELECT c.id FROM {0} c CROSS JOIN LATERAL (SELECT 1 FROM generate_series(1, 9) LIMIT substr(c.ssn, 1, 1)::int) l", table);
        Assert.StartsWith("the number of rows would tell the value", limited.MessageText, StringComparison.Ordinal);
        var left = await FailsAsync(connection, "SELECT x FROM {0} c JOIN generate_series(0, 9) x ON left(c.ssn, 1)::int = x", table);
        Assert.Equal("42501", left.SqlState);

        Assert.Equal(["1"], await RowAsync(connection, $"SELECT id FROM {table} WHERE ssn = '{ssn}'"));
        Assert.Equal(["1", "1"], await RowAsync(connection, $"SELECT count(*) FILTER (WHERE ssn LIKE '{ssn[..3]}%'), count(*) FROM {table}"));
        await using (var lookup = new NpgsqlCommand($"SELECT id FROM {table} c WHERE right(c.ssn, 4) = $1 AND c.id > 0", connection))
        {
            lookup.Parameters.AddWithValue(ssn[^4..]);
            Assert.Equal(1, await lookup.ExecuteScalarAsync());
        }

        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>
    /// A copy of all of a renaming view's columns keeps the view's names, which are not masked
    /// names: each form is refused, a copy of a view that carries no masked column is not (probe
    /// TC1: CREATE TABLE … AS SELECT * FROM v read back the SSN, reversed, unmasked).
    /// </summary>
    [Theory]
    [InlineData("CREATE TABLE {0}_c AS SELECT * FROM {0}_v")]
    [InlineData("CREATE TABLE {0}_c AS TABLE {0}_v")]
    [InlineData("CREATE VIEW {0}_c AS SELECT * FROM {0}_v")]
    [InlineData("CREATE MATERIALIZED VIEW {0}_c AS SELECT v.* FROM {0}_v v")]
    [InlineData("SELECT * INTO {0}_c FROM {0}_v")]
    [InlineData("CREATE TABLE {0}_c AS SELECT * FROM {0}_mv")]
    public async Task ACopyOfARenamingViewsColumns_UnderItsNames_IsRefused(string copy)
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync(
            $"CREATE VIEW {table}_v AS SELECT id, ssn AS s FROM {table}; " +
            $"CREATE MATERIALIZED VIEW {table}_mv AS SELECT id, reverse(ssn) AS r FROM {table}; " +
            $"CREATE VIEW {table}_plain AS SELECT id FROM {table}");
        await using var connection = await fixture.OpenAsync();

        var refused = await FailsAsync(connection, copy, table);

        Assert.Equal("42501", refused.SqlState);
        Assert.Null(await fixture.UpstreamScalarAsync<string>($"SELECT to_regclass('{table}_c')::text"));
        await using (var plain = new NpgsqlCommand($"CREATE TABLE {table}_p AS SELECT * FROM {table}_plain", connection))
        {
            await plain.ExecuteNonQueryAsync();
        }

        Assert.Equal(1L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}_p"));
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>
    /// A column whose type holds a masked column (a composite with an ssn field, an array or a
    /// domain of one, a table's row type) carries it under its own name: masked whole, and
    /// computing on it is computing on the masked column (probe TC2: reverse(info::text) and
    /// to_jsonb(info) gave the SSN out).
    /// </summary>
    [Fact]
    public async Task AColumnOfATypeHoldingAMaskedColumn_IsMaskedAsThatColumn()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync(
            $"CREATE TYPE {table}_t AS (name text, ssn text); CREATE TYPE {table}_outer AS (inner_value {table}_t, tag text); " +
            $"CREATE DOMAIN {table}_d AS {table}_t; " +
            $"CREATE TABLE {table}_p (id int, info {table}_t, infos {table}_t[], nested {table}_outer, dom {table}_d, person {table}, note text); " +
            $"INSERT INTO {table}_p SELECT 1, ROW('Mary', ssn)::{table}_t, ARRAY[ROW('Mary', ssn)::{table}_t], ROW(ROW('Mary', ssn)::{table}_t, 'x')::{table}_outer, " +
            $"ROW('Mary', ssn)::{table}_t::{table}_d, p, 'plain' FROM {table} p; " +
            $"CREATE VIEW {table}_pv AS SELECT id, reverse(info::text) AS r, note FROM {table}_p; " +
            // A range over the composite, its multirange, and a composite holding the range (probe UA1).
            $"CREATE TYPE {table}_r AS RANGE (subtype = {table}_t, multirange_type_name = {table}_mr); " +
            $"CREATE TYPE {table}_holder AS (k text, rr {table}_r); " +
            $"CREATE TABLE {table}_rt (r {table}_r, m {table}_mr, h {table}_holder); " +
            // A generated column computed from the masked one, and a view over it (probe VC3).
            $"CREATE TABLE {table}_g (id int, ssn text, g text GENERATED ALWAYS AS (reverse(ssn)) STORED, plain text); " +
            $"INSERT INTO {table}_g (id, ssn, plain) SELECT id, ssn, 'plain' FROM {table}; CREATE VIEW {table}_gv AS SELECT g AS gr, plain FROM {table}_g; " +
            // One computed from a field of a column that carries the masked one (probe XB1).
            $"CREATE TABLE {table}_gc (info {table}_t, digits text GENERATED ALWAYS AS (replace((info).ssn, '-', '')) STORED); " +
            $"INSERT INTO {table}_gc (info) SELECT info FROM {table}_p; " +
            $"INSERT INTO {table}_rt SELECT {table}_r(info, info, '[]'), {table}_mr({table}_r(info, info, '[]')), ROW('k', {table}_r(info, info, '[]'))::{table}_holder FROM {table}_p");
        var upstream = fixture.Upstream;
        // A foreign table naming the masked column on the remote side under another name (probe UA3),
        // made by the upstream's superuser as an administrator would.
        await using (var admin = new NpgsqlConnection(fixture.AdminUpstreamConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand(
            $"CREATE EXTENSION IF NOT EXISTS postgres_fdw; " +
            $"CREATE SERVER {table}_loop FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '{upstream.Host}', port '{upstream.Port}', dbname '{upstream.Database}'); " +
            $"CREATE USER MAPPING FOR PUBLIC SERVER {table}_loop OPTIONS (user '{upstream.User}', password '{upstream.Password}'); " +
            $"CREATE FOREIGN TABLE {table}_f (id int, tax_id text OPTIONS (column_name 'ssn')) SERVER {table}_loop OPTIONS (table_name '{table}'); " +
            $"GRANT SELECT ON {table}_f TO {upstream.User}", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using var connection = await fixture.OpenAsync();

        Assert.Equal(["1", "****", "plain"], await RowAsync(connection, $"SELECT id, info::text, note FROM {table}_p"));
        foreach (var sql in new[]
        {
            $"SELECT reverse(info::text) FROM {table}_p",
            $"SELECT translate(to_jsonb(info)::text, '0123456789', 'abcdefghij') FROM {table}_p",
            $"SELECT reverse(infos::text) FROM {table}_p",
            $"SELECT reverse(nested::text) FROM {table}_p",
            $"SELECT reverse(dom::text) FROM {table}_p",
            $"SELECT reverse(person::text) FROM {table}_p",
            $"SELECT r FROM {table}_pv",
            $"SELECT reverse(r::text) FROM {table}_rt",
            $"SELECT reverse(m::text) FROM {table}_rt",
            $"SELECT reverse(h::text) FROM {table}_rt",
            $"SELECT reverse(to_jsonb(lower(r)) ->> 'ssn') FROM {table}_rt",
            $"SELECT reverse(tax_id) FROM {table}_f",
            $"SELECT g FROM {table}_g",
            $"SELECT translate(g, 'abc', 'xyz') FROM {table}_g",
            $"SELECT gr FROM {table}_gv",
            $"SELECT digits FROM {table}_gc",
        })
        {
            var row = await RowAsync(connection, sql);
            Assert.True(row is ["****"] or ["(null)"], sql + " gave " + string.Join(",", row));
        }

        Assert.Equal(["plain"], await RowAsync(connection, $"SELECT note FROM {table}_pv"));
        Assert.Equal(["plain"], await RowAsync(connection, $"SELECT plain FROM {table}_gv"));
        var copy = await FailsAsync(connection, "CREATE TABLE {0}_copy AS SELECT id, info FROM {0}_p", table);
        Assert.Equal("42501", copy.SqlState);
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>The functions of <see cref="AFunctionThatMayReturnAMaskedColumn_IsReadAsNamingIt"/>, made as an administrator would (not through the gateway).</summary>
    private async Task<(string Table, string Ssn)> FunctionsAsync()
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync(
            $"ALTER TABLE {table} ADD COLUMN note text; UPDATE {table} SET note = 'plain note'; " +
            $"CREATE FUNCTION {table}_all() RETURNS SETOF {table} LANGUAGE sql AS 'SELECT * FROM {table}'; " +
            $"CREATE FUNCTION {table}_s() RETURNS TABLE(cid int, s text) LANGUAGE sql AS 'SELECT id, ssn FROM {table}'; " +
            $"CREATE FUNCTION {table}_wrap() RETURNS TABLE(cid int, s text) LANGUAGE plpgsql AS $$BEGIN RETURN QUERY SELECT * FROM {table}_s(); END$$; " +
            $"CREATE SCHEMA {table}_x; CREATE FUNCTION {table}_x.{table}_q() RETURNS text LANGUAGE sql AS 'SELECT max(SSN) FROM public.{table}'; " +
            $"CREATE PROCEDURE {table}_p(INOUT v text) LANGUAGE sql AS 'SELECT ssn FROM {table}'; " +
            $"CREATE FUNCTION {table}_clean() RETURNS TABLE(n int, t text) LANGUAGE sql AS 'SELECT 1, ''plain'''; " +
            // A view calling one, and a view over that view.
            $"CREATE VIEW {table}_sv AS SELECT cid, s AS x FROM {table}_s(); CREATE VIEW {table}_svv AS SELECT x AS y FROM {table}_sv; " +
            $"CREATE TABLE {table}_sink (body text); " +
            // Bodies no word search reads (probe DB1, DB3): names escaped, SQL built at run time.
            $"CREATE FUNCTION {table}_u() RETURNS text LANGUAGE sql AS $$SELECT U&\"\\0073sn\" FROM U&\"{Escaped(table)}\" LIMIT 1$$; " +
            $"CREATE FUNCTION {table}_dyn(rel regclass, i int) RETURNS json LANGUAGE plpgsql AS $$DECLARE r json; " +
            "BEGIN EXECUTE format('SELECT row_to_json(t) FROM %s t WHERE id = $1', rel) INTO r USING i; RETURN r; END$$; " +
            // Calls four deep (probe DB4: three deep let the SSN out).
            $"CREATE FUNCTION {table}_l3(i int) RETURNS text LANGUAGE sql AS 'SELECT ssn FROM {table} WHERE id = i'; " +
            $"CREATE FUNCTION {table}_l2(i int) RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN {table}_l3(i); END$$; " +
            $"CREATE FUNCTION {table}_l1(i int) RETURNS text LANGUAGE sql AS 'SELECT {table}_l2(i)'; " +
            $"CREATE FUNCTION {table}_l0(i int) RETURNS text LANGUAGE sql RETURN {table}_l1(i); " +
            // Five calls away from the reading one (probe DC4: four away let it out).
            $"CREATE FUNCTION {table}_lm1(i int) RETURNS text LANGUAGE sql AS 'SELECT {table}_l0(i)'; " +
            $"CREATE FUNCTION {table}_lm2(i int) RETURNS text LANGUAGE sql AS 'SELECT {table}_lm1(i)'; " +
            // A SQL-standard body running a query it is given as text (review R3: it has no source text).
            $"CREATE FUNCTION {table}_xml(t text) RETURNS xml LANGUAGE sql STABLE RETURN query_to_xml('SELECT * FROM ' || t, true, true, ''); " +
            // An extension's functions are not read as the database's (review R4: citext's replace made every replace() masked).
            "CREATE EXTENSION IF NOT EXISTS citext; " +
            // A column its default fills from one (probe DC3: INSERT … RETURNING gave the SSN back).
            $"CREATE TABLE {table}_filled (id int, note text DEFAULT {table}_l3(1)); " +
            // A domain's default (probe DD2), and a partition's, read back through its parent (DD1).
            $"CREATE DOMAIN {table}_dm AS text DEFAULT {table}_l3(1); CREATE TABLE {table}_dom (id int, v {table}_dm); " +
            $"CREATE TABLE {table}_pt (id int, note text) PARTITION BY RANGE (id); " +
            $"CREATE TABLE {table}_pt1 PARTITION OF {table}_pt FOR VALUES FROM (0) TO (100); " +
            $"ALTER TABLE {table}_pt1 ALTER COLUMN note SET DEFAULT {table}_l3(1); INSERT INTO {table}_pt1 (id) VALUES (1); " +
            // Views over a filled column, one of them not showing it (probe DE1, DE2).
            $"CREATE VIEW {table}_fv AS SELECT id, note FROM {table}_filled; CREATE VIEW {table}_fvid AS SELECT id FROM {table}_filled; " +
            // A function an extension was given that names the column (probe DE3).
            $"CREATE FUNCTION {table}_ext() RETURNS text LANGUAGE sql AS 'SELECT ssn FROM {table} LIMIT 1'; ALTER EXTENSION citext ADD FUNCTION {table}_ext(); " +
            // One calling such a function (probe DF4), and a view of a filled table's whole rows (DF3).
            $"CREATE FUNCTION {table}_extcall() RETURNS text LANGUAGE sql AS 'SELECT {table}_l3(1)'; ALTER EXTENSION citext ADD FUNCTION {table}_extcall(); " +
            $"CREATE VIEW {table}_frow AS SELECT id, f::text AS r FROM {table}_filled f; " +
            // One named like a built-in (no other test calls initcap), called from another (probe DG1).
            $"CREATE SCHEMA {table}_b; CREATE FUNCTION {table}_b.initcap(i int) RETURNS text LANGUAGE sql AS 'SELECT ssn FROM public.{table} WHERE id = i'; " +
            $"CREATE FUNCTION {table}_bcaller(i int) RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN {table}_b.initcap(i); END$$; " +
            // A name ending in $, which \m…\M never found in a caller's body (probe DH1).
            $"CREATE FUNCTION {table}_leak$(i int) RETURNS text LANGUAGE sql AS 'SELECT ssn FROM {table} WHERE id = i'; " +
            $"CREATE FUNCTION {table}_dcall(i int) RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN {table}_leak$(i); END$$; " +
            // A quoted name holding a double quote, written doubled in its caller (probe DI1).
            $"CREATE FUNCTION {table}_b.\"q\"\"t\"(i int) RETURNS text LANGUAGE sql AS 'SELECT ssn FROM public.{table} WHERE id = i'; " +
            $"CREATE FUNCTION {table}_qcall(i int) RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN {table}_b.\"q\"\"t\"(i); END$$; " +
            // A relation named data, which ends a query as WITH DATA ends a statement (probe DJ2).
            $"CREATE TABLE {table}_b.data (id int, note text DEFAULT {table}_l3(1)); INSERT INTO {table}_b.data (id) VALUES (1); " +
            // A name of 63 characters, written longer by its caller: PostgreSQL cuts it there (probe DJ1).
            $"CREATE FUNCTION {Long(table)}(i int) RETURNS text LANGUAGE sql AS 'SELECT ssn FROM {table} WHERE id = i'; " +
            $"CREATE FUNCTION {table}_lcall(i int) RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN {Long(table)}_and_more(i); END$$; " +
            // A column a BEFORE trigger fills from the masked one, and from such a function; a rule
            // writing into its table; a table an AFTER trigger's function writes into (probe DK1).
            $"CREATE TABLE {table}_tt (id int, note text); CREATE FUNCTION {table}_trg() RETURNS trigger LANGUAGE plpgsql AS " +
            $"$$BEGIN SELECT ssn INTO NEW.note FROM {table} WHERE id = NEW.id; RETURN NEW; END$$; " +
            $"CREATE TRIGGER b BEFORE INSERT ON {table}_tt FOR EACH ROW EXECUTE FUNCTION {table}_trg(); INSERT INTO {table}_tt (id) VALUES (1); " +
            $"CREATE TABLE {table}_tt2 (id int, note text); CREATE FUNCTION {table}_trg2() RETURNS trigger LANGUAGE plpgsql AS " +
            $"$$BEGIN NEW.note := {table}_l3(NEW.id); RETURN NEW; END$$; " +
            $"CREATE TRIGGER b BEFORE INSERT ON {table}_tt2 FOR EACH ROW EXECUTE FUNCTION {table}_trg2(); " +
            $"CREATE TABLE {table}_tr (id int, note text); CREATE RULE r AS ON INSERT TO {table}_tr DO INSTEAD " +
            $"INSERT INTO {table}_tt (id) VALUES (NEW.id) RETURNING {table}_tt.id, {table}_tt.note; " +
            $"CREATE TABLE {table}_ta (id int); CREATE TABLE \"{table}_Log\" (id int, body text); " +
            $"CREATE FUNCTION {table}_after() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN " +
            $"INSERT INTO  public . \"{table}_Log\" SELECT NEW.id, ssn FROM {table} WHERE id = NEW.id; RETURN NULL; END$$; " +
            $"CREATE TRIGGER a AFTER INSERT ON {table}_ta FOR EACH ROW EXECUTE FUNCTION {table}_after(); INSERT INTO {table}_ta VALUES (1); " +
            // Where such values go on (probe DL): a write past a comment (DL1), one by a helper handed
            // the value (DL2), a trigger on a filled table (DL7), its rule (DL3), a key cascading
            // from one (DL8), a view written (DL5), a table made by such a function (DL9).
            $"CREATE TABLE {table}_src (id int); CREATE TABLE {table}_c1 (id int, note text); CREATE TABLE {table}_c2 (id int, note text); " +
            $"CREATE FUNCTION {table}_cm() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT /* x */ INTO public./*c*/{table}_c1 VALUES (NEW.id, {table}_l3(1)); RETURN NULL; END$$; " +
            $"CREATE FUNCTION {table}_put(i int, v text) RETURNS void LANGUAGE sql AS 'INSERT INTO {table}_c2 VALUES (i, v)'; " +
            $"CREATE FUNCTION {table}_hand() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM {table}_put(NEW.id, {table}_l3(1)); RETURN NULL; END$$; " +
            $"CREATE TABLE {table}_c3 (id int, note text); " +
            $"CREATE FUNCTION {table}_on() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO {table}_c3 VALUES (NEW.id, NEW.note); RETURN NULL; END$$; " +
            $"CREATE TRIGGER c AFTER INSERT ON {table}_c1 FOR EACH ROW EXECUTE FUNCTION {table}_on(); " +
            $"CREATE TABLE {table}_c4 (id int, note text); CREATE RULE r AS ON INSERT TO {table}_c1 DO ALSO INSERT INTO {table}_c4 VALUES (NEW.id, NEW.note); " +
            $"CREATE TRIGGER a AFTER INSERT ON {table}_src FOR EACH ROW EXECUTE FUNCTION {table}_cm(); " +
            $"CREATE TRIGGER b AFTER INSERT ON {table}_src FOR EACH ROW EXECUTE FUNCTION {table}_hand(); INSERT INTO {table}_src VALUES (1); " +
            $"CREATE TABLE {table}_k (note text PRIMARY KEY); CREATE TABLE {table}_kref (note text REFERENCES {table}_k ON UPDATE CASCADE); " +
            $"CREATE FUNCTION {table}_kt() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.note := {table}_l3(1); RETURN NEW; END$$; " +
            $"CREATE TRIGGER b BEFORE UPDATE ON {table}_k FOR EACH ROW EXECUTE FUNCTION {table}_kt(); " +
            $"INSERT INTO {table}_k VALUES ('x'); INSERT INTO {table}_kref VALUES ('x'); UPDATE {table}_k SET note = 'y'; " +
            $"CREATE TABLE {table}_vb (id int, note text); CREATE VIEW {table}_vw AS SELECT id, note FROM {table}_vb; " +
            $"CREATE FUNCTION {table}_vput() RETURNS void LANGUAGE sql AS 'INSERT INTO {table}_vw SELECT id, ssn FROM {table}'; SELECT {table}_vput(); " +
            $"CREATE FUNCTION {table}_snap() RETURNS void LANGUAGE plpgsql AS $$BEGIN CREATE TABLE {table}_snapt AS SELECT id, ssn AS s FROM {table}; END$$; SELECT {table}_snap(); " +
            $"CREATE FUNCTION {table}_mk(n text) RETURNS void LANGUAGE plpgsql AS $$BEGIN EXECUTE format('CREATE TABLE %I AS SELECT id, ssn AS s FROM {table}', n); END$$; " +
            // Write targets spelled otherwise (probe DN): U&"…" with and without UESCAPE (DN2), a
            // name written longer than the 63 bytes PostgreSQL keeps (DN3), a comment in a comment (DN4).
            $"CREATE TABLE {table}_u4 (id int, note text); CREATE TABLE {table}_u5 (id int, note text); CREATE TABLE {LongTable(table)} (id int, note text); " +
            $"CREATE TABLE {table}_nc (id int, note text); CREATE TABLE {table}_src2 (id int); " +
            $"CREATE FUNCTION {table}_spell() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN " +
            $"INSERT INTO public.U&\"{Escaped(table + "_u4")}\" VALUES (NEW.id, {table}_l3(1)); " +
            $"INSERT INTO U&\"{Escaped(table + "_u5").Replace('\\', '!')}\" UESCAPE '!' VALUES (NEW.id, {table}_l3(1)); " +
            $"INSERT INTO {LongTable(table)}_written_longer VALUES (NEW.id, {table}_l3(1)); " +
            $"INSERT INTO public./* a /* b */ c */{table}_nc VALUES (NEW.id, {table}_l3(1)); RETURN NULL; END$$; " +
            $"CREATE TRIGGER a AFTER INSERT ON {table}_src2 FOR EACH ROW EXECUTE FUNCTION {table}_spell(); INSERT INTO {table}_src2 VALUES (1); " +
            // A write a rule rewrites returns the rule's RETURNING values without origin (probe DL4, DN1).
            $"CREATE TABLE {table}_r2 (id int, note text); CREATE TABLE {table}_r2log (id int, note text); INSERT INTO {table}_r2log VALUES (1, 'plain'); " +
            $"CREATE RULE rd AS ON DELETE TO {table}_r2 DO INSTEAD UPDATE {table}_r2log SET note = {table}_l3(OLD.id) " +
            $"WHERE {table}_r2log.id = OLD.id RETURNING {table}_r2log.id, {table}_r2log.note; INSERT INTO {table}_r2 VALUES (1, 'plain'); " +
            $"CREATE TABLE {table}_r3 (id int, note text); CREATE TABLE {table}_r3log (id int, note text); INSERT INTO {table}_r3log VALUES (1, 'plain'); " +
            $"CREATE RULE rd AS ON DELETE TO {table}_r3 DO INSTEAD UPDATE {table}_r3log " +
            $"SET note = (SELECT reverse(ssn) FROM {table} WHERE id = OLD.id) WHERE {table}_r3log.id = OLD.id RETURNING {table}_r3log.id, {table}_r3log.note; " +
            $"INSERT INTO {table}_r3 VALUES (1, 'plain'); " +
            // Values such a function keeps for a later statement: a setting, a sequence (probe DP1, DP3),
            // read back by a default and by a trigger copying it, and a trigger's notice (DP7).
            $"CREATE FUNCTION {table}_setter(i int) RETURNS void LANGUAGE plpgsql AS $$BEGIN PERFORM set_config('my.s', {table}_l3(i), false); END$$; " +
            $"CREATE SEQUENCE {table}_seq; CREATE FUNCTION {table}_seqset(i int) RETURNS void LANGUAGE plpgsql AS " +
            $"$$BEGIN PERFORM setval('{table}_seq', replace({table}_l3(i), '-', '')::bigint); END$$; " +
            $"CREATE TABLE {table}_v9 (id int, note text DEFAULT current_setting('my.s', true)); " +
            $"CREATE TABLE {table}_ntf (id int); CREATE TABLE {table}_v3 (id int, note text); " +
            $"CREATE FUNCTION {table}_v3f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO {table}_v3 VALUES (NEW.id, current_setting('my.s', true)); RETURN NULL; END$$; " +
            $"CREATE TRIGGER a AFTER INSERT ON {table}_ntf FOR EACH ROW EXECUTE FUNCTION {table}_v3f(); " +
            $"CREATE FUNCTION {table}_raise() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE NOTICE 'got %', reverse({table}_l3(NEW.id)); RETURN NULL; END$$; " +
            $"CREATE TRIGGER b AFTER INSERT ON {table}_ntf FOR EACH ROW EXECUTE FUNCTION {table}_raise(); " +
            // What a trigger or rule on the masked table itself writes (review R2), through a helper named
            // in quotes, past a string holding -- (R3), into a quoted name without a space before it (R4).
            $"CREATE TABLE {table}_audit (body text); CREATE TABLE {table}_audit2 (body text); CREATE TABLE {table}_ruled (id int, body text); " +
            $"CREATE FUNCTION \"{table}_Put\"(v text) RETURNS void LANGUAGE sql AS 'INSERT INTO{Quoted(table + "_audit2")} VALUES (v)'; " +
            $"CREATE FUNCTION {table}_audited() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO {table}_audit VALUES (row_to_json(NEW)::text); " +
            $"PERFORM '--'; PERFORM \"{table}_Put\"(row_to_json(NEW)::text); RETURN NULL; END$$; " +
            $"CREATE TRIGGER a AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_audited(); " +
            $"CREATE RULE r AS ON INSERT TO {table} DO ALSO INSERT INTO {table}_ruled VALUES (NEW.id, NEW::text); " +
            $"INSERT INTO {table} (id, ssn) VALUES (2, '{ssn}')");
        return (table, ssn);
    }

    /// <summary>A name quoted.</summary>
    private static string Quoted(string name) => "\"" + name + "\"";

    /// <summary>A table's name of 63 characters.</summary>
    private static string LongTable(string table) => (table + "_table_").PadRight(63, 'y');

    /// <summary>A name of 63 characters, PostgreSQL's longest.</summary>
    private static string Long(string table) => (table + "_long_").PadRight(63, 'x');

    /// <summary>A name as a <c>U&amp;"…"</c> identifier spells it, every character escaped.</summary>
    private static string Escaped(string name) => string.Concat(name.Select(c => $"\\{(int)c:x4}"));

    /// <summary>
    /// Functions already in the database that may return a masked column (a table's row type, a
    /// body naming the column or a relation holding it, in any schema, or calling such a function)
    /// count as naming it wherever a statement calls them: computed and origin-less columns are
    /// masked whole, a copy of their output is refused; a function reading no masked column is left
    /// alone (probe CX1: reverse(f::text) FROM all_customers() f gave the SSN out and copied it;
    /// CX2: a RETURNS TABLE column read from ssn came out reversed).
    /// </summary>
    [Fact]
    public async Task AFunctionThatMayReturnAMaskedColumn_IsReadAsNamingIt()
    {
        var (table, ssn) = await FunctionsAsync();
        await using var connection = await fixture.OpenAsync();

        foreach (var sql in new[]
        {
            $"SELECT reverse(f::text) FROM {table}_all() f",
            $"SELECT translate(f::text, '0123456789', 'abcdefghij') FROM {table}_all() AS f",
            $"SELECT ssn FROM {table}_all()",
            $"SELECT reverse(ssn) FROM {table}_all()",
            $"SELECT {table}_all()::text",
            $"SELECT reverse(({table}_all()).ssn)",
            $"SELECT s FROM {table}_s()",
            $"SELECT reverse(s) FROM {table}_s()",
            $"SELECT translate(x.s, '0123456789', 'abcdefghij') FROM public.{table}_s() x",
            $"SELECT reverse(s) FROM {table}_wrap()",
            $"SELECT reverse({table}_x.{table}_q())",
            $"SELECT x FROM {table}_sv",
            $"SELECT reverse(x) FROM {table}_sv",
            $"SELECT reverse(y) FROM {table}_svv",
            $"SELECT reverse({table}_u())",
            $"SELECT reverse(value) FROM json_each_text({table}_dyn('{table}', 1)) WHERE key = 's' || 'sn'",
            $"SELECT reverse({table}_l1(1))",
            $"SELECT translate({table}_l0(1), '0123456789', 'abcdefghij')",
            $"SELECT reverse({table}_lm2(1))",
            $"SELECT translate({table}_xml('{table}')::text, '0123456789', 'abcdefghij')",
            $"INSERT INTO {table}_filled (id) VALUES (1) RETURNING note, reverse(note)",
            $"SELECT note, translate(note, '0123456789', 'abcdefghij') FROM {table}_filled",
            $"INSERT INTO {table}_dom (id) VALUES (1) RETURNING v, reverse(v)",
            $"SELECT note, reverse(note) FROM {table}_pt",
            // An EXPLAIN prints the default an INSERT would fill (probe DD1).
            $"EXPLAIN VERBOSE INSERT INTO {table}_filled (id) VALUES (2)",
            $"SELECT note, reverse(note) FROM {table}_fv",
            $"EXPLAIN VERBOSE INSERT INTO {table}_fvid (id) VALUES (3)",
            $"SELECT reverse({table}_ext())",
            $"SELECT reverse({table}_extcall())",
            $"SELECT r FROM {table}_frow",
            $"SELECT reverse({table}_bcaller(1))",
            $"SELECT reverse({table}_dcall(1))",
            $"SELECT reverse({table}_qcall(1))",
            $"SELECT reverse({table}_lcall(1))",
            $"INSERT INTO {table}_tt (id) VALUES (1) RETURNING note, reverse(note)",
            $"SELECT note, reverse(note) FROM {table}_tt",
            $"INSERT INTO {table}_tt2 (id) VALUES (1) RETURNING note, reverse(note)",
            $"INSERT INTO {table}_tr (id) VALUES (1) RETURNING note, reverse(note)",
            $"SELECT body, reverse(body) FROM \"{table}_Log\"",
            $"SELECT note, reverse(note) FROM {table}_c1",
            $"SELECT note, reverse(note) FROM {table}_c2",
            $"SELECT note, reverse(note) FROM {table}_c3",
            $"SELECT note, reverse(note) FROM {table}_c4",
            $"SELECT note, reverse(note) FROM {table}_kref",
            $"SELECT note, reverse(note) FROM {table}_vb",
            $"SELECT s, reverse(s) FROM {table}_snapt",
            $"SELECT note, reverse(note) FROM {table}_u4",
            $"SELECT note, reverse(note) FROM {table}_u5",
            $"SELECT note, reverse(note) FROM {LongTable(table)}",
            $"SELECT note, reverse(note) FROM {table}_nc",
            $"SELECT body, reverse(body) FROM {table}_audit",
            $"SELECT body, reverse(body) FROM {table}_audit2",
            $"SELECT body, reverse(body) FROM {table}_ruled",
        })
        {
            var row = await RowAsync(connection, sql);
            Assert.True(row.All(v => v is "****" or "(null)"), sql + " gave " + string.Join(",", row));
        }

        // A write a rule rewrites returns the rule's RETURNING values without their origin, in the
        // simple protocol (the extended one returns no rows for it): psql (probe DL4, DN1).
        await fixture.GrantAsync();
        var rewritten = await fixture.PsqlAsync("demo", fixture.Tls ? "require" : "disable", "-At",
            "-c", $"DELETE FROM {table}_r2 WHERE id = 1 RETURNING *", "-c", $"DELETE FROM {table}_r2 r WHERE id = 1 RETURNING r.*, 1",
            "-c", $"DELETE FROM {table}_r3 WHERE id = 1 RETURNING *");
        Assert.Equal(0, rewritten.ExitCode);
        Assert.Equal("|****\nDELETE 0\n|****|\nDELETE 0\n|****\nDELETE 0", rewritten.Stdout.Trim());

        // A relation such a function makes during the session is not in the catalog read at login:
        // after such a call, relations it does not know are read as holding a masked column (probe DL9).
        await RowAsync(connection, $"SELECT {table}_mk('{table}_made')");
        Assert.Equal(["(null)", "****", "****"], await RowAsync(connection, $"SELECT id, s, reverse(s) FROM {table}_made"));

        // What such a function kept in a setting or a sequence, read back, also through a default and
        // a trigger's copy; what a trigger raised in a notice (probe DP1, DP3, DP7).
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText + e.Notice.Detail + e.Notice.Hint);
        await RowAsync(connection, $"SELECT {table}_setter(1)");
        await RowAsync(connection, $"SELECT {table}_seqset(1)");
        Assert.Equal(["****"], await RowAsync(connection, "SELECT current_setting('my.s')"));
        Assert.Equal(["****"], await RowAsync(connection, "SHOW my.s"));
        // A setting that holds no free text keeps its answer, which drivers read (probe DQ6).
        Assert.Equal(["read committed"], await RowAsync(connection, "SHOW TRANSACTION ISOLATION LEVEL"));
        var isolation = await fixture.JdbcAsync("isolation");
        isolation.AssertSucceeded();
        Assert.Equal(["8"], isolation.Single("isolation"));
        Assert.Equal(["(null)"], await RowAsync(connection, $"SELECT last_value FROM {table}_seq"));
        Assert.Equal(["****"], await RowAsync(connection, $"INSERT INTO {table}_v9 (id) VALUES (1) RETURNING note"));
        await using (var fired = new NpgsqlCommand($"INSERT INTO {table}_ntf VALUES (1)", connection))
        {
            await fired.ExecuteNonQueryAsync();
        }

        Assert.Equal(["****"], await RowAsync(connection, $"SELECT note FROM {table}_v3"));
        var stored = await FailsAsync(connection, "INSERT INTO {0}_v3 SELECT 9, current_setting('my.s')", table);
        Assert.Equal("42501", stored.SqlState);
        Assert.Contains("a copy of one is not made through the gateway", stored.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain(notices, n => n.Contains(new string(ssn.Reverse().ToArray()), StringComparison.Ordinal));

        // A CALL of such a procedure is masked, or refused where the text holds a word the copy check
        // reads (a table name with "lo_" in it, by chance): either way its value stays in.
        try
        {
            Assert.Equal(["****"], await RowAsync(connection, $"CALL {table}_p(NULL)"));
        }
        catch (PostgresException refused)
        {
            Assert.Equal("42501", refused.SqlState);
        }

        // Its result columns have no origin (table OID 0): all are masked whole, the clean ones too
        // (fail closed; the ssn column was masked by its name before functions were read).
        Assert.Equal(["(null)", "****", "****"], await RowAsync(connection, $"SELECT * FROM {table}_all()"));

        // A function reading no masked column is not masked, nor is its copy refused.
        Assert.Equal(["1", "PLAIN", "nialp"], await RowAsync(connection, $"SELECT n, upper(t), reverse(t) FROM {table}_clean()"));
        Assert.Equal(["CLEAR NOTE"], await RowAsync(connection, $"SELECT upper(replace(note, 'plain', 'clear')) FROM {table}"));
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>A write copying what such a function returns is refused as a copy of the masked column (probe CX1, CX2).</summary>
    [Fact]
    public async Task ACopyOfWhatAFunctionMayReturn_IsRefused_ButNotOfACleanFunction()
    {
        var (table, ssn) = await FunctionsAsync();
        await using var connection = await fixture.OpenAsync();

        await using (var clean = new NpgsqlCommand($"INSERT INTO {table}_sink (body) SELECT reverse(t) FROM {table}_clean()", connection))
        {
            Assert.Equal(1, await clean.ExecuteNonQueryAsync());
        }

        foreach (var copy in new[]
        {
            "INSERT INTO {0}_sink (body) SELECT reverse(f::text) FROM {0}_all() f",
            "INSERT INTO {0}_sink (body) SELECT s FROM {0}_s()",
            "INSERT INTO {0}_sink SELECT {0}_x.{0}_q()",
            "CREATE TABLE {0}_c AS SELECT * FROM {0}_s()",
            "UPDATE {0}_sink SET body = (SELECT reverse(s) FROM {0}_wrap() LIMIT 1)",
            "INSERT INTO {0}_sink SELECT x FROM {0}_sv",
            "INSERT INTO {0}_sink SELECT reverse(y) FROM {0}_svv",
            "CREATE TABLE {0}_c AS SELECT id, note FROM {0}_b.data",
        })
        {
            Assert.Equal("42501", (await FailsAsync(connection, copy, table)).SqlState);
        }

        Assert.Equal("nialp", await fixture.UpstreamScalarAsync<string>($"SELECT string_agg(body, ',') FROM {table}_sink"));
        Assert.Null(await fixture.UpstreamScalarAsync<string>($"SELECT to_regclass('{table}_c')::text"));
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>
    /// tablefunc's crosstab and connectby and xml2's xpath_table run SQL they are given as text, or
    /// build from their arguments: a query the gateway cannot read there is refused, and one it can
    /// is judged as dynamic SQL (probe ZB1: <c>reverse(s'||'sn)</c> in them gave SSNs out reversed).
    /// </summary>
    [Fact]
    public async Task SqlRunByContribFunctions_IsReadOrRefused()
    {
        var (table, ssn) = await PersonAsync();
        await using (var admin = new NpgsqlConnection(fixture.AdminUpstreamConnectionString))
        {
            await admin.OpenAsync();
            // The extensions' own lock: two test classes on one database must not create them at once.
            await using var create = new NpgsqlCommand(
                "SELECT pg_advisory_xact_lock(4411); CREATE EXTENSION IF NOT EXISTS tablefunc; CREATE EXTENSION IF NOT EXISTS xml2", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using var connection = await fixture.OpenAsync();
        foreach (var template in new[]
        {
            "SELECT * FROM crosstab('select id, 1, reverse(s'||'sn) from {0} order by 1') AS ct(id int, v text)",
            "SELECT * FROM crosstab2(convert_from(decode(encode('select id::text, ''1'', reverse(ssn) from {0}', 'base64'), 'base64'), 'UTF8'))",
            "SELECT * FROM connectby('{0}', 'reverse(s'||'sn)', 'id::text', '1', 1) AS t(k text, p text, l int)",
            // Six arguments, the fourth an ORDER BY field as PostgreSQL resolves them (probe AA2).
            "SELECT * FROM connectby('{0}', 'id::text', 'id::text', '(CASE WHEN id = 1 THEN reverse(ssn)::int END)', '0'::text, '0') AS t(k text, p text, l int, o int)",
            "SELECT * FROM xpath_table('id', '''<a>''||reverse(s'||'sn)||''</a>''', '{0}', '/a', 'true') AS t(id int, v text)",
        })
        {
            var refused = await FailsAsync(connection, template, table);
            Assert.Equal("42501", refused.SqlState);
        }

        // Read, its SQL copies the masked column into a result the gateway cannot follow, as query_to_xml's does.
        Assert.Equal("42501", (await FailsAsync(connection, "SELECT * FROM crosstab('select id, 1, reverse(ssn) from {0}') AS ct(id int, v text)", table)).SqlState);
        Assert.Equal(["1", "1"], await RowAsync(connection, $"SELECT * FROM crosstab('select id, 1, id::text from {table} order by 1') AS ct(id int, v text)"));

        // A whole row pasted from fragments: the relation in one argument, the row in another (probe DW1).
        Assert.Equal(["(null)", "****"], await RowAsync(connection,
            $"SELECT * FROM xpath_table('id', 'xmlelement(name a, translate(c::text, ''0123456789'', ''abcdefghij''))::text', '{table} c', '/a', 'true') AS t(id int, v text)"));
        Assert.Equal(["****", "(null)", "(null)"], await RowAsync(connection,
            $"SELECT * FROM connectby('{table} c', 'translate(c::text, ''0123456789'', ''abcdefghij'')', 'c.id::text', '1', 0) AS t(k text, p text, l int)"));
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>
    /// A login whose catalog read is slow says so in the log, with the connection and the time, so
    /// an operator can tell why logins wait (probe VC4: a 13 to 60 s wait left no line at all).
    /// The read is held up by an administrator's lock on a catalog it reads.
    /// </summary>
    [Fact]
    public async Task ASlowLoginCatalogRead_IsLogged()
    {
        await fixture.GrantAsync();
        await using var admin = new NpgsqlConnection(fixture.AdminUpstreamConnectionString);
        await admin.OpenAsync();
        await using (var lockCatalog = new NpgsqlCommand("BEGIN; LOCK TABLE pg_catalog.pg_depend IN ACCESS EXCLUSIVE MODE", admin))
        {
            await lockCatalog.ExecuteNonQueryAsync();
        }

        var opening = fixture.OpenAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await using (var release = new NpgsqlCommand("COMMIT", admin))
        {
            await release.ExecuteNonQueryAsync();
        }

        await using var connection = await opening;
        Assert.Equal(1, await new NpgsqlCommand("SELECT 1", connection).ExecuteScalarAsync());
        Assert.Contains(fixture.Gateway.Options.Logs.Entries, e => e.EventId.Id == 3061 && e.Level == LogLevel.Warning
            && System.Text.RegularExpressions.Regex.IsMatch(e.Message, "^The login catalog read of connection \"?[a-z_]+\"? took [0-9]{4,} ms"));
    }

    /// <summary>
    /// SQL EXECUTE of a statement a Parse made is refused here (it carries none of its text); a
    /// query that only holds the word and a name within another word runs (probe AJ4: pgjdbc's S_1
    /// refused <c>SELECT 'execute this', 'stats_1'</c>).
    /// </summary>
    [Fact]
    public async Task ExecuteOfAParsedStatement_IsRefused_ButNotAQueryMentioningItsNameInAWord()
    {
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "S_1", "SELECT 1", []), Appliance.Wire.Writing.FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();

        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "SELECT 'execute this' AS a, 'stats_1' AS b"));
        Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "EXECUTE \"S_1\""));
        Assert.Equal("42501", Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E').SqlState);
    }

    private static async Task<string[]> RowAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return [.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "(null)" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "")];
    }

    /// <summary>The SSN with its digits as translate(ssn, '0123456789', 'abcdefghij') writes them.</summary>
    private static string Letters(string ssn) => new([.. ssn.Select(c => char.IsAsciiDigit(c) ? (char)('a' + (c - '0')) : c)]);

    /// <summary>
    /// What an INSERT returns goes to the client masked by column, as a SELECT's would: ORMs'
    /// <c>INSERT … RETURNING *</c> was refused as a copy of the masked column (probe OA6).
    /// </summary>
    [Fact]
    public async Task InsertReturningStar_ReturnsTheRowMasked()
    {
        var (table, _) = await PersonAsync();
        var ssn = $"{Random.Shared.Next(100, 899)}-{Random.Shared.Next(10, 99)}-{Random.Shared.Next(1000, 9999)}";
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"INSERT INTO {table} VALUES (2, '{ssn}') RETURNING *", connection);
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(2, reader.GetInt32(0));
        // A column rule masks the value whole, as SELECT * shows it.
        Assert.Equal("****", reader.GetString(1));
        await reader.DisposeAsync();
        Assert.Equal(ssn, await fixture.UpstreamScalarAsync<string>($"SELECT ssn FROM {table} WHERE id = 2"));
    }

    /// <summary>
    /// A whole row carries the masked column unnamed: the written table's, named by its alias or
    /// name where no FROM lists it (probe AR), and a MERGE's USING source, read as a FROM is
    /// (probes AS, AT: whole rows went into an unmasked table).
    /// </summary>
    [Theory]
    [InlineData("UPDATE {0} c SET note = to_jsonb(c)->>'ssn' WHERE id = 1")]
    [InlineData("UPDATE {0} SET note = {0}::text")]
    [InlineData("UPDATE {0} c SET note = note WHERE id = 1 RETURNING to_jsonb(c)")]
    [InlineData("INSERT INTO {0} AS c (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET note = 'x' RETURNING to_jsonb(c)")]
    [InlineData("MERGE INTO {0}_archive a USING {0} c ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    [InlineData("MERGE INTO {0}_archive a USING {0} c(i, s) ON false WHEN NOT MATCHED THEN INSERT VALUES (c.i, c.s)")]
    [InlineData("MERGE INTO {0}_archive a USING (TABLE {0}) c ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, to_jsonb(c)->>'ssn')")]
    [InlineData("MERGE INTO {0}_archive a USING ONLY {0} c ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    [InlineData("MERGE INTO {0}_archive a USING ({0} c LEFT JOIN {0}_archive x ON x.id = c.id) ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    [InlineData("MERGE INTO {0}_archive a USING LATERAL (SELECT * FROM {0}) c ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    public async Task AWholeRowWithAMaskedColumn_CannotCarryItOut(string template)
    {
        var (table, ssn) = await PersonAsync();
        await fixture.UpstreamAsync($"ALTER TABLE {table} ADD COLUMN note text; CREATE TABLE {table}_archive (id int, body text)");
        await using var connection = await fixture.OpenAsync();

        var error = await FailsAsync(connection, template, table);

        Assert.Equal("42501", error.SqlState);
        AssertNoSsn(error.MessageText, ssn);
        Assert.Null(await fixture.UpstreamScalarAsync<string>($"SELECT note FROM {table} WHERE id = 1"));
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}_archive"));
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    [Theory]
    [InlineData("SELECT cast(ssn AS int) FROM {0}")]
    [InlineData("SELECT (replace(s, '-', '') || 'x')::int FROM {0} AS p(i, s)")]
    [InlineData("WITH p(i, s) AS (TABLE {0}) SELECT (s || 'x')::numeric FROM p")]
    [InlineData("SELECT translate(ssn, '0123456789', 'abcdefghij')::regclass FROM {0}")]
    [InlineData("SELECT quote_ident(replace(s, '-', ''))::regproc FROM {0} * p(i, s)")]
    public async Task AnErrorQuotingAMaskedValue_DoesNotCarryIt_NorDoesTheAudit(string template)
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();

        var error = await FailsAsync(connection, template, table);

        Assert.NotEqual("42601", error.SqlState);
        Assert.Contains("\"****\"", error.MessageText, StringComparison.Ordinal);
        AssertNoSsn(error.MessageText + error.Detail + error.Where, ssn);
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    [Fact]
    public async Task AParseError_KeepsItsText_WhenTheStatementNamesNoMaskedColumn_AndLosesItWhenItDoes()
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();

        // Parameters make Npgsql use the extended protocol: the error answers the Parse.
        await using var typo = new NpgsqlCommand($"SELECT idd FROM {table} WHERE id = @id", connection);
        typo.Parameters.AddWithValue("id", 1);
        var plain = await Assert.ThrowsAsync<PostgresException>(() => typo.ExecuteScalarAsync());
        Assert.Equal("42703", plain.SqlState);
        Assert.Equal("column \"idd\" does not exist", plain.MessageText);

        await using var masked = new NpgsqlCommand($"SELECT ssn FROM {table} WHERE id = @id AND ssn = ssn::int::text", connection);
        masked.Parameters.AddWithValue("id", 1);
        var withheld = await Assert.ThrowsAsync<PostgresException>(() => masked.ExecuteScalarAsync());
        Assert.Contains("****", withheld.MessageText, StringComparison.Ordinal);
        AssertNoSsn(withheld.MessageText + withheld.Detail, ssn);
    }

    /// <summary>
    /// An error's position is a number the data can choose: the text parsed as a type name,
    /// padded by a masked value's digits, moved it by them (probe CD). It does not come back.
    /// </summary>
    [Fact]
    public async Task AnErrorPosition_MovedByAMaskedValue_DoesNotComeBack()
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();

        var error = await FailsAsync(connection,
            "SELECT 1 FROM {0} WHERE id = 1 AND ('int ' || repeat(' ', substr(replace(ssn, '-', ''), 1, 3)::int) || 'x y z')::regtype IS NULL", table);

        Assert.Equal("42601", error.SqlState);
        Assert.Equal(0, error.Position);
        Assert.Equal(0, error.InternalPosition);
        AssertNoSsn(error.MessageText + error.Detail + error.Where, ssn);
    }

    /// <summary>Some errors print a number unquoted: a masked value made into one must not come back through them.</summary>
    [Theory]
    [InlineData("SELECT chr(replace(ssn, '-', '')::int) FROM {0} WHERE id = 1")]
    [InlineData("SELECT 1 FROM {0} WHERE id = 1 AND chr(replace(ssn, '-', '')::int) = 'x'")]
    [InlineData("SELECT get_byte('\\x00'::bytea, replace(ssn, '-', '')::int) FROM {0} WHERE id = 1")]
    [InlineData("SELECT to_tsquery(replace(ssn, '-', '') || ' )(') FROM {0} WHERE id = 1")]
    [InlineData("SELECT ('int ' || replace(ssn, '-', ''))::regtype FROM {0} WHERE id = 1")]
    [InlineData("SELECT 1 FROM {0} WHERE id = 1 AND ('int ' || replace(ssn, '-', ''))::regtype IS NULL")]
    public async Task AnErrorPrintingAMaskedValueAsANumber_DoesNotCarryIt(string template)
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();

        var error = await FailsAsync(connection, template, table);

        Assert.Contains("****", error.MessageText, StringComparison.Ordinal);
        AssertNoSsn(error.MessageText + error.Detail + error.Where, ssn);
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    [Fact]
    public async Task AColumnAliasList_DoesNotHideAMaskedColumn()
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT substr(s, 1, 6) AS a, substr(s, 7) AS b FROM {table} AS p(i, s)", connection);
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal("****", reader.GetString(0));
        Assert.Equal("****", reader.GetString(1));
        await reader.DisposeAsync();
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>
    /// An application name set by a statement that may carry a masked value is withheld from the
    /// client, and recorded as the client read it (probes AL1, AN3: the client read ****, the
    /// record held the value); one set by a plain SET reaches both as it is.
    /// </summary>
    [Fact]
    public async Task AnApplicationName_IsRecordedAsTheClientReadIt()
    {
        var (table, _) = await PersonAsync();
        var marker = PgGatewayFixture.Marker();
        await using (var connection = await fixture.OpenAsync())
        {
            await new NpgsqlCommand($"SELECT set_config('application_name', 'n' || id || '{marker}', false) FROM {table}", connection).ExecuteScalarAsync();
            Assert.Equal("****", connection.PostgresParameters["application_name"]);
            await new NpgsqlCommand($"SET application_name = 'after {marker}'", connection).ExecuteNonQueryAsync();
            Assert.Equal($"after {marker}", connection.PostgresParameters["application_name"]);
        }

        var session = await fixture.EndedSessionAsync($"after {marker}");
        Assert.NotNull(session);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var named = (await auditor.GetJsonAsync($"api/sessions/{session.Value.Str("id")}/events")).EnumerateArray()
            .Where(e => e.Str("type") == "session.application").Select(e => e.GetProperty("data").Str("application")).ToList();
        Assert.Equal(["****", $"after {marker}"], named);
    }

    [Theory]
    [InlineData("SELECT pg_notify('leak', replace(s, '-', '')) FROM {0} AS p(i, s)")]
    [InlineData("SELECT set_config('application_name', replace(s, '-', ''), false) FROM {0} AS p(i, s)")]
    [InlineData("SELECT set_config('my.v', (SELECT string_agg(ssn, ' ') FROM {0}), false)")]
    [InlineData("SELECT pg_advisory_lock(replace(ssn, '-', '')::bigint) FROM {0}")]
    [InlineData("SELECT count(*) FROM {0} c, pg_class l WHERE table_to_xml(l.oid::regclass, false, false, '') IS NOT NULL AND l.relpages = substr(c.ssn, 1, 1)::int")]
    // Spelled by the whole row, which a list of its own of such functions did not look for (probe DJ-1).
    [InlineData("SELECT setseed(length(c::text) / 1000.0) FROM {0} c")]
    [InlineData("SELECT pg_advisory_unlock(replace(ssn, '-', '')::bigint) FROM {0}")]
    [InlineData("SELECT lo_lseek(0, substr(replace(ssn, '-', ''), 1, 5)::int, 0) FROM {0}")]
    [InlineData("SELECT lo_unlink(substr(replace(ssn, '-', ''), 1, 5)::oid) FROM {0}")]
    [InlineData("SELECT lo_creat(-1) FROM {0} c, generate_series(1, substr(c.ssn, 1, 3)::int)")] // the old spelling of lo_create (probe DN-1)
    public async Task StoringAMaskedValueForALaterStatement_IsRefused(string template)
    {
        var (table, _) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();

        var error = await FailsAsync(connection, template, table);

        Assert.Equal("42501", error.SqlState);
        Assert.Matches("copies (the|a) masked column", error.MessageText);
    }

    [Fact]
    public async Task NotifyPayloads_AreWithheld_OnAConnectionWithMaskedColumns()
    {
        await using var connection = await fixture.OpenAsync();
        var payloads = new List<string>();
        connection.Notification += (_, e) => payloads.Add(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN leak; NOTIFY leak, '123456789'", connection))
        {
            await listen.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < 100 && payloads.Count == 0; i++)
        {
            await connection.WaitAsync(100);
        }

        Assert.Equal("****", Assert.Single(payloads));
    }

    [Theory]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT * FROM {0} LOOP RAISE NOTICE '%', translate(r::text, '0123456789', 'abcdefghij'); END LOOP; END $$")]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN TABLE {0} LOOP RAISE NOTICE '%', r; END LOOP; END $$")]
    [InlineData("DO 'begin raise notice ''v=%'', (select translate(s'\n'sn, ''0123456789'', ''abcdefghij'') from {0} where id = 1); end'")]
    public async Task ARoutineReadingWholeRowsIntoAVariable_IsRefused(string template)
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);

        var error = await FailsAsync(connection, template, table);

        Assert.Equal("42501", error.SqlState);
        Assert.Empty(notices);
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    [Theory]
    [InlineData("SELECT translate(p::text, '0123456789', 'abcdefghij') FROM {0} p")]
    [InlineData("SELECT translate(row_to_json({0})::text, '0123456789', 'abcdefghij') FROM {0}")]
    [InlineData("SELECT translate(to_jsonb(p.*)::text, '0123456789', 'abcdefghij') FROM {0} AS p")]
    [InlineData("SELECT translate(s::text, '0123456789', 'abcdefghij') FROM (SELECT * FROM {0}) s")]
    [InlineData("SELECT translate(s, '0123456789', 'abcdefghij') FROM ({0} CROSS JOIN (SELECT 1) z) AS j(i, s, x)")]
    [InlineData("SELECT translate(j::text, '0123456789', 'abcdefghij') FROM ({0} CROSS JOIN (SELECT 1) z) j")]
    [InlineData("SELECT translate(s, '0123456789', 'abcdefghij') FROM (SELECT 1 i, '' s WHERE false UNION ALL SELECT * FROM {0}) u")]
    [InlineData("WITH u AS (SELECT 1 i, '' s WHERE false UNION ALL TABLE {0}) SELECT translate(s, '0123456789', 'abcdefghij') FROM u")]
    [InlineData("SELECT translate(p.row_to_json::text, '0123456789', 'abcdefghij') FROM {0} p")]
    public async Task AWholeRowReference_ReshapedPastTheDetectors_IsMaskedWhole(string template)
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, table), connection);

        var value = await command.ExecuteScalarAsync();

        Assert.Equal("****", value);
        var translated = string.Concat(ssn.Select(ch => char.IsAsciiDigit(ch) ? (char)('a' + (ch - '0')) : ch));
        Assert.DoesNotContain(translated, value?.ToString() ?? "", StringComparison.Ordinal);
        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    /// <summary>
    /// Columns withheld only to fail closed (computed next to a masked column, or of a relation
    /// made since the login) are named in a notice before their result, so their NULL or ****
    /// is not taken for the data (probe DA7, DK2); a result withholding none comes without one.
    /// </summary>
    [Fact]
    public async Task ColumnsWithheldToFailClosed_AreNamedInANotice()
    {
        var (table, _) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);

        Assert.Equal(["****", "(null)"], await RowAsync(connection, $"SELECT reverse(ssn), id + 1 AS next FROM {table} WHERE id = 1"));
        var notice = Assert.Single(notices);
        Assert.Contains("columns \"reverse\", \"next\" of this result", notice, StringComparison.Ordinal);

        Assert.Equal(["1", "****"], await RowAsync(connection, $"SELECT id, ssn FROM {table} WHERE id = 1"));
        Assert.Equal(["2"], await RowAsync(connection, $"SELECT id + 1 FROM {table} WHERE id = 1"));
        Assert.Single(notices);

        // Run again, it is named again (review R7: its cached plan had been noticed once for all).
        Assert.Equal(["****", "(null)"], await RowAsync(connection, $"SELECT reverse(ssn), id + 1 AS next FROM {table} WHERE id = 1"));
        Assert.Equal(2, notices.Count);

        // Made and read in one Query, psql's -c: the relation is not in the catalog read at login.
        await fixture.GrantAsync();
        var made = await fixture.PsqlAsync("demo", fixture.Tls ? "require" : "disable", "-At",
            "-c", $"CREATE TEMP TABLE {table}_made AS SELECT 7 AS n, 'plain' AS t; SELECT * FROM {table}_made");
        Assert.Equal(0, made.ExitCode);
        Assert.Equal("SELECT 1\n|****", made.Stdout.Trim());
        Assert.Contains("NOTICE:  the gateway withholds columns \"n\", \"t\" of this result", made.Stderr, StringComparison.Ordinal);

        // A view's column computed from the masked one, in a type that takes no **** (probe DT5: NULL, unsaid).
        await fixture.UpstreamAsync($"CREATE VIEW {table}_flags AS SELECT id, ssn IS NOT NULL AS has_ssn FROM {table}");
        await using var later = await fixture.OpenAsync();
        var laterNotices = new List<string>();
        later.Notice += (_, e) => laterNotices.Add(e.Notice.MessageText);
        Assert.Equal(["1", "(null)"], await RowAsync(later, $"SELECT id, has_ssn FROM {table}_flags"));
        Assert.Contains("column \"has_ssn\" of this result", Assert.Single(laterNotices), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWholeRowOfATableWithoutAMaskedColumn_ComesBackAsItIs()
    {
        var (person, ssn) = await PersonAsync();
        var plain = PgGatewayFixture.TableName("plain");
        await fixture.UpstreamAsync($"CREATE TABLE {plain} (id int, note text); INSERT INTO {plain} VALUES (7, 'hello');");
        await using var connection = await fixture.OpenAsync();

        await using (var json = new NpgsqlCommand($"SELECT row_to_json(o)::text FROM {plain} o", connection))
        {
            Assert.Equal("{\"id\":7,\"note\":\"hello\"}", await json.ExecuteScalarAsync());
        }

        await using (var renamed = new NpgsqlCommand($"SELECT translate(row_to_json({plain})::text, '0123456789', 'abcdefghij') FROM {person} {plain}", connection))
        {
            Assert.Equal("****", await renamed.ExecuteScalarAsync());
        }

        await AssertAuditHasNoSsnAsync(connection, ssn);
    }

    [Fact]
    public async Task OrdinaryAliasListsAndFilters_DoNotMaskResults()
    {
        var (table, _) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();

        await using (var series = new NpgsqlCommand("SELECT sum(i) FROM generate_series(1, 3) AS g(i)", connection))
        {
            Assert.Equal(6L, await series.ExecuteScalarAsync());
        }

        await using (var values = new NpgsqlCommand("SELECT string_agg(label, ',') FROM (VALUES ('a'), ('b')) v(label)", connection))
        {
            Assert.Equal("a,b", await values.ExecuteScalarAsync());
        }

        await using var filtered = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE ssn IS NOT NULL", connection);
        Assert.Equal(1L, await filtered.ExecuteScalarAsync());

        // A function's alias is no table row: its values come back as they are.
        await using var scalar = new NpgsqlCommand("SELECT string_agg(g::text, ',') FROM generate_series(1, 3) g", connection);
        Assert.Equal("1,2,3", await scalar.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ABackslashInALiteral_MasksNothing_UnlessEitherReadingOfItNamesAMaskedColumn()
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();

        // Regexes and paths: nothing masked is read, so nothing is masked.
        await using (var plain = new NpgsqlCommand(@"SELECT 1 AS one, 'C:\temp' AS path, substring('abc def' from '\w+') AS word", connection))
        await using (var reader = await plain.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1, reader.GetInt32(0));
            Assert.Equal(@"C:\temp", reader.GetString(1));
            Assert.Equal("abc", reader.GetString(2));
        }

        // With standard_conforming_strings off, '\'' does not end the string: the column is SQL in that
        // reading. The statement is refused (its other reading cannot be classified) or masked, never leaked.
        await new NpgsqlCommand("SET standard_conforming_strings = off", connection).ExecuteNonQueryAsync();
        await using var hidden = new NpgsqlCommand(
            $@"SELECT '\'' , translate(ssn, '0123456789', 'abcdefghij') , '' FROM {table}", connection);
        try
        {
            await using var reader = await hidden.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("****", reader.GetString(1));
        }
        catch (PostgresException e)
        {
            Assert.Equal("42501", e.SqlState);
            AssertNoSsn(e.MessageText + e.Detail, AsLetters(ssn));
        }

        await new NpgsqlCommand("RESET standard_conforming_strings", connection).ExecuteNonQueryAsync();
    }

    [Theory]
    [InlineData("SELECT DISTINCT ON (id) translate(ssn, '0123456789', 'abcdefghij') FROM {0} ORDER BY id")]
    [InlineData("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 2) CYCLE n SET c USING p SELECT translate(ssn, '0123456789', 'abcdefghij') FROM {0}")]
    [InlineData("SELECT translate(j::text, '0123456789', 'abcdefghij') FROM {0} c1 JOIN {0} c2 USING (ssn) AS j WHERE c1.id = c2.id")]
    [InlineData("SELECT 0 AS ssn, translate(min(ssn), '0123456789', 'abcdefghij') FROM {0} GROUP BY id ORDER BY ssn")]
    [InlineData("SELECT 0 AS ssn, translate(mode() WITHIN GROUP (ORDER BY ssn), '0123456789', 'abcdefghij') FROM {0} GROUP BY id")]
    public async Task AMaskedColumnInTheSelectList_IsMaskedWhateverComesBeforeIt(string template)
    {
        var (table, ssn) = await PersonAsync();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, table), connection);
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        var value = reader.GetValue(reader.FieldCount - 1);
        Assert.True(value is DBNull || (string)value == "****", $"came back {value}");
        AssertNoSsn(value.ToString(), AsLetters(ssn));
    }

    [Fact]
    public async Task EverydayAnalytics_ComeBackAsTheyAre()
    {
        // An output column named like its table, EXTRACT's FROM, and decimals that pass the Luhn check
        // (4111111111111111 / 10^16) were all blanked once.
        var table = PgGatewayFixture.TableName("sales");
        await fixture.UpstreamAsync(
            $"CREATE TABLE {table} (id int, placed_at timestamptz, total numeric); INSERT INTO {table} VALUES (1, '2026-03-01', 0.4111111111111111)");
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT count(*) AS {table}, extract(year FROM placed_at) AS y, placed_at::date AS d, total * 1 AS t, total::text AS s FROM {table} GROUP BY placed_at, total ORDER BY {table}",
            connection);
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(1L, reader.GetInt64(0));
        Assert.Equal(2026m, reader.GetDecimal(1));
        Assert.Equal(new DateTime(2026, 3, 1), reader.GetDateTime(2));
        Assert.Equal(0.4111111111111111m, reader.GetDecimal(3));
        Assert.Equal("0.4111111111111111", reader.GetString(4));
    }

    [Fact]
    public async Task ReadingTheColumnInPlace_StillWorks_Masked()
    {
        var table = await PeopleAsync();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT ssn, replace(ssn, '-', '') AS x FROM {table} WHERE ssn IS NOT NULL", connection);
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal("****", reader.GetString(0));
        Assert.Equal("****", reader.GetString(1));
    }
}
