using Appliance.Gateway.Access;
using Quartz;

namespace Appliance.Gateway.Expiry;

/// <summary>
/// Keeps this process's Quartz triggers in step with the store: one "end" trigger per pending
/// request (at <c>pendingUntil</c>) or active grant (at <c>expiresAt</c>), one "warn" trigger five
/// minutes before a grant ends (halfway through a short one, <see cref="AccessService.WarnAt"/>).
/// Rescheduling replaces, so calling it twice is harmless.
/// </summary>
internal sealed partial class ExpiryScheduler(ISchedulerFactory schedulers, TimeProvider time, ILogger<ExpiryScheduler> logger)
{
    private static readonly JobKey Job = new("expiry", "appliance");

    public async Task EnsureJobAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<ExpiryJob>().WithIdentity(Job).StoreDurably().Build();
        await scheduler.AddJob(job, AddJobOptions.Replacing, cancellationToken);
    }

    public async Task ScheduleAsync(AccessRequest request, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var end = new TriggerKey($"end:{request.Id}", "appliance");
        var warn = new TriggerKey($"warn:{request.Id}", "appliance");

        DateTimeOffset? endAt = request.Status switch
        {
            RequestStatus.Pending => request.PendingUntil,
            RequestStatus.Active => request.ExpiresAt,
            _ => null,
        };
        if (endAt is null)
        {
            await scheduler.UnscheduleJobs([end, warn], cancellationToken);
            return;
        }

        await Replace(scheduler, end, request.Id, ExpiryJob.ActionEnd, endAt.Value, cancellationToken);

        if (request.Status == RequestStatus.Active && request.Kind == RequestKind.Access
            && AccessService.WarnAt(request) is var warnAt && warnAt > time.GetUtcNow())
        {
            await Replace(scheduler, warn, request.Id, ExpiryJob.ActionWarn, warnAt, cancellationToken);
        }
        else
        {
            await scheduler.UnscheduleJob(warn, cancellationToken);
        }
    }

    /// <summary>Runs <paramref name="action"/> for the request again at <paramref name="at"/> (after a failed run).</summary>
    public async Task RetryAsync(string id, string action, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await Replace(scheduler, new TriggerKey($"{action}:{id}", "appliance"), id, action, at, cancellationToken);
    }

    private async Task Replace(IScheduler scheduler, TriggerKey key, string id, string action, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var trigger = TriggerBuilder.Create()
            .WithIdentity(key)
            .ForJob(Job)
            .UsingJobData(ExpiryJob.RequestIdKey, id)
            .UsingJobData(ExpiryJob.ActionKey, action)
            .StartAt(at)
            // A trigger that could not fire on time (process paused, overloaded) fires as soon as it can.
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        await scheduler.ScheduleJob(trigger, ScheduleJobOptions.Replacing, cancellationToken);

        Log.Scheduled(logger, action, id, at);
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Debug, "Scheduled {Action} of {RequestId} at {At:o}")]
        public static partial void Scheduled(ILogger logger, string action, string requestId, DateTimeOffset at);
    }
}
