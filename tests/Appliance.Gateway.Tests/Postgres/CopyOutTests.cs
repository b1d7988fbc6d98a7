using System.Globalization;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Wire.Writing;
using Npgsql;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

public sealed class CopyOutOverTlsTests(PgGatewayFixture fixture) : CopyOutTests<PgGatewayFixture>(fixture);

public sealed class CopyOutOnEventLoopTests(PlaintextFixture fixture) : CopyOutTests<PlaintextFixture>(fixture);

/// <summary>
/// COPY … TO STDOUT on a connection with a column rule (ssn) and detectors: each row masked as a
/// SELECT's would be, whatever the client (psql's \copy and COPY, Npgsql's text export).
/// </summary>
public abstract class CopyOutTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PgGatewayFixture
{
    private string SslMode => fixture.Tls ? "require" : "disable";

    /// <summary>Rows with a NULL, a tab, quotes and a comma, and a card number outside the masked column.</summary>
    private async Task<string> CustomersAsync()
    {
        var table = PgGatewayFixture.TableName("customers");
        await fixture.UpstreamAsync($"""
            CREATE TABLE {table} (id int PRIMARY KEY, full_name text, ssn text, note text);
            INSERT INTO {table} VALUES
              (1, 'Ann Lee', '123-45-6789', 'plain words'),
              (2, 'Bob, "the" Builder', NULL, E'tab\there'),
              (3, 'Cy', '987-65-4321', 'card 4111 1111 1111 1111');
            """);
        return table;
    }

    private async Task<ProcessResult> PsqlAsync(params string[] arguments)
    {
        await fixture.GrantAsync();
        return await fixture.PsqlAsync("demo", SslMode, arguments);
    }

    /// <summary>psql straight to the upstream, for the output the gateway's must match.</summary>
    private Task<ProcessResult> DirectPsqlAsync(params string[] arguments)
    {
        var upstream = fixture.Upstream;
        return ProcessRunner.RunAsync(ProcessRunner.Psql,
            ["-X", "-h", upstream.Host, "-p", upstream.Port.ToString(CultureInfo.InvariantCulture), "-U", upstream.User, "-d", upstream.Database, .. arguments],
            new Dictionary<string, string> { ["PGPASSWORD"] = upstream.Password, ["PGSSLMODE"] = "disable" });
    }

