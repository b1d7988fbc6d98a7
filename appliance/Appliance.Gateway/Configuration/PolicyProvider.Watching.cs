namespace Appliance.Gateway.Configuration;

/// <summary>
/// Watching the file: a <see cref="FileSystemWatcher"/> on its folder (editors that save by
/// writing a temporary file and renaming it over the original show up as a rename, not a
/// change), debounced, plus a slow poll for file systems that report nothing.
/// </summary>
internal sealed partial class PolicyProvider
{
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;
    private ITimer? _poll;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_reloadLock)
        {
            if (_debounce is not null)
            {
                return Task.CompletedTask;
            }

            _debounce = _time.CreateTimer(_ => Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _poll = _time.CreateTimer(_ => Reload(), null, _options.PollInterval, _options.PollInterval);
            _watcher = StartWatcher();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        lock (_reloadLock)
        {
            _watcher?.Dispose();
            _debounce?.Dispose();
            _poll?.Dispose();
            (_watcher, _debounce, _poll) = (null, null, null);
        }
    }

    private FileSystemWatcher? StartWatcher()
    {
        var folder = Path.GetDirectoryName(_options.Path)!;
        try
        {
            var watcher = new FileSystemWatcher(folder)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                IncludeSubdirectories = false,
            };
            watcher.Changed += OnFolderChanged;
            watcher.Created += OnFolderChanged;
            watcher.Deleted += OnFolderChanged;
            watcher.Renamed += OnFolderChanged;
            watcher.Error += (_, e) => Log.WatchFailed(_logger, e.GetException(), folder, _options.PollInterval);
            watcher.EnableRaisingEvents = true;
            Log.Watching(_logger, _options.Path);
            return watcher;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // Out of inotify watches, or a folder that cannot be watched: the poll still works.
            Log.WatchFailed(_logger, e, folder, _options.PollInterval);
            return null;
        }
    }

    private void OnFolderChanged(object sender, FileSystemEventArgs e)
    {
        if (IsAboutOurFile(e))
        {
            // Restarting the timer on every event: the reload runs once the editor is done.
            _debounce?.Change(_options.Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Our file, or the file an editor renamed away from it, or a Kubernetes ConfigMap swapping
    /// its <c>..data</c> link (the file itself never changes there, its target does).
    /// </summary>
    private bool IsAboutOurFile(FileSystemEventArgs e)
    {
        var name = Path.GetFileName(_options.Path);
        return string.Equals(e.Name, name, StringComparison.Ordinal)
            || (e is RenamedEventArgs renamed && string.Equals(renamed.OldName, name, StringComparison.Ordinal))
            || (e.Name?.StartsWith("..", StringComparison.Ordinal) ?? false);
    }
}
