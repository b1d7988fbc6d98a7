using System.Threading.Channels;
using Appliance.Gateway.Access;
using Appliance.Gateway.Hosting;
using Appliance.Gateway.Store;
using Microsoft.Extensions.Options;

namespace Appliance.Gateway.Expiry;

/// <summary>
/// At start, schedules every open request found in the store (so expiries due during a restart
/// happen at once and later ones on time); then follows changes, local ones through
/// <see cref="RequestChanges"/>, and, on a shared PostgreSQL store, other processes' ones by polling.
/// </summary>
internal sealed partial class ExpiryService(
    ExpiryScheduler scheduler,
    RequestStore requests,
    RequestChanges changes,
    IOptions<GatewayOptions> options,
    StoreDatabase database,
    TimeProvider time,
    ILogger<ExpiryService> logger) : Hosting.StoppableService
{
    private const int PollPage = 500;

    // Versions this process has already seen, so the poller only republishes news.
    private readonly Dictionary<string, long> _seen = [];
    private readonly Lock _seenLock = new();

    // Changes are scheduled one at a time, in the order they were announced, by one reader.
    private readonly Channel<AccessRequest> _toSchedule = Channel.CreateUnbounded<AccessRequest>(new() { SingleReader = true });
    private Task? _scheduling;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await scheduler.EnsureJobAsync(cancellationToken);
        changes.Changed += OnChanged;
        _scheduling = ScheduleChangesAsync();
        var open = await requests.ListAsync(
            new RequestFilter { Statuses = [RequestStatus.Pending, RequestStatus.Active], Limit = int.MaxValue }, cancellationToken);
        foreach (var request in open)
        {
            Remember(request);
            await scheduler.ScheduleAsync(request, cancellationToken);
        }

        Log.Rescheduled(logger, open.Count);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        if (database.Dialect != StoreDialect.Postgres)
        {
            return; // The embedded store has a single process: every change is local.
        }

        var interval = options.Value.ClusterPollInterval;
        var since = time.GetUtcNow() - TimeSpan.FromSeconds(5);
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var pollStart = time.GetUtcNow();
                // Oldest change first, a page at a time, so a burst of more than a page is not cut short.
                var from = since;
                while (true)
                {
                    var changed = await requests.ListAsync(new RequestFilter { UpdatedSince = from, Limit = PollPage }, stoppingToken);
                    foreach (var request in changed)
                    {
                        if (IsNews(request))
                        {
                            changes.Publish(request);
                        }
                    }

                    var last = changed.Count == PollPage ? changed[^1].UpdatedAt : null;
                    if (last is null || last <= from)
                    {
                        break;
                    }

                    from = last.Value;
                }

                // Overlap the next window: rows committed late with an earlier updated_at are not missed.
                since = pollStart - TimeSpan.FromSeconds(5);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.PollFailed(logger, ex);
            }
        }
    }

    private void OnChanged(AccessRequest request)
    {
        Remember(request);
        // Quartz calls are quick (in-memory store); run them off the publisher's thread anyway.
        _toSchedule.Writer.TryWrite(request);
    }

    /// <summary>
    /// Schedules announced changes in order, skipping any older than a version already scheduled:
    /// two changes committed back to back may be announced out of order, and scheduling the older
    /// one last would move a grant's end back to, say, its pending timeout.
    /// </summary>
    private async Task ScheduleChangesAsync()
    {
        var scheduled = new Dictionary<string, long>();
        await foreach (var request in _toSchedule.Reader.ReadAllAsync())
        {
            if (scheduled.TryGetValue(request.Id, out var version) && version > request.Version)
            {
                continue;
            }

            if (scheduled.Count > 100_000)
            {
                scheduled.Clear(); // Bounded memory, as for _seen.
            }

            scheduled[request.Id] = request.Version;
            try
            {
                await scheduler.ScheduleAsync(request, CancellationToken.None);
            }
            catch (Exception ex)
            {
                Log.ScheduleFailed(logger, request.Id, ex);
            }
        }
    }

    private bool IsNews(AccessRequest request)
    {
        lock (_seenLock)
        {
            return !_seen.TryGetValue(request.Id, out var version) || version < request.Version;
        }
    }

    private void Remember(AccessRequest request)
    {
        lock (_seenLock)
        {
            if (!_seen.TryGetValue(request.Id, out var version) || version < request.Version)
            {
                _seen[request.Id] = request.Version;
            }

            if (_seen.Count > 100_000)
            {
                _seen.Clear(); // Bounded memory: at worst some old changes are announced again, which listeners tolerate.
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        changes.Changed -= OnChanged;
        _toSchedule.Writer.TryComplete();
        if (_scheduling is not null)
        {
            await _scheduling.WaitAsync(cancellationToken);
        }

        await base.StopAsync(cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(4101, LogLevel.Information, "Scheduled the expiry of {Count} open requests and grants found in the store")]
        public static partial void Rescheduled(ILogger logger, int count);

        [LoggerMessage(4102, LogLevel.Warning, "Polling the store for changes from other gateway processes failed")]
        public static partial void PollFailed(ILogger logger, Exception exception);

        [LoggerMessage(4103, LogLevel.Error, "Scheduling the expiry of {RequestId} failed")]
        public static partial void ScheduleFailed(ILogger logger, string requestId, Exception exception);
    }
}
