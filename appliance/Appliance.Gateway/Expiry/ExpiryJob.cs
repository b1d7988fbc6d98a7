using Appliance.Gateway.Access;
using Quartz;

namespace Appliance.Gateway.Expiry;

/// <summary>
/// Fired by Quartz at a grant's <c>expiresAt</c>, a pending request's <c>pendingUntil</c>, or five
/// minutes before expiry. The store decides: the job only asks the access engine to act if due.
/// </summary>
internal sealed partial class ExpiryJob(AccessService access, ExpiryScheduler scheduler, TimeProvider time, ILogger<ExpiryJob> logger) : IJob
{
    public const string RequestIdKey = "requestId";
    public const string ActionKey = "action";
    public const string ActionEnd = "end";
    public const string ActionWarn = "warn";

    /// <summary>How soon a job that could not reach the store tries again.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var id = context.MergedJobDataMap.GetString(RequestIdKey)!;
        var action = context.MergedJobDataMap.GetString(ActionKey) ?? ActionEnd;
        try
        {
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
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The store is unreachable, say. The trigger fires once: without a retry the grant
            // would stay active until the next restart.
            Log.Failed(logger, action, id, ex);
            await scheduler.RetryAsync(id, action, time.GetUtcNow() + RetryDelay, CancellationToken.None);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4201, LogLevel.Error, "The {Action} job of {RequestId} failed; it runs again in a second")]
        public static partial void Failed(ILogger logger, string action, string requestId, Exception exception);
    }
}