    [Fact]
    public async Task PsqlBackslashCopy_OfATable_MasksTheMaskedColumn_AndDetectsTheRest()
    {
        var table = await CustomersAsync();

        var result = await PsqlAsync("-c", $"\\copy {table} to stdout");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.Equal("1\tAnn Lee\t****\tplain words", lines[0]);
        Assert.Equal("2\tBob, \"the\" Builder\t\\N\ttab\\there", lines[1]);
        Assert.StartsWith("3\tCy\t****\tcard ", lines[2], StringComparison.Ordinal);
        Assert.EndsWith("1111", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain("4111 1111 1111 1111", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>A delimiter or quote the client picks escapes a card number's separators on the wire: the detectors read the value, not the line.</summary>
    [Theory]
    [InlineData("DELIMITER '-'")]
    [InlineData("DELIMITER ' '")]
    [InlineData("FORMAT csv, QUOTE '1'")]
    [InlineData("FORMAT csv, DELIMITER ' ', QUOTE '4'")]
    public async Task ALayoutThatEscapesACardNumber_DoesNotHideItFromTheDetectors(string options)
    {
        var table = await CustomersAsync();

        var result = await PsqlAsync("-c", $"COPY (SELECT id, note FROM {table} WHERE id = 3) TO STDOUT ({options})");

        Assert.True(result.ExitCode == 0, result.ToString());
        var digits = new string(result.Stdout.Where(char.IsAsciiDigit).ToArray());
        Assert.DoesNotContain("4111111111111111", digits, StringComparison.Ordinal);
        Assert.Contains("1111", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// Pieces no detector finds alone, joined by the COPY's delimiter into a card, an SSN or an
    /// email on the line psql writes: the line holds none of them, nor does the audit record (probe AB1).
    /// </summary>
    [Theory]
    [InlineData("substr(note, 6, 4), substr(note, 11, 4), substr(note, 16, 4), substr(note, 21, 4)", "DELIMITER ' '", "4111 1111 1111 1111")]
    [InlineData("split_part(note, ' ', 2), split_part(note, ' ', 3), split_part(note, ' ', 4), split_part(note, ' ', 5)", "FORMAT csv, DELIMITER '-'", "4111-1111-1111-1111")]
    [InlineData("'cy.lee', 'example.org'", "DELIMITER '@'", "cy.lee@example.org")]
    [InlineData("substr(translate(note, 'card ', ''), 1, 1), substr(translate(note, 'card ', ''), 2, 3), substr(translate(note, 'card ', ''), 5, 3), substr(translate(note, 'card ', ''), 8, 3), substr(translate(note, 'card ', ''), 11, 3), substr(translate(note, 'card ', ''), 14, 3)", "FORMAT csv", "4,111,111,111,111,111")] // probe AE1
    public async Task PiecesJoinedByTheDelimiter_DoNotMakeASecretOnTheLine(string pieces, string options, string secret)
    {
        var table = await CustomersAsync();
        var marker = PgGatewayFixture.Marker();

        var result = await PsqlAsync("-c", $"COPY (SELECT {pieces} FROM {table} WHERE id = 3 AND '{marker}' <> '') TO STDOUT ({options})");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain(secret, result.Stdout, StringComparison.Ordinal);
        Assert.Contains("****", result.Stdout, StringComparison.Ordinal);
        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.DoesNotContain(secret, recorded.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACopyOfWholeRows_MasksTheRowsWhole()
    {
        var table = await CustomersAsync();

        var result = await PsqlAsync("-c", $"COPY (SELECT c FROM {table} c ORDER BY id) TO STDOUT (DELIMITER '-')");
        var select = await PsqlAsync("-Atc", $"SELECT c FROM {table} c ORDER BY id");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("\\N\n\\N\n\\N\n", result.Stdout);
        Assert.True(select.ExitCode == 0, select.ToString());
        Assert.Equal("\n\n\n", select.Stdout);
    }

    [Fact]
    public async Task PsqlCopyOfAQuery_InCsvWithAHeader_IsWhatPostgresWrites_ButMasked()
    {
        var table = await CustomersAsync();
        var sql = $"COPY (SELECT full_name, ssn, upper(ssn) AS shout FROM {table} ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)";

        var gateway = await PsqlAsync("-c", sql);
        var direct = await DirectPsqlAsync("-c", sql);

        Assert.True(gateway.ExitCode == 0, gateway.ToString());
        Assert.Equal("", gateway.Stderr);
        Assert.Equal("full_name,ssn,shout\nAnn Lee,****,****\n\"Bob, \"\"the\"\" Builder\",,\nCy,****,****\n", gateway.Stdout);
        Assert.Equal(
            direct.Stdout.Replace("123-45-6789", "****", StringComparison.Ordinal).Replace("987-65-4321", "****", StringComparison.Ordinal),
            gateway.Stdout);
    }

    [Fact]
    public async Task PsqlCopyWithAColumnListAndOldOptions_AndACommentAndQuotedNames()
    {
        var table = await CustomersAsync();

        var result = await PsqlAsync("-c", $"/* export */ COPY public.\"{table}\" (\"id\", ssn) TO STDOUT WITH DELIMITER AS ';' NULL AS 'none' CSV FORCE QUOTE *;");

        Assert.True(result.ExitCode == 0, result.ToString());
        // FORCE QUOTE * quotes the masked values too, as PostgreSQL quotes every value but NULL (probe AB).
        Assert.Equal("\"1\";\"****\"\n\"2\";none\n\"3\";\"****\"\n", string.Join('\n', result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)) + "\n");
    }

    [Fact]
    public async Task NpgsqlTextExport_IsMasked()
    {
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();

        using (var exporter = await connection.BeginTextExportAsync($"COPY (SELECT id, ssn FROM {table} ORDER BY id) TO STDOUT"))
        {
            Assert.Equal("1\t****\n2\t\\N\n3\t****\n", await exporter.ReadToEndAsync());
        }

        await using var after = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        Assert.Equal(3L, await after.ExecuteScalarAsync());
    }

    /// <summary>
    /// psycopg2's copy_to sends its NULL string as a plain string holding a backslash, which reads
    /// two ways: the COPY runs, and the masked column's NULL is masked as its values are (probe DS1:
    /// it was refused, with a message naming what the client had done).
    /// </summary>
    [Fact]
    public async Task ACopyWithANullStringHoldingABackslash_AsPsycopg2SendsIt_IsMasked()
    {
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();

        using (var exporter = await connection.BeginTextExportAsync($"COPY \"{table}\" (id, ssn, full_name) TO stdout WITH DELIMITER AS '\t' NULL AS '\\N'"))
        {
            var lines = (await exporter.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
            Assert.Equal(["1\t****\tAnn Lee", "2\t****\tBob, \"the\" Builder", "3\t****\tCy"], lines);
        }

        await using var after = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        Assert.Equal(3L, await after.ExecuteScalarAsync());
    }

    [Fact]
    public async Task BinaryCopy_IsRefused_AndTheSessionGoesOn()
    {
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var exporter = await connection.BeginBinaryExportAsync($"COPY {table} TO STDOUT (FORMAT binary)");
        });

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("binary COPY ... TO is refused", error.MessageText, StringComparison.Ordinal);
        await using var after = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await after.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("SELECT 1; COPY {0} TO STDOUT")]
    [InlineData("COPY {0} TO STDOUT; SELECT 1")]
    [InlineData("COPY {0} TO '/tmp/leak.txt'")]
    [InlineData("COPY {0} TO STDOUT (ENCODING 'LATIN1')")]
    public async Task ACopyTheGatewayCannotFollow_IsRefused(string template)
    {
        var table = await CustomersAsync();

        var result = await PsqlAsync("-c", string.Format(CultureInfo.InvariantCulture, template, table));

        Assert.Contains("COPY ... TO is refused on this connection", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("123-45-6789", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CopyInTheExtendedProtocol_IsRefused()
    {
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var command = new NpgsqlCommand($"COPY {table} TO STDOUT", connection);
            await command.ExecuteNonQueryAsync();
        });

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("COPY ... TO is refused on this connection", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CopyOfATableThatDoesNotExist_GetsPostgresError_InsideAndOutsideATransaction()
    {
        await using var connection = await fixture.OpenAsync();
        var missing = PgGatewayFixture.TableName("missing");

        var outside = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            using var exporter = await connection.BeginTextExportAsync($"COPY {missing} TO STDOUT");
        });
        Assert.Equal("42P01", outside.SqlState);
        await using (var after = new NpgsqlCommand("SELECT 1", connection))
        {
            Assert.Equal(1, await after.ExecuteScalarAsync());
        }

        await using var transaction = await connection.BeginTransactionAsync();
        var inside = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            using var exporter = await connection.BeginTextExportAsync($"COPY {missing} (id) TO STDOUT");
        });
        Assert.Equal("42P01", inside.SqlState);
        Assert.Contains(missing, inside.MessageText, StringComparison.Ordinal);
        Assert.Equal(0, inside.Position);
        await transaction.RollbackAsync();
        await using var afterRollback = new NpgsqlCommand("SELECT 2", connection);
        Assert.Equal(2, await afterRollback.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CopyInsideATransaction_LeavesItUsable()
    {
        var table = await CustomersAsync();

        var result = await PsqlAsync("-A", "-t",
            "-c", "BEGIN",
            "-c", $"COPY (SELECT ssn FROM {table} WHERE id = 1) TO STDOUT",
            "-c", $"UPDATE {table} SET note = 'seen' WHERE id = 1",
            "-c", $"SELECT note FROM {table} WHERE id = 1",
            "-c", "COMMIT",
            "-c", "SELECT 42");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        Assert.Equal("BEGIN\n****\nUPDATE 1\nseen\nCOMMIT\n42\n", result.Stdout);
    }

    [Fact]
    public async Task ThePsqlOutputOfACopyWithoutMaskedValues_IsExactlyPostgres()
    {
        var table = await CustomersAsync();
        string[] arguments = ["-c", $"\\copy (SELECT id, full_name FROM {table} ORDER BY id) to stdout with (format csv, header)", "-c", "SELECT 1 AS after"];

        var gateway = await PsqlAsync(arguments);
        var direct = await DirectPsqlAsync(arguments);

        Assert.True(gateway.ExitCode == 0, gateway.ToString());
        Assert.Equal(direct.Stdout, gateway.Stdout);
        Assert.Equal(direct.Stderr, gateway.Stderr);
    }

    [Fact]
    public async Task TheClientSeesOnlyTheCopysOwnMessages()
    {
        var table = await CustomersAsync();
        await fixture.GrantAsync();
        await using var client = await RawPgClient.LoginAsync(fixture.Port, Alice, fixture.AliceToken, "demo", fixture.Tls);

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"COPY (SELECT id, ssn FROM {table} ORDER BY id) TO STDOUT"));
        var messages = await client.ReadUntilReadyAsync();

        Assert.Equal("HdddcCZ", string.Concat(messages.Select(m => m.Type)));
        Assert.Equal(["1\t****\n", "2\t\\N\n", "3\t****\n"], messages.Where(m => m.Type == 'd').Select(m => System.Text.Encoding.UTF8.GetString(m.Body)));
    }

    [Fact]
    public async Task ACopyAmidAnUnsyncedExtendedBatch_IsRefused()
    {
        var table = await CustomersAsync();
        await fixture.GrantAsync();
        await using var client = await RawPgClient.LoginAsync(fixture.Port, Alice, fixture.AliceToken, "demo", fixture.Tls);

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "", "SELECT 1", []),
            o => FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            o => FrontendWriter.WriteQuery(o, $"COPY {table} TO STDOUT"),
            FrontendWriter.WriteSync);
        var messages = (await client.ReadUntilReadyAsync()).Concat(await client.ReadUntilReadyAsync()).ToList();

        Assert.DoesNotContain(messages, m => m.Type is 'H' or 'd');
        Assert.Contains(messages, m => m.Type == 'E' && m.SqlState == "42501" && m.Message.Contains("COPY ... TO is refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATableWhoseCopyHasOtherColumnsThanItsSelect_IsRefusedNotMisread()
    {
        // COPY of a whole table leaves out generated columns; SELECT * does not, so the probe's plan does not fit.
        var table = PgGatewayFixture.TableName("generated");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, ssn text, twice int GENERATED ALWAYS AS (id * 2) STORED); INSERT INTO {table} (id, ssn) VALUES (1, '123-45-6789')");

        var whole = await PsqlAsync("-c", $"COPY {table} TO STDOUT");
        var listed = await PsqlAsync("-c", $"COPY {table} (id, ssn) TO STDOUT");

        Assert.Contains("COPY ... TO is refused on this connection", whole.Stderr, StringComparison.Ordinal);
        Assert.Equal("", whole.Stdout);
        Assert.Equal("1\t****\n", listed.Stdout);
    }
}
