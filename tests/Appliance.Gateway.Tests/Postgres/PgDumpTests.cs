using Appliance.Gateway.Tests.Postgres.Support;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>pg_dump, run as a process, through the gateway to a real PostgreSQL (probe DA1: every dump stopped at its first query).</summary>
public sealed class PgDumpTests(PgGatewayFixture fixture) : IClassFixture<PgGatewayFixture>
{
    [Fact]
    public async Task DumpOfOneTable_HasItsDefinitionAndRows_WithMaskedValuesMasked()
    {
        await fixture.GrantAsync();
        var table = PgGatewayFixture.TableName("dumped");
        await fixture.UpstreamAsync($"""
            CREATE TABLE {table} (id int PRIMARY KEY, ssn text, card text, note text);
            INSERT INTO {table} VALUES (1, '123-45-6789', '4111 1111 1111 1111', 'plain words'), (2, NULL, NULL, 'second row');
            """);

        var result = await ProcessRunner.RunAsync(ProcessRunner.PgDump,
            ["-h", "127.0.0.1", "-p", fixture.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", Alice, "-d", "demo", "-t", table],
            new Dictionary<string, string> { ["PGPASSWORD"] = fixture.AliceToken, ["PGSSLMODE"] = "require" });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"CREATE TABLE public.{table} (", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"COPY public.{table} (id, ssn, card, note) FROM stdin;", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("1\t****\t****-****-****-1111\tplain words", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("2\t\\N\t\\N\tsecond row", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("6789", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("4111 1111", result.Stdout, StringComparison.Ordinal);
    }
}
