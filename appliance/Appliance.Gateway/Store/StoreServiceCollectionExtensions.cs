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
    public static StoreUnusableException For(StoreDatabase database, Exception ex) => new(
        $"The store {database.Description} cannot be written: {ex.Message.TrimEnd('.')}. The gateway records every session there and does not " +
        "start without it: check its permissions, free space and connection settings (APPLIANCE_DATA_DIR, APPLIANCE_STORE).", ex);
}
