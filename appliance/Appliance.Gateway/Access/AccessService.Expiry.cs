using Appliance.Gateway.Events;
using Appliance.Gateway.Operations;
using Appliance.Gateway.Store;
using Appliance.Policy.Access;

namespace Appliance.Gateway.Access;

internal sealed partial class AccessService
{
    /// <summary>How long before expiry the requester is warned.</summary>
    public static readonly TimeSpan ExpiringWarning = TimeSpan.FromMinutes(5);

    /// <summary>
    /// When the requester is warned: five minutes before the grant ends, or halfway through a
    /// grant of ten minutes or less (counted from approval, extensions included), so a short
    /// grant is warned too without the warning arriving with the approval.
    /// </summary>
    public static DateTimeOffset WarnAt(AccessRequest grant)
    {
        var expiresAt = grant.ExpiresAt!.Value;
        var length = expiresAt - (grant.ActivatedAt ?? expiresAt);
        return expiresAt - (length < 2 * ExpiringWarning ? length / 2 : ExpiringWarning);
    }

    /// <summary>What became of a pending extension the change drops: said in the event, where it would otherwise vanish.</summary>
    private static string? PendingExtensionEnds(AccessRequest r, string what) =>
        r.Extension is { } pending
            ? $"the pending extension of {Appliance.Policy.Configuration.Duration.Format(pending.Duration)} asked by {pending.RequestedBy} {what}"
            : null;

    /// <summary>
    /// Ends the grant if it is due. Several gateway processes may call this for the same grant:
    /// the versioned update lets exactly one of them write <c>grant.expired</c>; the rest see the
    /// row already expired. Either way the caller gets the grant's final state to act on.
    /// </summary>
    public async Task<AccessRequest?> ExpireIfDueAsync(string id, CancellationToken cancellationToken)
    {
        var changedHere = false;
        var result = await MutateAsync(id, (r, now) =>
        {
            changedHere = false;
            if (r.Status == RequestStatus.Active && r.ExpiresAt <= now)
            {
                changedHere = true;
                GatewayMetrics.ExpiryLateness.Observe((now - r.ExpiresAt!.Value).TotalSeconds);
                Log.GrantExpired(logger, r.Id, r.Connection, (now - r.ExpiresAt!.Value).TotalMilliseconds);
                var type = r.Kind == RequestKind.Command ? EventTypes.RequestExpired : EventTypes.GrantExpired;
                return new Mutation(r with { Status = RequestStatus.Expired, EndedAt = now, EndReason = "expired", Extension = null }, [type], SystemActor,
                    Reason: PendingExtensionEnds(r, "lapsed with the grant"));
            }

            if (r.Status == RequestStatus.Pending && r.PendingUntil <= now)
            {
                changedHere = true;
                return new Mutation(r with { Status = RequestStatus.Expired, EndedAt = now, EndReason = "no decision in time" },
                    [EventTypes.RequestExpired], SystemActor);
            }

            return Mutation.Unchanged;
        }, cancellationToken);

        if (!result.Allowed)
        {
            return null;
        }

        // Another process ended it first: this process's listeners (its live sessions) still need to know.
        if (!changedHere && result.Value.Status is not (RequestStatus.Active or RequestStatus.Pending))
        {
            changes.Publish(result.Value);
        }

        return result.Value;
    }

    /// <summary>
    /// Announces that the grant ends in five minutes. The event id is derived from the grant and
    /// its expiry, so when several processes fire this warning the store keeps only one.
    /// </summary>
    public async Task<bool> WarnExpiringAsync(string id, CancellationToken cancellationToken)
    {
        var request = await requests.GetAsync(id, cancellationToken);
        var now = time.GetUtcNow();
        if (request is not { Status: RequestStatus.Active, Kind: RequestKind.Access, ExpiresAt: { } expiresAt } || expiresAt <= now)
        {
            return false;
        }

        var warning = RequestEvent(EventTypes.GrantExpiring, request, SystemActor, now) with
        {
            Id = $"evt_expiring_{request.Id}_{expiresAt.ToUnixMs()}",
        };
        try
        {
            await events.AppendAsync([warning], cancellationToken);
        }
        catch (Exception ex) when (IsUniqueViolation(ex))
        {
            return false;
        }

        AfterCommit(request, [EventTypes.GrantExpiring]);
        return true;
    }

    private static bool IsUniqueViolation(Exception ex) => ex switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        _ => false,
    };

    public Task<AccessRequest?> GetAsync(string id, CancellationToken cancellationToken) => requests.GetAsync(id, cancellationToken);

    public Task<IReadOnlyList<AccessRequest>> ListAsync(RequestFilter filter, CancellationToken cancellationToken) =>
        requests.ListAsync(filter, cancellationToken);

    /// <summary>The caller may see a request: theirs, one they may decide on, or any for admins, auditors and the chatops service.</summary>
    public bool CanSee(Identity.Person person, AccessRequest r) =>
        person.CanAudit
        || SameEmail(r.Requester, person.Email)
        || IsApproverOf(person, r)
        || person.IsService;

    internal static AccessDecision<AccessRequest> NotFound(string id) => Refuse(AccessRule.NotFound, $"There is no request {id}.");
}
