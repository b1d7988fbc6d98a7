using Appliance.Gateway.Events;
using Appliance.Policy.Access;

namespace Appliance.Gateway.Access;

internal sealed partial class AccessService
{
    /// <summary>
    /// Ends a grant or a pending request the policy no longer allows: the requester was removed,
    /// left the requester groups, or the connection is gone. Fails closed: access the policy would
    /// not grant today does not outlive the edit that took it away. Also a command review whose
    /// session ended under its hold (CommandReviews.WithdrawAsync): by the system either way.
    /// </summary>
    public async Task<AccessRequest?> EndForPolicyAsync(string id, string reason, CancellationToken cancellationToken)
    {
        var result = await MutateAsync(id, (r, now) => r.Status switch
        {
            RequestStatus.Active => new Mutation(
                r with { Status = RequestStatus.Revoked, EndedAt = now, EndedBy = SystemActor, EndReason = reason, Extension = null },
                [EventTypes.GrantRevoked], SystemActor),
            RequestStatus.Pending => new Mutation(
                r with { Status = RequestStatus.Cancelled, EndedAt = now, EndedBy = SystemActor, EndReason = reason },
                [EventTypes.RequestCancelled], SystemActor),
            _ => Mutation.Unchanged,
        }, cancellationToken);
        return result.Allowed ? result.Value : null;
    }
}
