using System.Data.Common;
using System.Text.Json;
using Appliance.Gateway.Events;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Audit;

/// <summary>
/// The <c>sessions</c> table is the index session search reads; the chained <c>session.*</c>
/// events are the truth. While the verifier walks the chain this collects what each session's
/// row must say, then compares the rows: a row deleted, re-attributed, given another statement
/// count or end, or one the chain never had, is reported (probe AX: search showed a rewritten
/// row while the chain verified).
/// </summary>
internal sealed class SessionIndexCheck
{
    private readonly Dictionary<string, Expected> _sessions = new(StringComparer.Ordinal);

    public void Add(StoredEvent e)
    {
        switch (e.Type)
        {
            case EventTypes.SessionStarted:
                var started = JsonSerializer.Deserialize<SessionInfo>(e.Data, StoreJson.Options)!;
                var expected = Get(started.Id, e.Seq);
                expected.Start = new Row(started.User, started.Connection, started.GrantId, started.ClientAddress, started.Application, started.StartedAt.ToUnixMs());
                break;
            case EventTypes.SessionEnded:
                using (var ended = JsonDocument.Parse(e.Data))
                {
                    var end = Get(ended.RootElement.GetProperty("sessionId").GetString()!, e.Seq);
                    end.EndedAt = e.OccurredAt;
                    end.EndReason = ended.RootElement.TryGetProperty("reason", out var reason) ? reason.GetString() : null;
                }

                break;
            case EventTypes.SessionApplication:
                using (var named = JsonDocument.Parse(e.Data))
                {
                    var session = Get(named.RootElement.GetProperty("sessionId").GetString()!, e.Seq);
                    session.Application = named.RootElement.GetProperty("application").GetString();
                    session.Renamed = true;
                }

                break;
            case EventTypes.SessionStatements:
                using (var statements = JsonDocument.Parse(e.Data))
                {
                    foreach (var statement in statements.RootElement.GetProperty("statements").EnumerateArray())
                    {
                        // A strict session's intent ("forwarded") is followed by the statement's own record, which is the one counted.
                        if (statement.GetProperty("outcome").GetString() != StatementRecord.Forwarded)
                        {
                            Get(statement.GetProperty("sessionId").GetString()!, e.Seq).Statements++;
                        }
                    }
                }

                break;
        }
    }

    /// <summary>The first disagreement between the index and the chain, or null.</summary>
    public async Task<(long? Seq, string Problem)?> CompareAsync(DbConnection connection, DbTransaction transaction)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rows = await connection.QueryAsync<SessionsApi.SessionRow>(
            "SELECT id, user_email, connection, grant_id, client_addr, application, started_at, ended_at, end_reason, statements FROM sessions",
            transaction: transaction);
        foreach (var row in rows)
        {
            seen.Add(row.Id);
            if (!_sessions.TryGetValue(row.Id, out var expected) || expected.Start is null)
            {
                return (null, $"session {row.Id} is in the session index but the chain never started it");
            }

            var actual = new Row(row.UserEmail, row.Connection, row.GrantId, row.ClientAddr, row.Application, row.StartedAt);
            var chained = expected.Renamed ? expected.Start with { Application = expected.Application } : expected.Start;
            if (actual != chained)
            {
                return (expected.FirstSeq, $"session {row.Id}'s index row is not what the chain recorded in event {expected.FirstSeq}: {Differences(actual, chained)}");
            }

            if (row.EndedAt != expected.EndedAt || row.EndReason != expected.EndReason)
            {
                return (expected.FirstSeq, $"session {row.Id}'s end in the index is not the one the chain recorded: " + Describe(
                    [("end", Time(row.EndedAt), Time(expected.EndedAt)), ("end reason", row.EndReason, expected.EndReason)]));
            }

            if (row.Statements != expected.Statements)
            {
                return (expected.FirstSeq, $"session {row.Id}'s index counts {row.Statements} statements, the chain holds {expected.Statements}");
            }
        }

        foreach (var (id, expected) in _sessions)
        {
            if (expected.Start is not null && !seen.Contains(id))
            {
                return (expected.FirstSeq, $"session {id} (started in event {expected.FirstSeq}) is missing from the session index");
            }
        }

        return null;
    }

    private Expected Get(string id, long seq)
    {
        if (!_sessions.TryGetValue(id, out var expected))
        {
            _sessions[id] = expected = new Expected(seq);
        }

        return expected;
    }

    /// <summary>Each field that differs, as the row has it and as the chain does.</summary>
    private static string Differences(Row row, Row chained)
    {
        var fields = new (string Name, object? Row, object? Chained)[]
        {
            ("user", row.User, chained.User), ("connection", row.Connection, chained.Connection), ("grant", row.GrantId, chained.GrantId),
            ("client address", row.ClientAddress, chained.ClientAddress), ("application", row.Application, chained.Application),
            ("start", Time(row.StartedAt), Time(chained.StartedAt)),
        };
        return Describe(fields);
    }

    private static string Describe((string Name, object? Row, object? Chained)[] fields) =>
        string.Join("; ", fields.Where(f => !Equals(f.Row, f.Chained)).Select(f => $"{f.Name} {f.Row ?? "none"} (chain: {f.Chained ?? "none"})"));

    /// <summary>As the API writes times (ISO 8601, UTC), not in the host's culture (probe UC4: 11/26/2026 13:00:21).</summary>
    private static string? Time(long? unixMs) =>
        unixMs is { } ms ? StoreJson.FromUnixMs(ms).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture) : null;

    private sealed record Row(string User, string Connection, string? GrantId, string? ClientAddress, string? Application, long StartedAt);

    private sealed class Expected(long firstSeq)
    {
        public long FirstSeq { get; } = firstSeq;

        public Row? Start { get; set; }

        public long? EndedAt { get; set; }

        public string? EndReason { get; set; }

        public long Statements { get; set; }

        /// <summary>A <c>session.application</c> event named the session's application after its start.</summary>
        public bool Renamed { get; set; }

        public string? Application { get; set; }
    }
}
