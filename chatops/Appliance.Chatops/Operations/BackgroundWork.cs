using System.Collections.Concurrent;

namespace Appliance.Chatops.Operations;

/// <summary>
/// Work that outlives the Slack request that started it (Slack wants its acknowledgement
/// within 3 s; the gateway call may take longer). Failures are logged, never lost silently,
/// and shutdown waits for what is in flight.
/// </summary>
internal sealed partial class BackgroundWork(ILogger<BackgroundWork> logger) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<Task, string> _running = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Starts <paramref name="work"/> now; the returned task never faults.</summary>
    public Task<T?> Start<T>(string what, Func<CancellationToken, Task<T>> work)
    {
        var task = RunAsync(what, work);
        _running[task] = what;
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
        return task;
    }

    public Task Start(string what, Func<CancellationToken, Task> work) =>
        Start<bool>(what, async ct =>
        {
            await work(ct);
            return true;
        });

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        var pending = _running.Keys.ToArray();
        if (pending.Length > 0)
        {
            await Task.WhenAll(pending).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task<T?> RunAsync<T>(string what, Func<CancellationToken, Task<T>> work)
    {
        // Yield first so the caller (a Slack request) gets its task back at once.
        await Task.Yield();
        try
        {
            return await work(_stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return default;
        }
        catch (Exception ex)
        {
            Log.WorkFailed(logger, ex, what);
            return default;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Background work {What} failed")]
        public static partial void WorkFailed(ILogger logger, Exception exception, string what);
    }
}
