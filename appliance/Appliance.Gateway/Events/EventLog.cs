using System.Data.Common;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Events;

/// <summary>
/// Appends events to the hash chain inside the caller's transaction, together with one delivery
/// row per subscribed webhook: the state change, its audit record and its outbox entry commit
/// or roll back as one.
/// </summary>
internal sealed class EventLog(StoreDatabase database, IWebhookTargets targets)
{
    // Serializes appends across gateway processes on PostgreSQL ("EVNT"). SQLite's
    // BEGIN IMMEDIATE already gives the writer the whole database.
    private const long ChainLockKey = 0x45564E54;

    public async Task<IReadOnlyList<StoredEvent>> AppendAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<NewEvent> events)
    {
        if (events.Count == 0)
        {
            return [];
        }

        if (database.Dialect == StoreDialect.Postgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = ChainLockKey }, transaction);
        }

        var head = await connection.QuerySingleOrDefaultAsync<(long Seq, string Hash)?>(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", transaction: transaction);
        var seq = head?.Seq ?? 0;
        var prev = head?.Hash ?? EventChain.Genesis;

        var stored = new List<StoredEvent>(events.Count);
        foreach (var e in events)
        {
            var row = new StoredEvent
            {
                Seq = ++seq,
                Id = e.Id,
                Type = e.Type,
                OccurredAt = e.OccurredAt.ToUnixMs(),
                Actor = e.Actor,
                Connection = e.Connection,
                RequestId = e.RequestId,
                SessionId = e.SessionId,
                Data = e.DataJson,
                PrevHash = prev,
            };
            row.Hash = EventChain.Hash(row);
            prev = row.Hash;
            stored.Add(row);
        }

        await connection.ExecuteAsync(
            "INSERT INTO events (seq, id, type, occurred_at, actor, connection, request_id, session_id, data, prev_hash, hash) " +
            "VALUES (@Seq, @Id, @Type, @OccurredAt, @Actor, @Connection, @RequestId, @SessionId, @Data, @PrevHash, @Hash)",
            stored, transaction);

        var deliveries = stored
            .SelectMany(e => targets.For(e.Type).Select(target => new
            {
                EventId = e.Id,
                EventSeq = e.Seq,
                Target = target,
                NextAttemptAt = e.OccurredAt,
            }))
            .ToList();
        if (deliveries.Count > 0)
        {
            await connection.ExecuteAsync(
                "INSERT INTO deliveries (event_id, event_seq, target, status, attempts, next_attempt_at) " +
                "VALUES (@EventId, @EventSeq, @Target, 'pending', 0, @NextAttemptAt)",
                deliveries, transaction);
        }

        return stored;
    }

    /// <summary>Appends in a transaction of its own (events that change no other row).</summary>
    public Task<IReadOnlyList<StoredEvent>> AppendAsync(IReadOnlyList<NewEvent> events, CancellationToken cancellationToken = default) =>
        database.InTransactionAsync((c, t) => AppendAsync(c, t, events), cancellationToken);
}
