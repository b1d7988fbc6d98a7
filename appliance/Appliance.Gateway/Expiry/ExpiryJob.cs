using Appliance.Gateway.Access;
using Quartz;

namespace Appliance.Gateway.Expiry;

/// <summary>
/// Fired by Quartz at a grant's <c>expiresAt</c>, a pending request's <c>pendingUntil</c>, or five
/// minutes before expiry. The store decides: the job only asks the access engine to act if due.
/// </summary>
internal sealed class ExpiryJob(AccessService access, ExpiryScheduler scheduler) : IJob
{
    public const string RequestIdKey = "requestId";
    public const string ActionKey = "action";
    public const string ActionEnd = "end";
    public const string ActionWarn = "warn";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var id = context.MergedJobDataMap.GetString(RequestIdKey)!;
        var action = context.MergedJobDataMap.GetString(ActionKey);
        if (action == ActionWarn)
        {
            await access.WarnExpiringAsync(id, cancellationToken);
            return;
        }

        var state = await access.ExpireIfDueAsync(id, cancellationToken);
        // Fired a hair early (clock granularity), or the grant was extended meanwhile: try again then.
        if (state is { Status: RequestStatus.Active or RequestStatus.Pending })
        {
            await scheduler.ScheduleAsync(state, cancellationToken);
        }
    }
}
