using System.Threading.Channels;
using Appliance.Gateway.Events;
using Appliance.Gateway.Operations;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Audit;

/// <summary>
/// Records sessions and their statements off the hot path: sessions enqueue, one writer per
/// process drains the queue every few milliseconds and commits a batch in one transaction. A
/// batch's statements are written per session as one <c>session.statements</c> event in the hash
/// chain, so a busy session costs one row per batch, not one per statement. The queue is bounded:
/// when the store falls behind, sessions wait rather than statements go unrecorded.
/// </summary>
internal sealed partial class SessionRecorder(
    StoreDatabase database, EventLog events, TimeProvider time, ILogger<SessionRecorder> logger) : BackgroundService
{
    private const int MaxBatch = 2000;
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(20);

    private readonly Channel<Item> _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(100_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public void Start(SessionInfo info) => Enqueue(new Item(Kind.Start, info.Id, Session: info, At: info.StartedAt));

    public void Record(StatementRecord record) => Enqueue(new Item(Kind.Statement, record.SessionId, Statement: record, At: record.StartedAt));

    public void End(string sessionId, string reason) => Enqueue(new Item(Kind.End, sessionId, Reason: reason, At: time.GetUtcNow()));

    /// <summary>
    /// For <c>audit: strict</c>: the statement's record is committed before this returns, so the
    /// caller forwards nothing the audit log does not already hold.
    /// </summary>
    public async Task CommitIntentAsync(StatementRecord record, CancellationToken cancellationToken)
    {
        var intent = record with { Outcome = StatementRecord.Forwarded };
        await database.InTransactionAsync(async (c, t) =>
        {
            await events.AppendAsync(c, t, [StatementsEvent(record.SessionId, [intent])]);
            return true;
        }, cancellationToken);
    }

    private void Enqueue(Item item)
    {
        if (!_queue.Writer.TryWrite(item))
        {
            // Full: the store is behind. Block this session rather than lose the record.
            _queue.Writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Item>(MaxBatch);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(BatchWindow, stoppingToken); // let a batch gather
                while (batch.Count < MaxBatch && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                await WriteWithRetryAsync(batch, stoppingToken);
                foreach (var flush in batch.Where(i => i.Kind == Kind.Flush))
                {
                    flush.Flushed!.TrySetResult();
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is left is written below.
        }

        while (reader.TryRead(out var item))
        {
            batch.Add(item);
        }

        if (batch.Count > 0)
        {
            await WriteWithRetryAsync(batch, CancellationToken.None);
        }
    }

    /// <summary>Completes once everything enqueued before the call is committed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Item(Kind.Flush, "", Flushed: done));
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Retries until the store takes the batch: while the gateway runs, a store outage only delays
    /// the records (sessions wait once the queue is full). Giving up would lose them and, as the
    /// exception ends this service, stop the host. On shutdown (no token) it tries ten times.
    /// </summary>
    private async Task WriteWithRetryAsync(List<Item> batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch, cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && (cancellationToken.CanBeCanceled || attempt < 10))
            {
                Log.WriteFailed(logger, batch.Count, attempt, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * attempt, 5000)), cancellationToken);
            }
        }
    }

    private async Task WriteAsync(List<Item> batch, CancellationToken cancellationToken)
    {
        await database.InTransactionAsync(async (c, t) =>
        {
            var starts = batch.Where(i => i.Kind == Kind.Start).Select(i => i.Session!).ToList();
            if (starts.Count > 0)
            {
                await c.ExecuteAsync(
                    "INSERT INTO sessions (id, user_email, connection, grant_id, client_addr, application, started_at, statements) " +
                    "VALUES (@Id, @User, @Connection, @GrantId, @ClientAddress, @Application, @StartedAt, 0) ON CONFLICT (id) DO NOTHING",
                    starts.Select(s => new { s.Id, s.User, s.Connection, s.GrantId, s.ClientAddress, s.Application, StartedAt = s.StartedAt.ToUnixMs() }),
                    t);
            }

            var newEvents = new List<NewEvent>();
            newEvents.AddRange(starts.Select(s => new NewEvent(
                EventTypes.SessionStarted, s.StartedAt, StoreJson.Serialize(s), s.User, s.Connection, s.GrantId, s.Id)));

            var statements = batch.Where(i => i.Kind == Kind.Statement).GroupBy(i => i.SessionId).ToList();
            foreach (var session in statements)
            {
                var records = session.Select(i => i.Statement!).ToList();
                newEvents.Add(StatementsEvent(session.Key, records));
                await c.ExecuteAsync(
                    "UPDATE sessions SET statements = statements + @count WHERE id = @id",
                    new { count = (long)records.Count, id = session.Key }, t);
            }

            foreach (var end in batch.Where(i => i.Kind == Kind.End))
            {
                await c.ExecuteAsync(
                    "UPDATE sessions SET ended_at = @at, end_reason = @reason WHERE id = @id",
                    new { at = end.At.ToUnixMs(), reason = end.Reason, id = end.SessionId }, t);
                newEvents.Add(new NewEvent(
                    EventTypes.SessionEnded, end.At, StoreJson.Serialize(new { sessionId = end.SessionId, reason = end.Reason }),
                    SessionId: end.SessionId));
            }

            await events.AppendAsync(c, t, newEvents);
            return true;
        }, cancellationToken);
        GatewayMetrics.RecordedStatements.Inc(batch.Count(i => i.Kind == Kind.Statement));
    }

    private NewEvent StatementsEvent(string sessionId, IReadOnlyList<StatementRecord> records) =>
        new(EventTypes.SessionStatements, time.GetUtcNow(), StoreJson.Serialize(new StatementsData(records)), SessionId: sessionId);

    internal sealed record StatementsData(IReadOnlyList<StatementRecord> Statements);

    private enum Kind
    {
        Start,
        Statement,
        End,
        Flush,
    }

    private sealed record Item(
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
    }
}
