using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Audit;

/// <summary>
/// Sessions an earlier run of the gateway left without an end: it was killed (kill -9, a crash,
/// the machine lost power) before it recorded their end, and the record showed them live for
/// ever (probe ED4: a search for sessions live in 2030 found them). The embedded store has one
/// gateway process, so when it starts every such session is over: each is ended then, saying
/// so. A PostgreSQL store may serve several gateways, whose live sessions look the same in it:
/// those are left alone (docs/operations.md).
/// </summary>
internal sealed partial class OrphanedSessions(StoreDatabase database, SessionRecorder recorder, ILogger<OrphanedSessions> logger) : IHostedService
{
    public const string Reason = "the gateway stopped without recording the session's end (it was killed or crashed); ended when the gateway started again";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (database.Dialect != StoreDialect.Sqlite)
        {
            return;
        }

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

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(5012, LogLevel.Warning, "{Count} sessions of an earlier run of the gateway had no recorded end (it was killed or crashed); they are ended now: {Sessions}")]
        public static partial void Ended(ILogger logger, int count, string sessions);
    }
}
