namespace Appliance.Gateway.Postgres.Upstream;

/// <summary>
/// Ends the upstream backends of cut sessions on a few threads of its own: a cancel, then a login
/// that asks <c>pg_terminate_backend</c>. The work blocks on the network and on a SCRAM login, so
/// it stays off the thread pool, whose threads the API's requests (the revocations among them)
/// need during a mass cut, and four workers cap the logins a mass cut opens at once. Cancels go
/// first: one is a packet on a new connection, and it should not wait behind other sessions' logins.
/// </summary>
internal sealed class CutBackends : IDisposable
{
    private const int Workers = 4;

    /// <summary>How long the gateway's stop waits for queued ends: a stop cuts every session.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly Queue<Action> _cancels = new();
    private readonly Queue<Action> _terminates = new();
    private readonly Thread[] _threads = new Thread[Workers];
    private readonly ILogger<CutBackends> _logger;
    private bool _stopping;

    public CutBackends(ILogger<CutBackends> logger)
    {
        _logger = logger;
        for (var i = 0; i < Workers; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = "pg-cut-backends" };
            _threads[i].Start();
        }
    }

    /// <summary>Queues a session's cancel and the end of its backend; once the gateway has stopped, runs both here.</summary>
    public void Enqueue(Action cancel, Action terminate)
    {
        lock (_gate)
        {
            if (!_stopping)
            {
                _cancels.Enqueue(cancel);
                _terminates.Enqueue(terminate);
                Monitor.PulseAll(_gate);
                return;
            }
        }

        cancel();
        terminate();
    }

    /// <summary>Lets the workers finish what is queued, for up to <see cref="StopWait"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        var deadline = DateTime.UtcNow + StopWait;
        foreach (var thread in _threads)
        {
            var left = deadline - DateTime.UtcNow;
            thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }

    private void Run()
    {
        while (Next() is { } job)
        {
            try
            {
                job();
            }
            catch (Exception e)
            {
                // The jobs handle what ending a backend can meet; anything else must not end this
                // thread, or the backends of later cuts would run on.
                Log.CutBackendFailed(_logger, e);
            }
        }
    }

    /// <summary>The next job, cancels first; null once stopping with nothing left.</summary>
    private Action? Next()
    {
        lock (_gate)
        {
            while (_cancels.Count == 0 && _terminates.Count == 0)
            {
                if (_stopping)
                {
                    return null;
                }

                Monitor.Wait(_gate);
            }

            return _cancels.Count > 0 ? _cancels.Dequeue() : _terminates.Dequeue();
        }
    }
}
