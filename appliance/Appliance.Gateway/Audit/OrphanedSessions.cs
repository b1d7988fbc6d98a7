using Appliance.Gateway.Hosting;
using Appliance.Gateway.Store;
using Dapper;
using Microsoft.Extensions.Options;

namespace Appliance.Gateway.Audit;

/// <summary>
/// Sessions a gateway left without an end: it was killed (kill -9, a crash, the machine lost
/// power) before it recorded their end, and the record showed them live for ever (probe ED4: a
/// search for sessions live in 2030 found them).
/// <list type="bullet">
/// <item>The embedded store has one gateway process, so when it starts every such session is over:
/// each is ended then, saying so.</item>
/// <item>A PostgreSQL store may serve several gateways, whose live sessions look the same in it.
/// Each gateway says it is alive in <c>gateway_nodes</c> every <see cref="HeartbeatInterval"/>,
/// and each session names its gateway; every gateway ends the open sessions of a gateway not
/// seen for <see cref="DeadAfter"/>. Both times are the store's clock, so the hosts' clocks
/// need not agree.</item>
/// </list>
/// </summary>
internal sealed partial class OrphanedSessions(
    StoreDatabase database, SessionRecorder recorder, GatewayNode node, IOptions<GatewayOptions> options, ILogger<OrphanedSessions> logger)
    : StoppableService
{
    public const string Reason = "the gateway stopped without recording the session's end (it was killed or crashed); ended when the gateway started again";

    public const string LostReason = "the gateway relaying the session stopped answering without recording its end (it was killed, crashed or lost the store); ended by another gateway";

    /// <summary>The store's clock in milliseconds, as every other time in it.</summary>
    private const string StoreNow = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

    /// <summary>
    /// Ten of the cluster's poll intervals (10 s by default): a row written that often costs nothing.
    /// </summary>
    private TimeSpan HeartbeatInterval => options.Value.ClusterPollInterval * 10;

    /// <summary>
    /// Six missed heartbeats (a minute by default): a gateway paused that long (a long GC pause,
    /// a store it could not reach) has its sessions ended by the others, a trade for never
    /// leaving a killed gateway's sessions live.
    /// </summary>
    private TimeSpan DeadAfter => HeartbeatInterval * 6;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (database.Dialect == StoreDialect.Sqlite)
        {
            await EndAllOpenAsync(cancellationToken);
        }
        else
        {
            // Alive before the first session names it, so no other gateway takes its sessions for orphans.
            await BeatAsync(cancellationToken);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        if (database.Dialect == StoreDialect.Sqlite)
        {
            return;
        }

        using var timer = new PeriodicTimer(HeartbeatInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await BeatAsync(stoppingToken);
                await EndLostAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.SweepFailed(logger, e);
            }
        }
    }

    private async Task EndAllOpenAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var open = (await connection.QueryAsync<string>(
            new CommandDefinition("SELECT id FROM sessions WHERE ended_at IS NULL ORDER BY started_at", cancellationToken: cancellationToken))).ToList();
        foreach (var id in open)
        {
            recorder.End(id, Reason);
        }

        if (open.Count > 0)
        {
            Log.Ended(logger, open.Count, string.Join(", ", open));
        }
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        var beatAt = Environment.TickCount64;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO gateway_nodes (id, started_at, seen_at, dead_after) VALUES (@id, {StoreNow}, {StoreNow}, @deadMs) " +
            "ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
            new { id = node.Id, deadMs = (long)DeadAfter.TotalMilliseconds }, cancellationToken: cancellationToken));

        // A heartbeat short of the others' wait: a late one lapses the lease before they can act.
        node.Alive(beatAt, DeadAfter - HeartbeatInterval);
    }

    /// <summary>
    /// Ends the open sessions of gateways not seen for as long as each said it may go unseen
    /// (probe PA4: judged by the looking gateway's own setting, a gateway with a slower heartbeat
    /// had its live sessions ended), also of gateways no longer listed, and not this one's. The
    /// UPDATE claims them: of two gateways sweeping at once, only the one whose UPDATE took a
    /// session records its end in the chain.
    /// </summary>
    internal async Task<int> EndLostAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var lost = (await connection.QueryAsync<string>(new CommandDefinition(
            $"UPDATE sessions SET ended_at = {StoreNow}, end_reason = @reason " +
            "WHERE ended_at IS NULL AND node IS NOT NULL AND node <> @self " +
            $"AND node NOT IN (SELECT id FROM gateway_nodes WHERE seen_at + dead_after >= {StoreNow}) RETURNING id",
            new { reason = LostReason, self = node.Id }, cancellationToken: cancellationToken))).ToList();
        foreach (var id in lost)
        {
            recorder.ClaimedEnd(id, LostReason);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM gateway_nodes WHERE seen_at + dead_after < {StoreNow} AND id <> @self",
            new { self = node.Id }, cancellationToken: cancellationToken));
        if (lost.Count > 0)
        {
            Log.Lost(logger, lost.Count, string.Join(", ", lost));
        }

        return lost.Count;
    }

    private static partial class Log
    {
        [LoggerMessage(5012, LogLevel.Warning, "{Count} sessions of an earlier run of the gateway had no recorded end (it was killed or crashed); they are ended now: {Sessions}")]
        public static partial void Ended(ILogger logger, int count, string sessions);

        [LoggerMessage(5013, LogLevel.Warning, "{Count} sessions of a gateway that stopped answering had no recorded end (it was killed, crashed or lost the store); they are ended now: {Sessions}")]
        public static partial void Lost(ILogger logger, int count, string sessions);

        [LoggerMessage(5014, LogLevel.Warning, "Saying this gateway is alive, or ending the sessions of gateways that are not, failed; the next heartbeat tries again")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
