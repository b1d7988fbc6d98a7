using Appliance.Gateway.Configuration;
using Appliance.Gateway.Tests.Postgres.Support;
using Npgsql;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>A reload that changes the columns masked by name: no session keeps reading them by the old rules.</summary>
public sealed class MaskingReloadTests : IAsyncLifetime
{
    // A gateway of its own: the test edits its policy.
    private readonly PgGatewayFixture _fixture = new();

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task AddingAMaskedColumn_EndsLiveSessions_AndNewOnesMaskIt()
    {
        // Probe AI: a live session kept the column readable through an alias (its login-time
        // catalog knew only the old masked columns), and its plan then served new logins too.
        var table = PgGatewayFixture.TableName("reload");
        await _fixture.UpstreamAsync($"CREATE TABLE {table} (id int, name text, ssn text); INSERT INTO {table} VALUES (1, 'Ann', '123-45-6789')");
        await _fixture.GrantAsync();
        await using var live = await _fixture.OpenAsync();
        await using (var before = new NpgsqlCommand($"SELECT id, name AS n FROM {table}", live))
        await using (var reader = await before.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal("Ann", reader.GetString(1));
        }

        var path = _fixture.Gateway.Options.ConfigPath!;
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("columns: [ssn]", "columns: [ssn, name]", StringComparison.Ordinal));
        var provider = _fixture.Gateway.Service<IPolicyProvider>();
        for (var i = 0; i < 300 && !provider.Current.Masking.Any(p => p.Columns.Contains("name")); i++)
        {
            await Task.Delay(50);
        }

        Assert.Contains(provider.Current.Masking, p => p.Columns.Contains("name"));

        await using (var after = new NpgsqlCommand($"SELECT id, name AS n FROM {table}", live))
        {
            var cut = await Assert.ThrowsAnyAsync<NpgsqlException>(() => after.ExecuteScalarAsync());
            var fatal = Assert.IsType<PostgresException>(cut is PostgresException ? cut : cut.InnerException);
            Assert.Equal("57P01", fatal.SqlState);
            Assert.Contains("the columns masked on connection \"demo\" changed", fatal.MessageText, StringComparison.Ordinal);
        }

        await using var fresh = await _fixture.OpenAsync();
        await using var again = new NpgsqlCommand($"SELECT id, name AS n, upper(name) FROM {table}", fresh);
        await using var rows = await again.ExecuteReaderAsync();
        Assert.True(await rows.ReadAsync());
        Assert.Equal("****", rows.GetString(1));
        Assert.Equal("****", rows.GetString(2));
    }
}
