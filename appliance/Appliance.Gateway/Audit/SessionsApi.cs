using System.Text.Json;
using Appliance.Gateway.Events;
using Appliance.Gateway.Hosting;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Audit;

/// <summary>Search sessions and replay what happened in one, statement by statement.</summary>
internal static class SessionsApi
{
    internal sealed record SessionView(
        string Id, string User, string Connection, string? GrantId, string? ClientAddress, string? Application,
        DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? EndReason, long Statements);

    /// <summary>One entry of a session's replay: a statement, a guardrail verdict, the start or the end. <c>Seq</c> is the chained event's that holds it.</summary>
    internal sealed record SessionEventView(long Seq, string Type, DateTimeOffset OccurredAt, JsonElement Data);

    private static readonly HashSet<string> Filters = new(StringComparer.OrdinalIgnoreCase) { "user", "connection", "from", "to", "text", "limit" };

    public static RouteGroupBuilder MapSessionsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/sessions", ListAsync);
        api.MapGet("/sessions/{id}/events", EventsAsync);
        return api;
    }

    private static async Task<IResult> ListAsync(
        HttpContext context, StoreDatabase database, string? user, string? connection, DateTimeOffset? from, DateTimeOffset? to, string? text, int? limit)
    {
        if (context.Request.Query.Keys.FirstOrDefault(k => !Filters.Contains(k)) is { } unknown)
        {
            // Ignored, it returned every session, which read as a filtered list (probe UC3).
            return Problems.Result(400, "bad-request", "Unknown filter", $"{unknown}= is not a filter of sessions; they are {string.Join(", ", Filters.Order(StringComparer.Ordinal))}.");
        }

        if (context.Request.Query.FirstOrDefault(q => q.Value.Count > 1) is { Key: { } repeated })
        {
            // Bound as one value joined with commas ("wb,w"), it matched nothing, which read as "no sessions" (probe ZC1).
            return Problems.Result(400, "bad-request", "Repeated filter", $"{repeated}= is given more than once; give each filter once.");
        }

        if ((user is { } u && string.IsNullOrWhiteSpace(u)) || (connection is { } c && string.IsNullOrWhiteSpace(c)) || (text is { } t && string.IsNullOrWhiteSpace(t)))
        {
            // An empty filter matched nothing, which read as "no sessions" (probe AF).
            return Problems.Result(400, "bad-request", "Empty filter", "user=, connection= and text= need a value, or leave them out.");
        }

        if (from > to)
        {
            return Problems.Result(400, "bad-request", "Empty window", "from= is after to=: no session can be live in that window.");
        }

        var caller = context.GetCaller().Person;
        if (!caller.CanAudit)
        {
            if (user is not null && !string.Equals(user, caller.Email, StringComparison.OrdinalIgnoreCase))
            {
                return Problems.Result(403, "auditor-required", "Auditor required", "Only admins and auditors can see other people's sessions.");
            }

            user = caller.Email;
        }

        var where = new List<string>();
        var parameters = new DynamicParameters();
        if (user is not null)
        {
            where.Add("lower(user_email) = lower(@user)");
            parameters.Add("user", user);
        }

        if (connection is not null)
        {
            where.Add("connection = @connection");
            parameters.Add("connection", connection);
        }

        // A session is in the window if it was live during it: started before its end and not
        // ended before its start (probe AX: one that started earlier and ran on was not found).
        if (from is not null)
        {
            where.Add("(ended_at IS NULL OR ended_at >= @from)");
            parameters.Add("from", from.Value.ToUnixMs());
        }

        if (to is not null)
        {
            where.Add("started_at <= @to");
            parameters.Add("to", to.Value.ToUnixMs());
        }

        if (text is not null)
        {
            // The sessions one of whose recorded statements holds the text, in any case, as the record
            // keeps it: masked, so a value is not found by what it was (probe DY5: no text search).
            where.Add("id IN (SELECT session_id FROM events WHERE session_id IS NOT NULL AND type = @statements AND lower(data) LIKE @text ESCAPE '!')");
            parameters.Add("statements", EventTypes.SessionStatements);
            parameters.Add("text", "%" + LikePattern(JsonText(text).ToLowerInvariant()) + "%");
        }

        parameters.Add("limit", (long)Math.Clamp(limit ?? 200, 1, 1000));
        await using var db = await database.OpenAsync(context.RequestAborted);
        var rows = await db.QueryAsync<SessionRow>(
            "SELECT id, user_email, connection, grant_id, client_addr, application, started_at, ended_at, end_reason, statements FROM sessions" +
            (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") +
            " ORDER BY started_at DESC LIMIT @limit",
            parameters);
        return TypedResults.Ok(rows.Select(r => r.ToView()).ToList());
    }

    /// <summary>The text as the statements' JSON holds it (quotes, backslashes and non-ASCII escaped as the record escapes them).</summary>
    private static string JsonText(string text)
    {
        var quoted = JsonSerializer.Serialize(text, StoreJson.Options);
        return quoted[1..^1];
    }

    /// <summary>LIKE's wildcards and its escape character, taken literally.</summary>
    private static string LikePattern(string text) =>
        text.Replace("!", "!!", StringComparison.Ordinal).Replace("%", "!%", StringComparison.Ordinal).Replace("_", "!_", StringComparison.Ordinal);

    private static async Task<IResult> EventsAsync(HttpContext context, string id, StoreDatabase database)
    {
        var caller = context.GetCaller().Person;
        await using var db = await database.OpenAsync(context.RequestAborted);
        var owner = await db.QuerySingleOrDefaultAsync<string>("SELECT user_email FROM sessions WHERE id = @id", new { id });
        if (owner is null || (!caller.CanAudit && !string.Equals(owner, caller.Email, StringComparison.OrdinalIgnoreCase)))
        {
            return Problems.Result(404, "not-found", "Not found", $"There is no session {id}.");
        }

        var stored = await db.QueryAsync<StoredEvent>(
            "SELECT seq, id, type, occurred_at, data FROM events WHERE session_id = @id ORDER BY seq", new { id });
        var replay = new List<SessionEventView>();
        foreach (var e in stored)
        {
            using var data = JsonDocument.Parse(e.Data);
            if (e.Type == EventTypes.SessionStatements)
            {
                // A batch event holds many statements: replay them one by one.
                foreach (var statement in data.RootElement.GetProperty("statements").EnumerateArray())
                {
                    replay.Add(new SessionEventView(e.Seq, "statement", statement.GetProperty("startedAt").GetDateTimeOffset(), statement.Clone()));
                }
            }
            else
            {
                replay.Add(new SessionEventView(e.Seq, e.Type, StoreJson.FromUnixMs(e.OccurredAt), data.RootElement.Clone()));
            }
        }

        // The chain holds records in the order they were written: a statement refused at once is
        // written before earlier ones of its batch whose answers came later. Replay in the order
        // things happened: by time; within one millisecond statements by their number, each
        // guardrail event right after its statement, the end last.
        return TypedResults.Ok(replay.OrderBy(v => v.OccurredAt).ThenBy(OrderWithinAMillisecond).ToList());
    }

    private static long OrderWithinAMillisecond(SessionEventView view) => view.Type switch
    {
        "statement" => 2 * view.Data.GetProperty("seq").GetInt64(),
        EventTypes.SessionEnded => long.MaxValue,
        _ when view.Data.TryGetProperty("statementSeq", out var seq) && seq.ValueKind == JsonValueKind.Number => (2 * seq.GetInt64()) + 1,
        _ => 0,
    };

    /// <summary>A row of the session index, as search and verify read it.</summary>
    internal sealed class SessionRow
    {
        public string Id { get; set; } = "";
        public string UserEmail { get; set; } = "";
        public string Connection { get; set; } = "";
        public string? GrantId { get; set; }
        public string? ClientAddr { get; set; }
        public string? Application { get; set; }
        public long StartedAt { get; set; }
        public long? EndedAt { get; set; }
        public string? EndReason { get; set; }
        public long Statements { get; set; }

        public SessionView ToView() => new(
            Id, UserEmail, Connection, GrantId, ClientAddr, Application,
            StoreJson.FromUnixMs(StartedAt), StoreJson.FromUnixMs(EndedAt), EndReason, Statements);
    }
}
