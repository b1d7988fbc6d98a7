using Appliance.Gateway.Tests.Postgres.Support;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>psql, run as a process, through the gateway to a real PostgreSQL.</summary>
public sealed class PsqlTests(PgGatewayFixture fixture) : IClassFixture<PgGatewayFixture>
{
    [Fact]
    public async Task Login_WithoutGrant_GetsFatalWithInstructions()
    {
        var daveToken = await fixture.Gateway.CreateTokenAsync(Dave);

        var result = await fixture.PsqlWithAsync(daveToken, Dave, "demo", "require", "-c", "SELECT 1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("FATAL", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("has no active grant for \"demo\"", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("/hoop request demo", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_WithWrongToken_GetsPasswordFailure()
    {
        var result = await fixture.PsqlWithAsync("apt_not-a-real-token", Alice, "demo", "require", "-c", "SELECT 1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("password authentication failed for user \"alice@example.com\"", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_ToUnknownConnection_NamesTheConnections()
    {
        var result = await fixture.PsqlAsync("nope", "require", "-c", "SELECT 1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("there is no connection named \"nope\"", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("demo", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithGrant_OverTls_RunsQueriesAndMasksResults()
    {
        await fixture.GrantAsync();
        var table = PgGatewayFixture.TableName("customers");
        await fixture.UpstreamAsync($"""
            CREATE TABLE {table} (id int PRIMARY KEY, email text, card text, ssn text, note text);
            INSERT INTO {table} VALUES (1, 'ann@example.com', '4111 1111 1111 1111', '123-45-6789', 'plain words');
            """);

        var result = await fixture.PsqlAsync("demo", "require", "-A", "-t", "-c", $"SELECT id, email, card, ssn, note FROM {table}", "-c", "SELECT current_user");

        Assert.True(result.ExitCode == 0, result.ToString());
        var row = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split('|');
        Assert.Equal("1", row[0]);
        Assert.Equal("a***@example.com", row[1]);
        Assert.DoesNotContain("4111 1111 1111 1111", result.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("1111", row[2], StringComparison.Ordinal);
        Assert.Equal("****", row[3]);
        Assert.Equal("plain words", row[4]);
        Assert.Equal(fixture.Upstream.User, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    /// <summary>
    /// psql's \d of a table with a trigger, and a function's WITH ORDINALITY alias list, come back
    /// whole (probe DT2, DT3: the alias list after WITH ORDINALITY was read as renaming a table's
    /// columns, so \d showed every trigger as ****).
    /// </summary>
    [Fact]
    public async Task DescribeOfATableWithATrigger_AndWithOrdinality_ComeBackWhole()
    {
        await fixture.GrantAsync();
        var table = PgGatewayFixture.TableName("trig");
        await fixture.UpstreamAsync($"""
            CREATE TABLE {table} (id int PRIMARY KEY, tags text[], updated_at timestamptz);
            CREATE FUNCTION {table}_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
            CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_touch();
            INSERT INTO {table} VALUES (1, ARRAY['tools', 'small'], NULL);
            """);

        var described = await fixture.PsqlAsync("demo", "require", "-X", "-c", $"\\d {table}");
        var ordinality = await fixture.PsqlAsync("demo", "require", "-X", "-A", "-t",
            "-c", "SELECT a.x, a.n FROM generate_series(10, 12) WITH ORDINALITY AS a(x, n)",
            "-c", $"SELECT t.tag, t.pos FROM {table} p, unnest(p.tags) WITH ORDINALITY AS t(tag, pos) WHERE p.id = 1");

        Assert.True(described.ExitCode == 0, described.ToString());
        Assert.Contains($"{table}_touch BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_touch()", described.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("****", described.Stdout, StringComparison.Ordinal);
        Assert.True(ordinality.ExitCode == 0, ordinality.ToString());
        Assert.Equal("10|1\n11|2\n12|3\ntools|1\nsmall|2", ordinality.Stdout.Trim());
        Assert.DoesNotContain("withholds", described.Stderr + ordinality.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DestructiveStatement_IsRefusedWithTheGuardrailsMessage_AndTheTableStays()
    {
        await fixture.GrantAsync();
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");

        var result = await fixture.PsqlAsync("demo", "require", "-c", $"/* tidy up */ DrOp TABLE {table}");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("ERROR:  blocked by guardrail \"destructive-ddl\": Destructive DDL is not allowed through the gateway.", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(1L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM pg_class WHERE relname = '{table}'"));
    }

    [Fact]
    public async Task BlockedStatementInsideTransaction_AbortsIt_SoCommitRollsBack()
    {
        await fixture.GrantAsync();
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");

        // As with any error in PostgreSQL: the transaction is aborted and COMMIT becomes ROLLBACK,
        // so a script that hits a guardrail half way does not commit its first half.
        var result = await fixture.PsqlAsync("demo", "require",
            "-c", "BEGIN",
            "-c", $"INSERT INTO {table} VALUES (1)",
            "-c", $"DROP TABLE {table}",
            "-c", $"INSERT INTO {table} VALUES (2)",
            "-c", "COMMIT");

        Assert.Contains("blocked by guardrail", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("current transaction is aborted", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("ROLLBACK", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task MultiStatementQuery_WithOneBlockedStatement_RunsNoneOfIt()
    {
        await fixture.GrantAsync();
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");

        var result = await fixture.PsqlAsync("demo", "require", "-c", $"INSERT INTO {table} VALUES (1); TRUNCATE {table}; INSERT INTO {table} VALUES (2)");

        Assert.Contains("blocked by guardrail \"destructive-ddl\"", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task PlaintextFromLoopback_WorksWhereThePolicyAllowsIt()
    {
        await fixture.GrantAsync("plain");

        var result = await fixture.PsqlAsync("plain", "disable", "-A", "-t", "-c", "SELECT 40 + 2", "-c", "SHOW server_version");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("42\n", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CopyFromStdin_LoadsRows_AndCopyOutOfATable_MasksTheMaskedColumn()
    {
        await fixture.GrantAsync();
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, ssn text)");
        var file = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(file, "1,111-22-3333\n2,444-55-6666\n");
        try
        {
            var load = await fixture.PsqlAsync("demo", "require", "-c", $"\\copy {table} FROM '{file}' WITH (FORMAT csv)");
            var dump = await fixture.PsqlAsync("demo", "require", "-c", $"\\copy {table} TO STDOUT");

            Assert.True(load.ExitCode == 0, load.ToString());
            Assert.Contains("COPY 2", load.Stdout, StringComparison.Ordinal);
            Assert.Equal(2L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
            Assert.True(dump.ExitCode == 0, dump.ToString());
            Assert.Equal("1\t****\n2\t****\n", dump.Stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task CopyOut_OnAConnectionWithValueDetectors_MasksEachLine()
    {
        await fixture.GrantAsync("detect");
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} AS SELECT g AS id, '5500 0000 0000 0004' AS card, 'note ' || g AS note FROM generate_series(1, 500) g");

        var result = await fixture.PsqlAsync("detect", "require", "-c", $"COPY (SELECT * FROM {table} ORDER BY id) TO STDOUT WITH (FORMAT csv)");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(500, lines.Length);
        Assert.StartsWith("1,", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("0004,note 1", lines[0], StringComparison.Ordinal);
        Assert.Contains("****", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("5500 0000 0000 0004", result.Stdout, StringComparison.Ordinal);
    }
}
