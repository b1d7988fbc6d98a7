using Appliance.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace Appliance.Gateway.Store;

internal static class StoreServiceCollectionExtensions
{
    public static IServiceCollection AddStore(this IServiceCollection services)
    {
        // snake_case columns map onto PascalCase properties everywhere.
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return options.UsesPostgres
                ? StoreDatabase.ForPostgres(options.Store!)
                : StoreDatabase.ForSqlite(options.DataDir);
        });
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<RequestStore>();
        // First hosted service: nothing else starts before the schema is current.
        services.AddHostedService<StoreMigrationService>();
        return services;
    }
}

internal sealed partial class StoreMigrationService(MigrationRunner runner, StoreDatabase database, ILogger<StoreMigrationService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        int applied;
        try
        {
            applied = await runner.MigrateAsync(cancellationToken);
            // A store that can be read but not written (read-only file or volume, full disk) would
            // let sessions run while their records pile up in memory (probe AX): not a start.
            await database.CheckWritableAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or UnauthorizedAccessException)
        {
            throw StoreUnusableException.For(database, ex);
        }

        Log.StoreReady(logger, database.Description, applied);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1002, LogLevel.Information, "Store {Store} is ready ({Applied} migrations applied now)")]
        public static partial void StoreReady(ILogger logger, string store, int applied);
    }
}

/// <summary>The store cannot be opened or written at start: the operator's to fix, said in one line.</summary>
internal sealed class StoreUnusableException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>
    /// Worded for the store it is: a PostgreSQL store that refuses the login or cannot be reached
    /// was said to be one that "cannot be written", with the embedded store's hints (probe TA3).
    /// </summary>
    public static StoreUnusableException For(StoreDatabase database, Exception ex)
    {
        var cause = ex.Message.TrimEnd('.');
        if (database.Dialect == StoreDialect.Sqlite)
        {
            return new(
                $"The store {database.Description} cannot be written: {cause}. The gateway records every session there and does not start " +
                "without it: check the permissions and free space of its directory (APPLIANCE_DATA_DIR).", ex);
        }

        var writing = ex is Npgsql.PostgresException { SqlState: "25006" or "42501" or "53100" };
        return new(
            $"The store {database.Description} cannot be {(writing ? "written" : "used")}: {cause}. The gateway records every session there and " +
            "does not start without it: " + (writing
                ? "give its role the right to write (not a read-only server or transaction mode) and the server free space."
                : "check the server's address and that it runs, the database's name, the role and its password (APPLIANCE_STORE)."), ex);
    }
}
