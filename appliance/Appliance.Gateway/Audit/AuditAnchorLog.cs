using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Audit;

/// <summary>
/// Writes the chain's head (its last event's number and hash) to the log at start, every
/// <see cref="Interval"/> when it moved, and at the stop, after the last records are written
/// (probe AZ: what a stopped gateway's store lost from its end since the last anchor went unseen). Events cut from the chain's end leave a valid shorter
/// chain; with the log shipped elsewhere (Seq), these lines are the anchors an auditor passes to
/// <c>GET /api/audit/verify?seq=&amp;hash=</c> to see that nothing recorded since was cut.
/// </summary>
internal sealed partial class AuditAnchorLog(StoreDatabase database, ILogger<AuditAnchorLog> logger) : Hosting.StoppableService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private long _logged;

    /// <summary>The hash of event <see cref="_logged"/> when it was logged.</summary>
    private string? _loggedHash;

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await LogHeadAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                Log.HeadUnreadable(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Stopped after the session recorder (registered before it), so its last batch is in the anchor.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await LogHeadAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            Log.HeadUnreadable(logger, ex);
        }
    }

    /// <summary>
    /// Logs the head when it moved, after checking that the last anchor logged still holds: events
    /// cut from the chain's end while the gateway ran, and new ones written under their numbers,
    /// went unsaid until someone verified with an anchor (probe DY2). Said once, as an error.
    /// </summary>
    internal async Task LogHeadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (_loggedHash is { } anchorHash)
        {
            var stored = await connection.QuerySingleOrDefaultAsync<string?>(
                new CommandDefinition("SELECT hash FROM events WHERE seq = @seq", new { seq = _logged }, cancellationToken: cancellationToken));
            if (!string.Equals(stored, anchorHash, StringComparison.Ordinal))
            {
                Log.AnchorLost(logger, _logged, anchorHash);
                _loggedHash = null;
                _logged = 0;
            }
        }

        var head = await connection.QuerySingleOrDefaultAsync<(long Seq, string Hash)?>(
            new CommandDefinition("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", cancellationToken: cancellationToken));
        if (head is { } h && (h.Seq != _logged || _loggedHash is null))
        {
            Log.Head(logger, h.Seq, h.Hash);
            _logged = h.Seq;
            _loggedHash = h.Hash;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(5010, LogLevel.Information, "Audit chain anchor: event {AnchorSeq} has hash {AnchorHash:l} (check later with GET /api/audit/verify?seq={AnchorSeq}&hash={AnchorHash:l})")]
        public static partial void Head(ILogger logger, long anchorSeq, string anchorHash);

        [LoggerMessage(5012, LogLevel.Critical, "The audit chain was changed in the store: event {AnchorSeq} no longer has the hash {AnchorHash:l} this gateway logged as its anchor (events cut from its end, or rewritten); GET /api/audit/verify?seq={AnchorSeq}&hash={AnchorHash:l} shows it")]
        public static partial void AnchorLost(ILogger logger, long anchorSeq, string anchorHash);

        [LoggerMessage(5011, LogLevel.Warning, "Could not read the audit chain's head for its anchor")]
        public static partial void HeadUnreadable(ILogger logger, Exception exception);
    }
}
