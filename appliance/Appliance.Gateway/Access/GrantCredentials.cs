using Appliance.Gateway.Configuration;
using Appliance.Gateway.Hosting;
using Appliance.Gateway.Identity;
using Appliance.Policy.Access;
using Microsoft.Extensions.Options;

namespace Appliance.Gateway.Access;

/// <summary>
/// <c>POST /api/grants/{id}/credentials</c>: a password that works only for this grant, on this
/// connection, for this person, and dies with the grant (the PostgreSQL listener checks the grant,
/// not just the token).
/// </summary>
internal static class GrantCredentials
{
    internal sealed record Credentials(string Host, int Port, string User, string Database, string Password, DateTimeOffset? ExpiresAt, string Uri);

    public static async Task<IResult> IssueAsync(
        HttpContext context, string id, AccessService access, TokenStore tokens, IPolicyProvider policy, IOptions<GatewayOptions> options,
        Postgres.Listener.PostgresListenerInfo listener, TimeProvider time, Events.EventLog events)
    {
        var caller = context.GetCaller();
        var grant = Ids.LooksLikeRequestId(id) ? await access.GetAsync(id, context.RequestAborted) : null;
        if (grant is null || !access.CanSee(caller.Person, grant))
        {
            return Problems.From(AccessRule.NotFound, $"There is no grant {id}.");
        }

        if (!string.Equals(grant.Requester, caller.Email, StringComparison.OrdinalIgnoreCase))
        {
            return Problems.From(AccessRule.Forbidden, $"Only {grant.Requester} can get credentials for grant {id}.");
        }

        if (grant.Kind != RequestKind.Access || !grant.IsActiveAt(time.GetUtcNow()))
        {
            return Problems.From(AccessRule.InvalidState, $"Grant {id} is {grant.Status.ToString().ToLowerInvariant()}: credentials exist only for an active grant.");
        }

        // Recorded as a personal token is (probe ED5: minted with no event, so no trace of how many there were).
        var (_, password) = await tokens.CreateAsync(
            TokenKind.Grant, grant.Requester, $"grant {grant.Id}", grant.Id, null, caller.Actor, events, context.RequestAborted);
        var gateway = policy.Current.Gateway;
        // The policy's public port, else the environment's (compose: the port published on the host, probe BB);
        // else the port the listener is bound to (port 0 means the OS chose).
        var port = gateway.PublicPort ?? options.Value.PgPublicPort ?? (options.Value.PgPort == 0 ? listener.Bound?.Port ?? 0 : options.Value.PgPort);
        var sslmode = gateway.AllowLoopbackPlaintext ? "prefer" : "require";
        var uri = $"postgresql://{Uri.EscapeDataString(grant.Requester)}:{Uri.EscapeDataString(password)}@{gateway.PublicHost}:{port}/{Uri.EscapeDataString(grant.Connection)}?sslmode={sslmode}";
        return TypedResults.Created(
            $"/api/grants/{grant.Id}",
            new Credentials(gateway.PublicHost, port, grant.Requester, grant.Connection, password, grant.ExpiresAt, uri));
    }
}
