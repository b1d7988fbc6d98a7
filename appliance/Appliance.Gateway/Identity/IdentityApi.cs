using Appliance.Gateway.Access;
using Appliance.Gateway.Configuration;
using Appliance.Gateway.Events;
using Appliance.Gateway.Hosting;
using Appliance.Gateway.Store;
using Appliance.Policy.Access;
using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Identity;

/// <summary>Who am I, what can I reach, and personal access tokens.</summary>
internal static class IdentityApi
{
    internal sealed record CreateTokenBody(string? Name, string? ExpiresIn);

    internal sealed record CreatedToken(string Id, string User, string? Name, string Token, DateTimeOffset? ExpiresAt);

    internal sealed record TokenView(string Id, string? Name, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

    internal sealed record MeView(string Email, IReadOnlyList<string> Groups, IReadOnlyList<string> Roles, IReadOnlyList<string> Requestable, IReadOnlyList<string> Approves);

    internal sealed record ConnectionView(
        string Name, string Type, bool CanRequest, bool CanApprove, bool AutoApprove, string DefaultDuration, string MaxDuration,
        string Reason, int MinApprovals, IReadOnlyList<string> ApproverGroups, string? Channel);

    public static RouteGroupBuilder MapIdentityApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", Me);
        api.MapGet("/connections", Connections);
        api.MapPost("/users/{email}/tokens", CreateTokenAsync);
        api.MapGet("/users/{email}/tokens", ListTokensAsync);
        api.MapDelete("/tokens/{id}", RevokeTokenAsync);
        return api;
    }

    private static IResult Me(HttpContext context, IPolicyProvider policy)
    {
        var person = context.GetCaller().Person;
        var connections = policy.Current.Connections;
        var roles = new List<string>();
        if (person.IsAdmin)
        {
            roles.Add("admin");
        }

        if (person.IsAuditor)
        {
            roles.Add("auditor");
        }

        return TypedResults.Ok(new MeView(
            person.Email,
            person.Groups.Order(StringComparer.Ordinal).ToList(),
            roles,
            connections.Where(c => AccessRules.CanRequest(person.Groups, c)).Select(c => c.Name).ToList(),
            connections.Where(c => AccessRules.IsApprover(person.Groups, c)).Select(c => c.Name).ToList()));
    }

    private static IResult Connections(HttpContext context, IPolicyProvider policy)
    {
        var person = context.GetCaller().Person;
        return TypedResults.Ok(policy.Current.Connections.Select(c => new ConnectionView(
            c.Name,
            c.Type,
            AccessRules.CanRequest(person.Groups, c),
            AccessRules.IsApprover(person.Groups, c),
            AccessRules.IsAutoApproved(person.Groups, c),
            Duration.Format(c.Access.DefaultDuration),
            Duration.Format(c.Access.MaxDuration),
            c.Access.Reason.ToString().ToLowerInvariant(),
            c.Access.MinApprovals,
            c.Access.Approvers,
            c.Access.Channel)).ToList());
    }

    private static async Task<IResult> CreateTokenAsync(
        HttpContext context, string email, TokenStore tokens, PeopleDirectory people, IPolicyProvider policy, EventLog events, TimeProvider time)
    {
        var caller = context.GetCaller();
        if (!caller.Person.IsAdmin)
        {
            return Problems.Result(403, "admin-required", "Admin required", "Only an admin can create tokens for a user.");
        }

        var (body, error) = await RequestBody.ReadAsync<CreateTokenBody>(context.Request);
        if (error is not null)
        {
            return error;
        }

        var person = await people.FindAsync(email, context.RequestAborted);
        if (person is null && policy.Current.Identity.Oidc is null)
        {
            return Problems.From(AccessRule.UnknownUser, $"No appliance user has the email {email}: add it to the policy's users first.");
        }

        DateTimeOffset? expiresAt = null;
        if (!string.IsNullOrWhiteSpace(body?.ExpiresIn))
        {
            if (!Duration.TryParse(body.ExpiresIn, out var lifetime))
            {
                return Problems.From(AccessRule.BadDuration, $"'{body.ExpiresIn}' is not a duration: write it like 30d, 12h or 90m.");
            }

            expiresAt = time.GetUtcNow() + lifetime;
        }

        var owner = person?.Email ?? email.ToLowerInvariant();
        var (info, token) = await tokens.CreateAsync(TokenKind.Personal, owner, body?.Name, null, expiresAt, caller.Actor, events, context.RequestAborted);
        return TypedResults.Created($"/api/tokens/{info.Id}", new CreatedToken(info.Id, owner, info.Name, token, info.ExpiresAt));
    }

    private static async Task<IResult> ListTokensAsync(HttpContext context, string email, TokenStore tokens)
    {
        var caller = context.GetCaller();
        if (!caller.Person.IsAdmin && !string.Equals(caller.Email, email, StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Result(403, "forbidden", "Forbidden", "Only an admin or the user can list a user's tokens.");
        }

        var list = await tokens.ListAsync(email, context.RequestAborted);
        return TypedResults.Ok(list.Select(t => new TokenView(t.Id, t.Name, t.CreatedAt, t.ExpiresAt, t.RevokedAt)).ToList());
    }

    private static async Task<IResult> RevokeTokenAsync(HttpContext context, string id, TokenStore tokens, EventLog events, TimeProvider time)
    {
        var caller = context.GetCaller();
        var token = await tokens.GetAsync(id, context.RequestAborted);
        var mayRevoke = token is not null
            && (caller.Person.IsAdmin || string.Equals(token.UserEmail, caller.Email, StringComparison.OrdinalIgnoreCase));
        if (!mayRevoke)
        {
            return Problems.From(AccessRule.NotFound, $"There is no token {id}.");
        }

        if (await tokens.RevokeAsync(id, context.RequestAborted))
        {
            await events.AppendAsync(
                [new NewEvent(EventTypes.TokenRevoked, time.GetUtcNow(), StoreJson.Serialize(new { tokenId = id, user = token!.UserEmail }), caller.Actor)],
                context.RequestAborted);
        }

        return TypedResults.NoContent();
    }
}
