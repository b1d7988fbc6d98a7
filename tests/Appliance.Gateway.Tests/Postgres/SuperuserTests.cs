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
    public async Task ARoleThatCanBecomeASuperuser_IsRefusedAtLogin_UntilTheMembershipIsRevoked()
    {
        // A member may run as the superuser role without the server ever reporting it: SET ROLE and
        // RESET ROLE in one write, or a function's SET role clause (probes FA1, FA2).
        var role = "gw_super_" + PgGatewayFixture.Marker();
        var plain = "gw_plain_" + PgGatewayFixture.Marker();
        await AdminAsync($"CREATE ROLE {role} SUPERUSER NOLOGIN; GRANT {role} TO {fixture.Upstream.User}; CREATE ROLE {plain} NOLOGIN; GRANT {plain} TO {fixture.Upstream.User}");
        try
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => fixture.OpenAsync());
            // Acting as another role from the start (the client's -c role=…, or the role's default): the
            // login role is asked about, since SET ROLE NONE returns to it (probe GA1, GA2).
            await fixture.GrantAsync();
            var builder = fixture.ConnectionString();
            builder.Options = $"-c role={plain}";
            await using var acting = new NpgsqlConnection(builder.ConnectionString);
            var actingRefused = await Assert.ThrowsAsync<PostgresException>(() => acting.OpenAsync());

            Assert.Equal("42501", refused.SqlState);
            Assert.Contains($"member of the superuser role \"{role}\"", refused.MessageText, StringComparison.Ordinal);
            Assert.Equal("42501", actingRefused.SqlState);
            Assert.Contains($"member of the superuser role \"{role}\"", actingRefused.MessageText, StringComparison.Ordinal);
        }
        finally
        {
            await AdminAsync($"REVOKE {role} FROM {fixture.Upstream.User}; DROP ROLE {role}; REVOKE {plain} FROM {fixture.Upstream.User}; DROP ROLE {plain}");
        }

        await using var session = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_setting('is_superuser')", session);
        Assert.Equal("off", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task SetRoleToASuperuser_GrantedAfterTheLogin_CutsTheSession()
    {
        var role = "gw_super_" + PgGatewayFixture.Marker();
        await using var session = await fixture.OpenAsync();
        await AdminAsync($"CREATE ROLE {role} SUPERUSER NOLOGIN; GRANT {role} TO {fixture.Upstream.User}");
        try
        {
            var cut = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                await using var command = new NpgsqlCommand($"SET ROLE {role}; SELECT 1", session);
                await command.ExecuteNonQueryAsync();
            });

            Assert.Equal("42501", cut.SqlState);
            Assert.Contains("PostgreSQL superuser", cut.MessageText, StringComparison.Ordinal);
            Assert.NotEqual(System.Data.ConnectionState.Open, session.State);
        }
        finally
        {
            await AdminAsync($"REVOKE {role} FROM {fixture.Upstream.User}; DROP ROLE {role}");
        }
    }

    private async Task AdminAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(fixture.AdminUpstreamConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }
}
