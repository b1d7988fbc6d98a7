using Appliance.Gateway.Store;
using Appliance.Tests.Common;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Gateway.Tests.Store;

/// <summary>A migrated, empty store of either kind, for the contract tests that run against both.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private readonly TestDatabase? _postgres;
    private readonly string? _directory;

    private TestStore(StoreDatabase database, TestDatabase? postgres, string? directory)
    {
        Database = database;
        _postgres = postgres;
        _directory = directory;
    }

    public StoreDatabase Database { get; }

    public static TheoryData<string> Kinds => new() { "sqlite", "postgres" };

    public static async Task<TestStore> CreateAsync(string kind)
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        TestStore store;
        if (kind == "postgres")
        {
            var database = await TestPostgres.CreateDatabaseAsync("store");
            store = new TestStore(StoreDatabase.ForPostgres(database.ConnectionString), database, null);
        }
        else
        {
            var directory = Path.Combine(Path.GetTempPath(), "appliance-store-" + Guid.NewGuid().ToString("N"));
            store = new TestStore(StoreDatabase.ForSqlite(directory), null, directory);
        }

        await store.Migrations.MigrateAsync(CancellationToken.None);
        return store;
    }

    public MigrationRunner Migrations => new(Database, NullLogger<MigrationRunner>.Instance, []);

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
