using Appliance.Gateway.Tests.Postgres.Support;
using Npgsql;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// A superuser reaches past every rule (it writes the catalogs, the server's files and programs:
/// probes EN1, EN2, EJ1), so a session that would run as one is refused, at login or when SET
/// ROLE makes it one, unless the connection's policy allows it (upstream.allowSuperuser).
/// </summary>
public sealed class SuperuserTests(PgGatewayFixture fixture) : IClassFixture<PgGatewayFixture>
{
    [Fact]
    public async Task ASessionAsASuperuser_IsRefusedAtLogin_UnlessTheConnectionAllowsIt()
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() => fixture.OpenAsync("super"));
        await using var allowed = await fixture.OpenAsync("superok");

        Assert.Equal("42501", refused.SqlState);
        Assert.Contains("PostgreSQL superuser", refused.MessageText, StringComparison.Ordinal);
        Assert.Contains("allowSuperuser", refused.MessageText, StringComparison.Ordinal);
        await using var command = new NpgsqlCommand("SELECT current_setting('is_superuser')", allowed);
        Assert.Equal("on", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task SetRoleToASuperuser_CutsTheSession()
    {
        var role = "gw_super_" + PgGatewayFixture.Marker();
        await using (var admin = new NpgsqlConnection(fixture.AdminUpstreamConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE ROLE {role} SUPERUSER NOLOGIN; GRANT {role} TO {fixture.Upstream.User}", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using var session = await fixture.OpenAsync();

        var cut = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var command = new NpgsqlCommand($"SET ROLE {role}; SELECT 1", session);
            await command.ExecuteNonQueryAsync();
        });

        Assert.Contains("PostgreSQL superuser", cut.MessageText, StringComparison.Ordinal);
        Assert.NotEqual(System.Data.ConnectionState.Open, session.State);
    }
}
