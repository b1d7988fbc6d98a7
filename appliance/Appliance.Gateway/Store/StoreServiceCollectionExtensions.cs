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
        var applied = await runner.MigrateAsync(cancellationToken);
        Log.StoreReady(logger, database.Description, applied);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1002, LogLevel.Information, "Store {Store} is ready ({Applied} migrations applied now)")]
        public static partial void StoreReady(ILogger logger, string store, int applied);
    }
}
