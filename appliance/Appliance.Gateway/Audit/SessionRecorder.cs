using Appliance.Gateway.Events;
using Appliance.Gateway.Operations;
using Appliance.Gateway.Store;

namespace Appliance.Gateway.Audit;

/// <summary>
/// Records sessions and their statements off the hot path: sessions enqueue (a list append under
/// a lock), and one writer thread per process takes everything queued every
/// <see cref="BatchWindow"/> and commits it in one transaction. A batch's statements are written
/// per session as <c>session.statements</c> events in the hash chain, each holding up to
/// <see cref="MaxStatementsPerEvent"/> statements, so a busy session costs one row per batch (or
/// per that many statements), not one per statement. The queue is bounded: when the store falls
/// behind, sessions wait rather than statements go unrecorded.
/// </summary>
/// <remarks>
/// The writer is a thread of its own that blocks between batches, not an async loop: every
/// thread-pool hop wakes a worker that then spins for more work, and on the two cores the gateway
/// shares with PostgreSQL and the clients that spinning cost more than the writing
/// (docs/benchmarks.md).
/// </remarks>
internal sealed partial class SessionRecorder(
    StoreDatabase database, EventLog events, GatewayNode node, TimeProvider time, ILogger<SessionRecorder> logger) : BackgroundService
{
    /// <summary>Items queued before sessions wait for the writer.</summary>
    private const int Capacity = 100_000;

    /// <summary>
    /// A statements event's data stays well below the large object heap's 85,000 bytes (as a
    /// string, two per character), so writing it costs no gen2 collections.
    /// </summary>
    internal const int MaxStatementsPerEvent = 64;

    internal const int MaxEventBytes = 16 * 1024;

    /// <summary>How long the writer lets a batch gather once something is queued.</summary>
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _queued = new(0, int.MaxValue);
    private readonly SemaphoreSlim _drained = new(0, int.MaxValue);
    private List<Item> _incoming = new(1024);
    private bool _writerWaiting;
    private int _producersWaiting;
    private volatile bool _failing;

    /// <summary>The last commit failed and none has succeeded since: the store is not taking records.</summary>
    public bool IsFailing => _failing;

    public void Start(SessionInfo info) => Enqueue(new Item(Kind.Start, info.Id, Session: info, At: info.StartedAt));

    public void Record(StatementRecord record) => Enqueue(new Item(Kind.Statement, record.SessionId, Statement: record));

    /// <summary>The application the session now names (<see cref="EventTypes.SessionApplication"/>), already masked.</summary>
    public void Application(string sessionId, string? application) =>
        Enqueue(new Item(Kind.Application, sessionId, Reason: application, At: time.GetUtcNow()));

    /// <summary>Recorded unless the record holds the session's end already (another gateway took this one for dead).</summary>
    public void End(string sessionId, string reason) => Enqueue(new Item(Kind.End, sessionId, Reason: reason, At: time.GetUtcNow()));

    /// <summary>The end of a session this gateway took from a lost one: its UPDATE claimed it in the store, and only this gateway records it.</summary>
    public void ClaimedEnd(string sessionId, string reason) => Enqueue(new Item(Kind.ClaimedEnd, sessionId, Reason: reason, At: time.GetUtcNow()));

    /// <summary>Those of <paramref name="ids"/> whose end the store holds.</summary>
    public async Task<IReadOnlyList<string>> EndedInStoreAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await Dapper.SqlMapper.QueryAsync<string>(connection, new Dapper.CommandDefinition(
            $"SELECT id FROM sessions WHERE {database.IsAnyOf("id", "ids")} AND ended_at IS NOT NULL", new { ids = ids.ToArray() },
            cancellationToken: cancellationToken))];
    }

    /// <summary>Completes once everything enqueued before the call is committed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Item(Kind.Flush, "", Flushed: done));
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// For <c>audit: strict</c>: the session's start is committed before this returns, so a session
    /// the audit log cannot hold is not admitted, and its statements never precede its start
    /// (probe AO). Its other records are queued as usual.
    /// </summary>
    public Task CommitStartAsync(SessionInfo info, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (c, t) =>
        {
            await InsertStartsAsync(c, t, [info]);
            await events.AppendAsync(c, t, [StartedEvent(info)]);
            return true;
        }, cancellationToken);

    /// <summary>
    /// For <c>audit: strict</c>: the statement's record is committed before this returns, so the
    /// caller forwards nothing the audit log does not already hold.
    /// </summary>
    public async Task CommitIntentAsync(StatementRecord record, CancellationToken cancellationToken)
    {
        var intent = record with { Outcome = StatementRecord.Forwarded };
        var data = StatementsJson.Serialize([intent]);
        await database.InTransactionAsync(async (c, t) =>
        {
            await events.AppendAsync(c, t, [new NewEvent(EventTypes.SessionStatements, time.GetUtcNow(), data, SessionId: record.SessionId)]);
            return true;
        }, cancellationToken);
    }

    private void Enqueue(in Item item)
    {
        while (true)
        {
            bool added;
            var wakeWriter = false;
            lock (_lock)
            {
                added = _incoming.Count < Capacity;
                if (added)
                {
                    _incoming.Add(item);
                    wakeWriter = _writerWaiting;
                    _writerWaiting = false;
                }
                else
                {
                    _producersWaiting++;
                }
            }

            if (added)
            {
                if (wakeWriter)
                {
                    _queued.Release();
                }

                return;
            }

            // Full: the store is behind. Block this session rather than lose the record.
            _drained.Wait();
        }
    }

    /// <summary>Waits until something is queued (or the host stops), then lets the batch gather.</summary>
    private List<Item> Take(List<Item> spare, CancellationToken stopping)
    {
        var wait = false;
        lock (_lock)
        {
            if (_incoming.Count == 0)
            {
                _writerWaiting = true;
                wait = true;
            }
        }

        if (wait)
        {
            try
            {
                _queued.Wait(stopping);
            }
            catch (OperationCanceledException)
            {
                // Stopping: take what is there.
            }
        }

        if (!stopping.IsCancellationRequested)
        {
            stopping.WaitHandle.WaitOne(BatchWindow);
        }

        List<Item> batch;
        int release;
        lock (_lock)
        {
            batch = _incoming;
            _incoming = spare;
            _writerWaiting = false;
            release = _producersWaiting;
            _producersWaiting = 0;
        }

        if (release > 0)
        {
            _drained.Release(release);
        }

        return batch;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new Thread(() =>
        {
            try
            {
                Run(stoppingToken);
                stopped.TrySetResult();
            }
            catch (Exception e)
            {
                stopped.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "audit-writer",
        };
        writer.Start();
        return stopped.Task;
    }

    private void Run(CancellationToken stopping)
    {
        var spare = new List<Item>(1024);
        var json = new StatementsJson();
        while (!stopping.IsCancellationRequested)
        {
            var batch = Take(spare, stopping);
            if (batch.Count > 0)
            {
                WriteWithRetry(batch, json, stopping);
            }

            Complete(batch);
            batch.Clear();
            spare = batch;
        }

        // Shutting down: what is left is written with a few attempts.
        var rest = Take(spare, stopping);
        if (rest.Count > 0)
        {
            WriteWithRetry(rest, json, stopping);
            Complete(rest);
        }
    }

    private static void Complete(List<Item> batch)
    {
        foreach (var item in batch)
        {
            item.Flushed?.TrySetResult();
        }
    }

    /// <summary>
    /// Retries until the store takes the batch: while the gateway runs, a store outage only delays
    /// the records (sessions wait once the queue is full, and new ones are refused meanwhile,
    /// <see cref="IsFailing"/>). Once the host is stopping it tries ten times, then says what it lost.
    /// </summary>
    private void WriteWithRetry(List<Item> batch, StatementsJson json, CancellationToken stopping)
    {
        var prepared = Prepare(batch, json);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Commit(prepared);
                _failing = false;
                GatewayMetrics.RecordedStatements.Inc(prepared.Statements);
                return;
            }
            catch (Exception ex)
            {
                _failing = true;
                if (stopping.IsCancellationRequested && attempt >= 10)
                {
                    // Say what is lost, and whose, rather than end the host with a bare exception (probe AX).
                    var sessions = string.Join(", ", batch.Select(i => i.SessionId).Where(id => id.Length > 0).Distinct(StringComparer.Ordinal));
                    Log.RecordsLost(logger, batch.Count, sessions, ex);
                    return;
                }

                Log.WriteFailed(logger, batch.Count, attempt, ex);
                var delay = TimeSpan.FromMilliseconds(Math.Min(100 * attempt, 5000));
                if (stopping.IsCancellationRequested)
                {
                    Thread.Sleep(delay);
                }
                else
                {
                    stopping.WaitHandle.WaitOne(delay);
                }
            }
        }
    }

    private enum Kind
    {
        Start,
        Statement,
        End,

        /// <summary>An end this gateway's sweep has claimed in the store already (its UPDATE wrote it).</summary>
        ClaimedEnd,

        /// <summary>The session's application changed: <see cref="Item.Reason"/> holds the new one.</summary>
        Application,
        Flush,
    }

    private readonly record struct Item(
        Kind Kind,
        string SessionId,
        SessionInfo? Session = null,
        StatementRecord? Statement = null,
        string? Reason = null,
        DateTimeOffset At = default,
        TaskCompletionSource? Flushed = null);

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Error, "Writing {Count} audit records failed (attempt {Attempt}); retrying")]
        public static partial void WriteFailed(ILogger logger, int count, int attempt, Exception exception);

        [LoggerMessage(5002, LogLevel.Critical, "The gateway is stopping and its store still refuses the audit log's writes: {Count} audit records are lost, of sessions {Sessions}")]
        public static partial void RecordsLost(ILogger logger, int count, string sessions, Exception exception);
    }
}
