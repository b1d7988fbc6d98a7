using Appliance.Gateway.Store;
using Appliance.Gateway.Hosting;
using Appliance.Gateway.Identity;
using Appliance.Policy.Access;

namespace Appliance.Gateway.Access;

/// <summary>Requests and grants over HTTP (docs/api.md).</summary>
internal static class AccessApi
{
    internal sealed record CreateBody(string? Connection, string? Duration, string? Reason);

    internal sealed record DecisionBody(string? Comment, string? Reason, string? Duration);

    public static RouteGroupBuilder MapAccessApi(this RouteGroupBuilder api)
    {
        api.MapPost("/requests", CreateAsync);
        api.MapGet("/requests", ListAsync);
        api.MapGet("/requests/{id}", GetAsync);
        api.MapGet("/requests/{id}/events", EventsAsync);
        api.MapPost("/requests/{id}/approve", (HttpContext c, string id, AccessService s) =>
            DecideAsync(c, id, (p, b, actor, ct) => s.ApproveAsync(p, id, b?.Comment, actor, ct)));
        api.MapPost("/requests/{id}/deny", (HttpContext c, string id, AccessService s) =>
            DecideAsync(c, id, (p, b, actor, ct) => s.DenyAsync(p, id, b?.Reason ?? b?.Comment, actor, ct)));
        api.MapPost("/requests/{id}/cancel", (HttpContext c, string id, AccessService s) =>
            DecideAsync(c, id, (p, _, actor, ct) => s.CancelAsync(p, id, actor, ct)));
        api.MapPost("/requests/{id}/revoke", (HttpContext c, string id, AccessService s) =>
            DecideAsync(c, id, (p, b, actor, ct) => s.RevokeAsync(p, id, b?.Reason ?? b?.Comment, actor, ct)));
        api.MapPost("/requests/{id}/extend", (HttpContext c, string id, AccessService s) =>
            DecideAsync(c, id, (p, b, actor, ct) => s.ExtendAsync(p, id, b?.Duration, b?.Reason, actor, ct)));
        api.MapGet("/grants", ListGrantsAsync);
        api.MapPost("/grants/{id}/credentials", GrantCredentials.IssueAsync);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, AccessService access)
    {
        var (body, error) = await RequestBody.ReadAsync<CreateBody>(context.Request);
        if (error is not null)
        {
            return error;
        }

        if (string.IsNullOrWhiteSpace(body?.Connection))
        {
            return Problems.Result(400, "connection-required", "Connection required", "Name the connection: {\"connection\": \"demo\", \"duration\": \"1h\", \"reason\": \"…\"}.");
        }

        var caller = context.GetCaller();
        var result = await access.CreateAsync(caller.Person, body.Connection.Trim(), body.Duration, body.Reason, caller.Actor, context.RequestAborted);
        return result.Allowed
            ? TypedResults.Created($"/api/requests/{result.Value.Id}", RequestView.From(result.Value))
            : Problems.From(result.Rule, result.Message!);
    }

    private static async Task<IResult> ListAsync(
        HttpContext context, AccessService access, string? status, string? connection, string? user, string? kind, int? limit)
    {
        if (!TryParseFilter(status, kind, out var statuses, out var parsedKind, out var error))
        {
            return error!;
        }

        return await List(context, access, new RequestFilter
        {
            Statuses = statuses,
            Connection = connection,
            Requester = user,
            Kind = parsedKind,
            Limit = Math.Clamp(limit ?? 200, 1, 1000),
        });
    }

    private static async Task<IResult> ListGrantsAsync(HttpContext context, AccessService access, string? status, string? user, int? limit)
    {
        if (!TryParseFilter(status ?? "active", null, out var statuses, out _, out var error))
        {
            return error!;
        }

        return await List(context, access, new RequestFilter
        {
            Statuses = statuses,
            Requester = user,
            Kind = RequestKind.Access,
            Limit = Math.Clamp(limit ?? 200, 1, 1000),
        });
    }

