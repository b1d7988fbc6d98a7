using Appliance.Gateway.Events;
using Appliance.Gateway.Identity;
using Appliance.Policy.Access;
using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Access;

internal sealed partial class AccessService
{
    /// <summary>How long an approved statement may still be run once.</summary>
    public static readonly TimeSpan CommandApprovalValidity = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Opens a review of a statement the PostgreSQL gateway is holding (kind <c>command</c>): the
    /// same engine, approvers and events as access requests.
    /// </summary>
    public async Task<AccessRequest> CreateCommandReviewAsync(
        Person requester, ConnectionPolicy connection, CommandReview command, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var request = new AccessRequest
        {
            Id = Ids.NewRequestId(),
            Kind = RequestKind.Command,
            Connection = connection.Name,
            Requester = requester.Email,
            Reason = command.Message,
            Duration = CommandApprovalValidity,
            Status = RequestStatus.Pending,
            MinApprovals = connection.Access.MinApprovals,
            ApproverGroups = connection.Access.Approvers,
            Channel = connection.Access.Channel,
            CreatedAt = now,
            PendingUntil = now + AccessRules.PendingTimeout(policy.Current, connection),
            Command = command,
        };
        await database.InTransactionAsync(async (c, t) =>
        {
            await requests.InsertAsync(c, t, request, now);
            await events.AppendAsync(c, t, [RequestEvent(EventTypes.RequestCreated, request, actor, now)]);
            return true;
        }, cancellationToken);
        AfterCommit(request, [EventTypes.RequestCreated]);
        Log.RequestCreated(logger, request.Id, request.Requester, request.Connection, "pending command review");
        return request;
    }

    /// <summary>
    /// A grant ended: the approvals of statements held under it can no longer be used (an approval
    /// is good only under its grant), so they end too, rather than show "may run once" until they
    /// expire (probe BA); so do reviews still pending, which approvers would otherwise be asked to
    /// decide for nothing. Ends nothing twice: an ended review is left as it is (a held statement's
    /// own session may have withdrawn it first).
    /// </summary>
    public async Task EndReviewsUnderAsync(AccessRequest grant, CancellationToken cancellationToken)
    {
        var reviews = await requests.ListAsync(new Store.RequestFilter
        {
            Statuses = [RequestStatus.Active, RequestStatus.Pending],
            Kind = RequestKind.Command,
            Requester = grant.Requester,
            Connection = grant.Connection,
            Limit = 1000,
        }, cancellationToken);
        foreach (var review in reviews.Where(r => r.Command?.GrantId == grant.Id))
        {
            await MutateAsync(review.Id, (r, now) => r.Status switch
            {
                RequestStatus.Active => new Mutation(r with { Status = RequestStatus.Expired, EndedAt = now, EndReason = $"grant {grant.Id} ended" }, [EventTypes.RequestExpired], SystemActor),
                RequestStatus.Pending => new Mutation(
                    r with { Status = RequestStatus.Cancelled, EndedAt = now, EndedBy = SystemActor, EndReason = $"grant {grant.Id} ended: the statement cannot run under it" },
                    [EventTypes.RequestCancelled], SystemActor),
                _ => Mutation.Unchanged,
            }, cancellationToken);
        }
    }

    /// <summary>
    /// Uses up an approved review of exactly this statement by this person on this connection:
    /// the statement passes once, then the approval is spent (<c>command.executed</c>). Spent in
    /// another session than the one held (<paramref name="session"/>), the review names it and its
    /// <c>command.executed</c> is chained to it, whose replay then shows the approval (probe JC2).
    /// </summary>
    public async Task<AccessRequest?> ConsumeApprovedCommandAsync(
        Person requester, string connection, string fingerprint, string? grantId, string? session, CancellationToken cancellationToken)
    {
        var candidates = await requests.ListAsync(new Store.RequestFilter
        {
            Statuses = [RequestStatus.Active],
            Kind = RequestKind.Command,
            Requester = requester.Email,
            Connection = connection,
            Limit = 100,
        }, cancellationToken);
        foreach (var candidate in candidates.Where(r => r.Command?.Fingerprint == fingerprint && r.Command.GrantId == grantId).OrderBy(r => r.ActivatedAt))
        {
            var consumed = await MutateAsync(candidate.Id, (r, now) =>
                r.Status == RequestStatus.Active && r.ExpiresAt > now
                    ? new Mutation(r with
                        {
                            Status = RequestStatus.Expired, EndedAt = now, EndReason = "executed",
                            // Said by the gateway from where it runs, never carried over from the row
                            // (probe LB5: a ranIn written into the store was chained as the gateway's).
                            Command = r.Command! with { RanIn = session is null || session == r.Command.SessionId ? null : session },
                        },
                        [EventTypes.CommandExecuted], requester.Email)
                    : Mutation.Refused(AccessRule.InvalidState, "already used or expired"), cancellationToken);
            if (consumed.Allowed)
            {
                return consumed.Value;
            }
        }

        return null;
    }

    /// <summary>
    /// An approval spent (<c>command.executed</c>) on a statement that then did not run: its
    /// client cancelled or left between the approval and the forwarding. The review's end says
    /// so (<c>abandoned</c>, <c>command.abandoned</c>), so the approval trail never claims a run
    /// the database did not see. False when the review is not such a spent approval.
    /// </summary>
    public async Task<bool> MarkSpentApprovalNotRunAsync(Person requester, string reviewId, CancellationToken cancellationToken)
    {
        var marked = await MutateAsync(reviewId, (r, now) =>
            r.Kind == RequestKind.Command && r.Requester == requester.Email && r.Status == RequestStatus.Expired && r.EndReason == "executed"
                ? new Mutation(r with { EndReason = "abandoned" }, [EventTypes.CommandAbandoned], requester.Email)
                : Mutation.Refused(AccessRule.InvalidState, "not an approval spent on this statement"), cancellationToken);
        return marked.Allowed;
    }
}
