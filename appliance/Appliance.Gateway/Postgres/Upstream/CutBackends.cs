using System.Collections.Concurrent;

namespace Appliance.Gateway.Postgres.Upstream;

/// <summary>
/// Ends the upstream backends of cut sessions (a cancel, then a login that asks
/// <c>pg_terminate_backend</c>) on a few threads of its own. The work blocks on the network and on
/// a SCRAM login: run on the thread pool for every busy session of a mass cut (many grants revoked
/// at once), it held the pool's threads while the API's own requests, the revocations among them,
/// waited (probe CC1: 30 revocations took 7–9 s to return). Four workers end 30 backends in a
/// few logins' time each, and cap the logins a mass cut opens at once.
/// </summary>
internal sealed class CutBackends : IDisposable
{
    private const int Workers = 4;
    private readonly BlockingCollection<Action> _jobs = [];
    private readonly ILogger<CutBackends> _logger;

    public CutBackends(ILogger<CutBackends> logger)
    {
        _logger = logger;
        for (var i = 0; i < Workers; i++)
        {
            new Thread(Run) { IsBackground = true, Name = "pg-cut-backends" }.Start();
        }
    }

    /// <summary>Queues <paramref name="end"/>; once the gateway is stopping, runs it on the caller's thread.</summary>
    public void Enqueue(Action end)
    {
        try
        {
            if (_jobs.TryAdd(end))
            {
                return;
            }
        }
        catch (InvalidOperationException)
        {
            // Stopping: no more queued work.
        }

        end();
    }

    public void Dispose() => _jobs.CompleteAdding();

    private void Run()
    {
        foreach (var end in _jobs.GetConsumingEnumerable())
        {
            try
            {
                end();
            }
            catch (Exception e)
            {
                // The jobs handle what ending a backend can meet; anything else must not end this
                // thread, or the backends of later cuts would run on.
                Log.CutBackendFailed(_logger, e);
            }
        }
    }
}