    private static async Task<IResult> List(HttpContext context, AccessService access, RequestFilter filter)
    {
        var person = context.GetCaller().Person;
        var found = await access.ListAsync(filter, context.RequestAborted);
        return TypedResults.Ok(found.Where(r => access.CanSee(person, r)).Select(RequestView.From).ToList());
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, AccessService access)
    {
        var request = Ids.LooksLikeRequestId(id) ? await access.GetAsync(id, context.RequestAborted) : null;
        if (request is null || !access.CanSee(context.GetCaller().Person, request))
        {
            return Problems.From(AccessRule.NotFound, $"There is no request {id}.");
        }

        return TypedResults.Ok(RequestView.From(request));
    }

    /// <summary>
    /// A request's history from the audit chain, oldest first: who asked, approved, denied,
    /// extended, revoked, and (for a command review) whether the statement ran. Whoever may see the
    /// request may see its history; the sessions run under a grant are not part of it (they are
    /// for the session's person, admins and auditors: GET /api/sessions).
    /// </summary>
    private static async Task<IResult> EventsAsync(HttpContext context, string id, AccessService access, StoreDatabase database)
    {
        var request = Ids.LooksLikeRequestId(id) ? await access.GetAsync(id, context.RequestAborted) : null;
        if (request is null || !access.CanSee(context.GetCaller().Person, request))
        {
            return Problems.From(AccessRule.NotFound, $"There is no request {id}.");
        }

        await using var db = await database.OpenAsync(context.RequestAborted);
        var stored = await Dapper.SqlMapper.QueryAsync<Events.StoredEvent>(
            db,
            "SELECT seq, id, type, occurred_at, actor, data FROM events WHERE request_id = @id "
            + "AND (type LIKE 'request.%' OR type LIKE 'grant.%' OR type LIKE 'command.%') ORDER BY seq",
            new { id });
        return TypedResults.Ok(stored.Select(e =>
        {
            using var data = System.Text.Json.JsonDocument.Parse(e.Data);
            return new RequestEventView(e.Seq, e.Type, StoreJson.FromUnixMs(e.OccurredAt), e.Actor, data.RootElement.Clone());
        }).ToList());
    }

    internal sealed record RequestEventView(long Seq, string Type, DateTimeOffset? OccurredAt, string? Actor, System.Text.Json.JsonElement Data);

    private static async Task<IResult> DecideAsync(
        HttpContext context,
        string id,
        Func<Person, DecisionBody?, string, CancellationToken, Task<AccessDecision<AccessRequest>>> decide)
    {
        if (!Ids.LooksLikeRequestId(id))
        {
            return Problems.From(AccessRule.NotFound, $"There is no request {id}.");
        }

        var (body, error) = await RequestBody.ReadAsync<DecisionBody>(context.Request);
        if (error is not null)
        {
            return error;
        }

        var caller = context.GetCaller();
        var result = await decide(caller.Person, body, caller.Actor, context.RequestAborted);
        return result.Allowed ? TypedResults.Ok(RequestView.From(result.Value)) : Problems.From(result.Rule, result.Message!);
    }

    private static bool TryParseFilter(
        string? status, string? kind, out IReadOnlyList<RequestStatus>? statuses, out RequestKind? parsedKind, out IResult? error)
    {
        statuses = null;
        parsedKind = null;
        error = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            var list = new List<RequestStatus>();
            foreach (var part in status.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<RequestStatus>(part, ignoreCase: true, out var s) || int.TryParse(part, out _))
                {
                    error = Problems.Result(400, "bad-filter", "Unknown status",
                        $"'{part}' is not a status: use pending, active, denied, cancelled, expired or revoked.");
                    return false;
                }

                list.Add(s);
            }

            statuses = list;
        }

        if (!string.IsNullOrWhiteSpace(kind))
        {
            if (!Enum.TryParse<RequestKind>(kind, ignoreCase: true, out var k) || int.TryParse(kind, out _))
            {
                error = Problems.Result(400, "bad-filter", "Unknown kind", $"'{kind}' is not a kind: use access or command.");
                return false;
            }

            parsedKind = k;
        }

        return true;
    }
}
