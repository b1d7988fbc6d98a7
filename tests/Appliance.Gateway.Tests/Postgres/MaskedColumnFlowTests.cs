using Appliance.Gateway.Tests.Postgres.Support;
using Npgsql;

namespace Appliance.Gateway.Tests.Postgres;

public sealed class MaskedColumnFlowOverTlsTests(PgGatewayFixture fixture) : MaskedColumnFlowTests<PgGatewayFixture>(fixture);

public sealed class MaskedColumnFlowOnEventLoopTests(PlaintextFixture fixture) : MaskedColumnFlowTests<PlaintextFixture>(fixture);

/// <summary>
/// A masked column cannot be laundered through something the gateway cannot follow (a table,
/// a function, a cursor, an SQL prepared statement); read in place it stays masked.
/// </summary>
public abstract class MaskedColumnFlowTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PgGatewayFixture
{
    private async Task<string> PeopleAsync()
    {
        var table = PgGatewayFixture.TableName("people");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int PRIMARY KEY, ssn text); INSERT INTO {table} VALUES (1, '123-45-6789');");
        return table;
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

        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var command = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, table), connection);
            await command.ExecuteNonQueryAsync();
        });

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("masked column \"ssn\"", error.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain(notices, n => n.Contains("123456789", StringComparison.Ordinal));
        await using var check = new NpgsqlCommand(
            "SELECT count(*) FROM pg_class WHERE relname = 'laundered' AND relpersistence = 't'", connection);
        Assert.Equal(0L, await check.ExecuteScalarAsync());
        await using var prepared = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements WHERE name = 'laundered'", connection);
        Assert.Equal(0L, await prepared.ExecuteScalarAsync());
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
