using Appliance.Gateway.Events;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Audit;

/// <summary>The writer's side: a batch turned into rows and chained events, committed in one transaction.</summary>
internal sealed partial class SessionRecorder
{
    /// <summary>A batch's statements by session, in the order sessions first appear. Writer thread only.</summary>
    private readonly Dictionary<string, List<StatementRecord>> _bySession = new(StringComparer.Ordinal);

    private readonly List<string> _sessionOrder = [];

    /// <summary>What one batch writes, built once (JSON, event ids) and committed until the store takes it.</summary>
    private sealed record PreparedBatch(
        List<SessionInfo> Starts, List<NewEvent> Events, List<StatementCount> Counts, List<SessionEnd> Ends, List<SessionApplication> Applications, int Statements);

    private sealed record StatementCount(string Id, long Count);

    private sealed record SessionEnd(string Id, long At, string? Reason, bool Claimed);

    private sealed record SessionApplication(string Id, string? Application);

    private PreparedBatch Prepare(List<Item> batch, StatementsJson json)
    {
        var starts = new List<SessionInfo>();
        var ends = new List<SessionEnd>();
        var newEvents = new List<NewEvent>();
        var applications = new List<SessionApplication>();
        var statements = 0;
        foreach (var item in batch)
        {
            switch (item.Kind)
            {
                case Kind.Start:
                    starts.Add(item.Session!);
                    newEvents.Add(StartedEvent(item.Session!));
                    break;
                case Kind.Statement:
                    if (!_bySession.TryGetValue(item.SessionId, out var records))
                    {
                        _bySession[item.SessionId] = records = [];
                        _sessionOrder.Add(item.SessionId);
                    }

                    records.Add(item.Statement!);
                    statements++;
                    break;
                case Kind.Application:
                    applications.Add(new SessionApplication(item.SessionId, item.Reason));
                    newEvents.Add(new NewEvent(
                        EventTypes.SessionApplication, item.At, StoreJson.Serialize(new { sessionId = item.SessionId, application = item.Reason }),
                        SessionId: item.SessionId));
                    break;
                case Kind.End or Kind.ClaimedEnd:
                    ends.Add(new SessionEnd(item.SessionId, item.At.ToUnixMs(), item.Reason, item.Kind == Kind.ClaimedEnd));
                    break;
            }
        }

        var counts = new List<StatementCount>(_sessionOrder.Count);
        foreach (var sessionId in _sessionOrder)
        {
            var records = _bySession[sessionId];
            counts.Add(new StatementCount(sessionId, records.Count));
            AddStatementEvents(newEvents, sessionId, records, json);
        }

        _bySession.Clear();
        _sessionOrder.Clear();
        foreach (var end in ends)
        {
            newEvents.Add(new NewEvent(
                EventTypes.SessionEnded, StoreJson.FromUnixMs(end.At), StoreJson.Serialize(new { sessionId = end.Id, reason = end.Reason }),
                SessionId: end.Id));
        }

        return new PreparedBatch(starts, newEvents, counts, ends, applications, statements);
    }

    /// <summary>One event per <see cref="MaxStatementsPerEvent"/> statements or <see cref="MaxEventBytes"/> of JSON, whichever comes first.</summary>
    private void AddStatementEvents(List<NewEvent> newEvents, string sessionId, List<StatementRecord> records, StatementsJson json)
    {
        json.Begin();
        foreach (var record in records)
        {
            json.Add(record);
            if (json.Count >= MaxStatementsPerEvent || json.Length >= MaxEventBytes)
            {
                newEvents.Add(new NewEvent(EventTypes.SessionStatements, time.GetUtcNow(), json.End(), SessionId: sessionId));
                json.Begin();
            }
        }

        if (json.Count > 0)
        {
            newEvents.Add(new NewEvent(EventTypes.SessionStatements, time.GetUtcNow(), json.End(), SessionId: sessionId));
        }
    }

    /// <summary>
    /// On this writer's own thread: with the embedded store every call completes synchronously, so
    /// blocking costs nothing; with PostgreSQL it blocks only this thread.
    /// </summary>
    private void Commit(PreparedBatch batch) =>
        database.InTransactionAsync(async (c, t) =>
        {
            if (batch.Starts.Count > 0)
            {
                await InsertStartsAsync(c, t, batch.Starts);
            }

            if (batch.Counts.Count > 0)
            {
                await c.ExecuteAsync("UPDATE sessions SET statements = statements + @Count WHERE id = @Id", batch.Counts, t);
            }

            // In the batch's order: the last a session named is its application.
            foreach (var application in batch.Applications)
            {
                await c.ExecuteAsync("UPDATE sessions SET application = @Application WHERE id = @Id", application, t);
            }

            var toAppend = batch.Events;
            if (batch.Ends.Count > 0)
            {
                // A session is ended once: another gateway may have ended it in the record already
                // (it took this one for dead while it was paused), and then neither its end nor its
                // reason is written again (probe TA1: a second session.ended moved the end 13 s later).
                var endedBefore = new HashSet<string>(StringComparer.Ordinal);
                foreach (var end in batch.Ends)
                {
                    var sql = end.Claimed
                        ? "UPDATE sessions SET ended_at = @At, end_reason = @Reason WHERE id = @Id"
                        : "UPDATE sessions SET ended_at = @At, end_reason = @Reason WHERE id = @Id AND ended_at IS NULL";
                    if (await c.ExecuteAsync(sql, end, t) == 0)
                    {
                        endedBefore.Add(end.Id);
                    }
                }

                if (endedBefore.Count > 0)
                {
                    toAppend = [.. toAppend.Where(e => e.Type != EventTypes.SessionEnded || !endedBefore.Contains(e.SessionId!))];
                }
            }

            await events.AppendAsync(c, t, toAppend);
            return true;
        }).GetAwaiter().GetResult();

    private static NewEvent StartedEvent(SessionInfo session) => new(
        EventTypes.SessionStarted, session.StartedAt, StoreJson.Serialize(session), session.User, session.Connection, session.GrantId, session.Id);

    private Task InsertStartsAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, IEnumerable<SessionInfo> starts) =>
        connection.ExecuteAsync(
            "INSERT INTO sessions (id, user_email, connection, grant_id, client_addr, application, started_at, statements, node) " +
            "VALUES (@Id, @User, @Connection, @GrantId, @ClientAddress, @Application, @StartedAt, 0, @Node) ON CONFLICT (id) DO NOTHING",
            starts.Select(s => new { s.Id, s.User, s.Connection, s.GrantId, s.ClientAddress, s.Application, StartedAt = s.StartedAt.ToUnixMs(), Node = node.Id }),
            transaction);
}
