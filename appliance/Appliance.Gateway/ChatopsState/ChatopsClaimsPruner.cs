using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.ChatopsState;

/// <summary>
/// Forgets chatops claims (processed event ids, Slack envelope ids, once-only DMs) after
/// <see cref="Retention"/>, hourly. A claim only has to outlive the retries of what it
/// deduplicates: webhook deliveries give up within the hour, Slack retries within minutes, so a
/// month is ample and the table stops growing with every event. Every gateway replica may run
/// it; the delete is idempotent.
/// </summary>
internal sealed partial class ChatopsClaimsPruner(StoreDatabase database, TimeProvider time, ILogger<ChatopsClaimsPruner> logger)
    : Hosting.StoppableService
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>Deletes the claims older than the retention; returns how many.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var before = (time.GetUtcNow() - Retention).ToUnixMs();
        var pruned = await connection.ExecuteAsync(
            new CommandDefinition("DELETE FROM chatops_claims WHERE created_at < @before", new { before }, cancellationToken: cancellationToken));
        if (pruned > 0)
        {
            Log.Pruned(logger, pruned, Retention.TotalDays);
        }

        return pruned;
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.PruneFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Forgot {Count} chatops claims older than {Days} days")]
        public static partial void Pruned(ILogger logger, int count, double days);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning chatops claims failed; the next hour tries again")]
        public static partial void PruneFailed(ILogger logger, Exception exception);
    }
}
