using Appliance.Tests.Common;
using Dapper;
using Npgsql;

namespace Appliance.Gateway.Tests.Store;

/// <summary>
/// A PostgreSQL store outage: from <see cref="BeginAsync"/> until disposed, the test database refuses
/// new connections and its open ones are dropped, as when the server restarts. From
/// <see cref="BeginWritesFailAsync"/>, it still reads but every write to the audit chain fails, as
/// on a full disk; from <see cref="BeginStalledAsync"/>, those writes wait.
/// </summary>
internal sealed class StoreOutage : IAsyncDisposable
{
    private const string RefuseWrites = """
        CREATE FUNCTION outage_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$;
        CREATE TRIGGER outage_refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION outage_refuse();
        """;

    private readonly NpgsqlConnection _admin;
    private readonly string _end;

    private StoreOutage(NpgsqlConnection admin, string end)
    {
        _admin = admin;
        _end = end;
    }

    public static async Task<StoreOutage> BeginAsync(TestDatabase database)
    {
        var admin = new NpgsqlConnection(TestPostgres.AdminConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync($"ALTER DATABASE \"{database.Name}\" ALLOW_CONNECTIONS false");
        await admin.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name", new { name = database.Name });
        return new StoreOutage(admin, $"ALTER DATABASE \"{database.Name}\" ALLOW_CONNECTIONS true");
    }

    public static async Task<StoreOutage> BeginWritesFailAsync(TestDatabase database)
    {
        var admin = new NpgsqlConnection(database.ConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync(RefuseWrites);
        return new StoreOutage(admin, "DROP TRIGGER outage_refuse ON events; DROP FUNCTION outage_refuse()");
    }

    /// <summary>Every write to the audit chain waits (the events table locked) until disposed, as behind a long checkpoint.</summary>
    public static async Task<StoreOutage> BeginStalledAsync(TestDatabase database)
    {
        var admin = new NpgsqlConnection(database.ConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync("BEGIN; LOCK TABLE events IN EXCLUSIVE MODE");
        return new StoreOutage(admin, "COMMIT");
    }

    public async ValueTask DisposeAsync()
    {
        await _admin.ExecuteAsync(_end);
        await _admin.DisposeAsync();
    }
}
