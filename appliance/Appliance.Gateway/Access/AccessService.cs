using Appliance.Gateway.Configuration;
using Appliance.Gateway.Events;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Operations;
using Appliance.Gateway.Store;
using Appliance.Policy.Access;
using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Access;

/// <summary>
/// The access request engine: every state change of product.md §5 happens here, in one
/// transaction with its events, then is announced in-process through <see cref="RequestChanges"/>.
/// </summary>
internal sealed partial class AccessService(
    StoreDatabase database,
    RequestStore requests,
    EventLog events,
    OutboxSignal outbox,
    RequestChanges changes,
    IPolicyProvider policy,
    TimeProvider time,
    ILogger<AccessService> logger)
{
    private const int MaxConflictRetries = 8;
    public const string SystemActor = "system";

    public async Task<AccessDecision<AccessRequest>> CreateAsync(
        Person person, string connectionName, string? duration, string? reason, string actor, CancellationToken cancellationToken)
    {
        var current = policy.Current;
        if (current.FindConnection(connectionName) is not { } connection)
        {
            return Refuse(AccessRule.UnknownConnection,
                $"There is no connection named '{connectionName}'. Known connections: {string.Join(", ", current.Connections.Select(c => c.Name))}.");
        }

        if (!AccessRules.CanRequest(person.Groups, connection))
        {
            return Refuse(AccessRule.NotRequester,
                $"{person.Email} is not in a group that may request {connection.Name} ({string.Join(", ", connection.Access.Requesters)}).");
        }

        var resolvedDuration = AccessRules.ResolveDuration(duration, connection);
        if (!resolvedDuration.Allowed)
        {
            return Refuse(resolvedDuration.Rule, resolvedDuration.Message!);
        }

        var resolvedReason = AccessRules.ResolveReason(reason, connection);
        if (!resolvedReason.Allowed)
        {
            return Refuse(resolvedReason.Rule, resolvedReason.Message!);
        }

        var now = time.GetUtcNow();
        var request = new AccessRequest
        {
            Id = Ids.NewRequestId(),
            Kind = RequestKind.Access,
            Connection = connection.Name,
            Requester = person.Email,
            // A credential pasted into the reason would reach the approvers, the API and the audit
            // chain (probe CU2): kept cut to its prefix.
            Reason = resolvedReason.Value is { } given ? Appliance.Logging.GatewayCredentials.Cut(given) : null,
            Duration = resolvedDuration.Value,
            Status = RequestStatus.Pending,
            MinApprovals = connection.Access.MinApprovals,
            ApproverGroups = connection.Access.Approvers,
            Channel = connection.Access.Channel,
            CreatedAt = now,
            PendingUntil = now + AccessRules.PendingTimeout(current, connection),
        };

        var newEvents = new List<(string Type, AccessRequest State, string Actor)> { (EventTypes.RequestCreated, request, actor) };
        if (AccessRules.IsAutoApproved(person.Groups, connection))
        {
            request = request with
            {
                Status = RequestStatus.Active,
                Version = 2,
                ActivatedAt = now,
                ExpiresAt = now + request.Duration,
            };
            newEvents.Add((EventTypes.RequestApproved, request, "auto-approve"));
        }

        await database.InTransactionAsync(async (c, t) =>
        {
            await requests.InsertAsync(c, t, request, now);
            await events.AppendAsync(c, t, newEvents.Select(e => RequestEvent(e.Type, e.State, e.Actor, now)).ToList());
            return true;
        }, cancellationToken);

        AfterCommit(request, newEvents.Select(e => e.Type));
        Log.RequestCreated(logger, request.Id, request.Requester, request.Connection, request.Status.ToString());
        return AccessDecision<AccessRequest>.Allow(request);
    }

    /// <summary>
    /// Loads the request, lets <paramref name="decide"/> compute its next state, and writes it if
    /// nobody changed the row meanwhile (optimistic concurrency: on conflict, decide again on the
    /// fresh row, so two approvers clicking at once both count).
    /// </summary>
    private async Task<AccessDecision<AccessRequest>> MutateAsync(
        string id, Func<AccessRequest, DateTimeOffset, Mutation> decide, CancellationToken cancellationToken, Person? viewer = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var (result, mutation) = await database.InTransactionAsync(async (c, t) =>
                {
                    var current = await requests.GetAsync(c, t, id);
                    // Whoever may not see a request learns nothing about it, not even that it exists.
                    if (current is null || (viewer is not null && !CanSee(viewer, current)))
                    {
                        return (Refuse(AccessRule.NotFound, $"There is no request {id}."), (Mutation?)null);
                    }

                    var now = time.GetUtcNow();
                    var m = decide(current, now);
                    if (m.Refusal is { } refusal)
                    {
                        return (refusal, null);
                    }

                    if (m.Next is null)
                    {
                        return (AccessDecision<AccessRequest>.Allow(current), null);
                    }

                    // A row changed outside the gateway must not be written into the chain by the
                    // next change as if it had been made here (probe CA: a rewritten reason or
                    // approver was laundered so). Only an end goes through: refusing an expiry or a
                    // revoke would keep access open. Verify still tells, by the chain's own history.
                    if (!await ChainedState.MatchesAsync(c, t, current))
                    {
                        Log.StateNotInChain(logger, current.Id);
                        if (!Ends(m.Next.Status))
                        {
                            return (Refuse(AccessRule.InvalidState,
                                $"Request {current.Id} as stored is not what the audit chain last recorded: it was changed outside the gateway, " +
                                "so it is not changed further. An admin should check the store (GET /api/audit/verify)."), null);
                        }
                    }

                    var next = m.Next with { Version = current.Version + 1 };
                    if (!await requests.UpdateAsync(c, t, next, current.Version, now))
                    {
                        throw new ConcurrencyConflictException();
                    }

                    if (m.NewApproval is { } approval)
                    {
                        await requests.InsertApprovalsAsync(c, t, next.Id, m.ApprovalRound, [approval]);
                    }

                    await events.AppendAsync(c, t, m.EventTypes.Select(type => RequestEvent(type, next, m.Actor, now, m.Reason)).ToList());
                    return (AccessDecision<AccessRequest>.Allow(next), m with { Next = next });
                }, cancellationToken);

                if (mutation?.Next is { } changed)
                {
                    AfterCommit(changed, mutation.EventTypes);
                }

                return result;
            }
            catch (ConcurrencyConflictException) when (attempt < MaxConflictRetries)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * (attempt + 1)), cancellationToken);
            }
        }
    }

    private static bool Ends(RequestStatus status) =>
        status is RequestStatus.Expired or RequestStatus.Revoked or RequestStatus.Cancelled or RequestStatus.Denied;

    private void AfterCommit(AccessRequest request, IEnumerable<string> eventTypes)
    {
        foreach (var type in eventTypes)
        {
            GatewayMetrics.RequestEvents.WithLabels(type).Inc();
        }

        outbox.Notify();
        changes.Publish(request);
        if (request is { Kind: RequestKind.Access, Status: RequestStatus.Revoked or RequestStatus.Expired })
        {
            _ = EndReviewsAfterAsync(request);
        }
    }

    /// <summary>Off the caller's path: the grant's end is committed and announced whatever happens to its reviews.</summary>
    private async Task EndReviewsAfterAsync(AccessRequest grant)
    {
        try
        {
            await EndReviewsUnderAsync(grant, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.EndingReviewsFailed(logger, grant.Id, ex);
        }
    }

    /// <summary>
    /// A command review's events belong to the session that held the statement too: its replay
    /// shows who decided. Once spent in another session, to that one.
    /// </summary>
    private static NewEvent RequestEvent(string type, AccessRequest request, string actor, DateTimeOffset now, string? reason = null) =>
        new(type, now, StoreJson.Serialize(new RequestEventData(RequestView.From(request), actor, reason)),
            actor, request.Connection, request.Id, request.Command?.RanIn ?? request.Command?.SessionId);

    private static AccessDecision<AccessRequest> Refuse(AccessRule rule, string message) =>
        AccessDecision<AccessRequest>.Refuse(rule, message);

    /// <summary>What a decision function wants: a refusal, or the next state with its events.</summary>
    private sealed record Mutation(
        AccessRequest? Next,
        IReadOnlyList<string> EventTypes,
        string Actor,
        AccessDecision<AccessRequest>? Refusal = null,
        Approval? NewApproval = null,
        int ApprovalRound = 0,
        string? Reason = null)
    {
        public static Mutation Refused(AccessRule rule, string message) =>
            new(null, [], "", AccessDecision<AccessRequest>.Refuse(rule, message));

        public static Mutation Unchanged { get; } = new(null, [], "");
    }

    private sealed class ConcurrencyConflictException : Exception;

    private static partial class Log
    {
        [LoggerMessage(2005, LogLevel.Critical, "Request {RequestId} as stored differs from its last record in the audit chain: changed outside the gateway; only an end is written")]
        public static partial void StateNotInChain(ILogger logger, string requestId);

        [LoggerMessage(2004, LogLevel.Warning, "Ending the statement approvals under grant {GrantId} failed; they expire on their own")]
        public static partial void EndingReviewsFailed(ILogger logger, string grantId, Exception exception);

        [LoggerMessage(2001, LogLevel.Information, "Request {RequestId} by {Requester} for {Connection} created ({Status})")]
        public static partial void RequestCreated(ILogger logger, string requestId, string requester, string connection, string status);

        [LoggerMessage(2002, LogLevel.Information, "Request {RequestId} is now {Status} ({Event} by {Actor})")]
        public static partial void RequestChanged(ILogger logger, string requestId, string status, string @event, string actor);

        [LoggerMessage(2003, LogLevel.Information, "Grant {RequestId} for {Connection} expired {LatenessMs} ms after its expiresAt")]
        public static partial void GrantExpired(ILogger logger, string requestId, string connection, double latenessMs);
    }
}
