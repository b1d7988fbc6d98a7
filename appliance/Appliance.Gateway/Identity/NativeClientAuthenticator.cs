using Appliance.Gateway.Access;
using Appliance.Gateway.Configuration;
using Appliance.Gateway.Operations;
using Appliance.Gateway.Store;
using Appliance.Policy.Access;
using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Identity;

/// <summary>A native client let in: who, to which connection, under which grant, with which token (its session ends with it).</summary>
internal sealed record NativeAccess(Person Person, ConnectionPolicy Connection, AccessRequest Grant, string TokenId);

/// <summary>The answer to a native client's login: access, or the SQLSTATE and message of its FATAL.</summary>
internal sealed record NativeAuthResult(NativeAccess? Access, string? SqlState, string? Message)
{
    /// <summary>Refused unheard, its address or user locked out by earlier failures: the failures that led there are on record.</summary>
    public bool Throttled { get; init; }

    public static NativeAuthResult Refused(string sqlState, string message) => new(null, sqlState, message);
}

/// <summary>
/// Checks a native client (psql, DBeaver, a driver): user = the person's email, database = the
/// connection's name, password = a personal token or a grant credential; then the active grant.
/// A bad password gets PostgreSQL's own wording (28P01) and reveals nothing; a good password
/// without a grant gets 28000 with instructions, because the person is who they say they are.
/// </summary>
internal sealed class NativeClientAuthenticator(
    TokenStore tokens,
    PeopleDirectory people,
    RequestStore requests,
    StoreDatabase store,
    IPolicyProvider policy,
    AuthFailureLimiter limiter,
    TimeProvider time)
{
    public const string InvalidPassword = "28P01";
    public const string InvalidAuthorization = "28000";
    public const string InvalidCatalog = "3D000";

    public async Task<NativeAuthResult> AuthenticateAsync(
        string user, string database, string password, string clientAddress, CancellationToken cancellationToken)
    {
        if (limiter.RetryAfter(clientAddress, user) is { } wait)
        {
            GatewayMetrics.AuthFailures.WithLabels("postgres").Inc();
            return NativeAuthResult.Refused(InvalidPassword,
                $"too many failed login attempts; try again in {Math.Ceiling(wait.TotalSeconds)} s") with { Throttled = true };
        }

        var token = await tokens.ValidateAsync(password, cancellationToken);
        var person = token is not null && string.Equals(token.UserEmail, user, StringComparison.OrdinalIgnoreCase)
            ? await people.FindAsync(user, cancellationToken)
            : null;
        if (token is null || person is null)
        {
            limiter.RecordFailure(clientAddress, user);
            GatewayMetrics.AuthFailures.WithLabels("postgres").Inc();
            return NativeAuthResult.Refused(InvalidPassword, $"password authentication failed for user \"{user}\"");
        }

        var current = policy.Current;
        if (current.FindConnection(database) is not { } connection)
        {
            // Only the connections this person may ask for: the others are not theirs to learn of.
            var theirs = current.Connections.Where(c => AccessRules.CanRequest(person.Groups, c)).Select(c => c.Name).ToList();
            return NativeAuthResult.Refused(InvalidCatalog, theirs.Count > 0
                ? $"there is no connection named \"{database}\"; you may request one of: {string.Join(", ", theirs)}"
                : $"there is no connection named \"{database}\", and {person.Email} may not request any; ask an admin of the appliance");
        }

        var grant = await FindGrantAsync(token, person, connection, cancellationToken);
        if (grant is null)
        {
            var ended = token.Kind == TokenKind.Grant ? await CredentialGrantMessageAsync(token, connection, cancellationToken) : null;
            return NativeAuthResult.Refused(InvalidAuthorization, ended ?? NoGrantMessage(person, connection));
        }

        // A grant row changed outside the gateway (made up, un-revoked, its expiry pushed out) grants
        // nothing: it must be what the audit chain last recorded (probe CF).
        if (!await ChainedState.MatchesAsync(store, requests, grant.Id, cancellationToken))
        {
            GatewayMetrics.AuthFailures.WithLabels("postgres").Inc();
            return NativeAuthResult.Refused(InvalidAuthorization,
                $"grant {grant.Id} as stored is not what the audit log recorded, so it grants nothing; ask an admin to check the store (GET /api/audit/verify)");
        }

        return new NativeAuthResult(new NativeAccess(person, connection, grant, token.Id), null, null);
    }

    /// <summary>How to get in: the request to make (with the connection's default duration), or that this person cannot make one.</summary>
    private static string NoGrantMessage(Person person, ConnectionPolicy connection)
    {
        if (!AccessRules.CanRequest(person.Groups, connection))
        {
            return $"{person.Email} has no grant for \"{connection.Name}\" and is not in a group that may request it " +
                $"({string.Join(", ", connection.Access.Requesters)}); " +
                "ask an admin of the appliance to add you to one of its requester groups";
        }

        var duration = Duration.Format(connection.Access.DefaultDuration);
        return $"{person.Email} has no active grant for \"{connection.Name}\". Request access in chat with " +
            $"{RequestCommand(connection)}, or with POST /api/requests " +
            $"{{\"connection\":\"{connection.Name}\",\"duration\":\"{duration}\",\"reason\":\"...\"}}, and connect again once it is approved.";
    }

    /// <summary>The chat command that asks for the connection, with its default duration and whether a reason is required.</summary>
    private static string RequestCommand(ConnectionPolicy connection) =>
        $"/hoop request {connection.Name} {Duration.Format(connection.Access.DefaultDuration)} " +
        (connection.Access.Reason == ReasonRequirement.Required ? "<reason>" : "[reason]");

    /// <summary>Why a grant credential no longer opens anything: its grant is for another connection, or ended.</summary>
    private async Task<string?> CredentialGrantMessageAsync(TokenInfo token, ConnectionPolicy connection, CancellationToken cancellationToken)
    {
        if (token.GrantId is null || await requests.GetAsync(token.GrantId, cancellationToken) is not { } grant)
        {
            return null;
        }

        if (grant.Connection != connection.Name)
        {
            return $"this credential is for grant {grant.Id} on \"{grant.Connection}\", not \"{connection.Name}\"";
        }

        var how = grant.Status switch
        {
            RequestStatus.Expired => $"expired at {(grant.ExpiresAt ?? grant.EndedAt)?.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC",
            RequestStatus.Revoked => "was revoked" + (grant.EndedBy is { } by ? $" by {by}" : ""),
            RequestStatus.Active => $"expired at {grant.ExpiresAt?.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC",
            _ => $"is {grant.Status.ToString().ToLowerInvariant()}",
        };
        return $"this credential is for grant {grant.Id}, which {how}; request access again with {RequestCommand(connection)} " +
            "(or POST /api/requests) and use the new grant's credential";
    }

    private async Task<AccessRequest?> FindGrantAsync(TokenInfo token, Person person, ConnectionPolicy connection, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (token.Kind == TokenKind.Grant)
        {
            // A grant credential opens only its own grant.
            var grant = token.GrantId is null ? null : await requests.GetAsync(token.GrantId, cancellationToken);
            return grant is not null && grant.Connection == connection.Name && grant.IsActiveAt(now) ? grant : null;
        }

        var active = await requests.ListAsync(new RequestFilter
        {
            Statuses = [RequestStatus.Active],
            Kind = RequestKind.Access,
            Requester = person.Email,
            Connection = connection.Name,
            Limit = 10,
        }, cancellationToken);
        return active.Where(g => g.IsActiveAt(now)).OrderByDescending(g => g.ExpiresAt).FirstOrDefault();
    }
}
