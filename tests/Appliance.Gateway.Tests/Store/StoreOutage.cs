using Appliance.Tests.Common;
using Dapper;
using Npgsql;

namespace Appliance.Gateway.Tests.Store;

/// <summary>
/// A PostgreSQL store outage: from <see cref="BeginAsync"/> until disposed, the test database refuses
/// new connections and its open ones are dropped, as when the server restarts.
/// </summary>
internal sealed class StoreOutage : IAsyncDisposable
{
    private readonly NpgsqlConnection _admin;
    private readonly string _database;

    private StoreOutage(NpgsqlConnection admin, string database)
    {
        _admin = admin;
        _database = database;
    }

    public static async Task<StoreOutage> BeginAsync(TestDatabase database)
    {
        var admin = new NpgsqlConnection(TestPostgres.AdminConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync($"ALTER DATABASE \"{database.Name}\" ALLOW_CONNECTIONS false");
        await admin.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name", new { name = database.Name });
        return new StoreOutage(admin, database.Name);
    }

    public async ValueTask DisposeAsync()
    {
        await _admin.ExecuteAsync($"ALTER DATABASE \"{_database}\" ALLOW_CONNECTIONS true");
        await _admin.DisposeAsync();
    }
}
