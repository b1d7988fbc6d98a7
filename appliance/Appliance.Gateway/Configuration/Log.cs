namespace Appliance.Gateway.Configuration;

/// <summary>Policy loading and reloading. Event ids 1100–1119.</summary>
internal static partial class Log
{
    [LoggerMessage(1100, LogLevel.Information,
        "Loaded policy {Path} as version {Version} ({Digest}): {Users} users, {Connections} connections, {Guardrails} guardrails, {Webhooks} webhooks")]
    public static partial void PolicyLoaded(
        ILogger logger, string path, long version, string digest, int users, int connections, int guardrails, int webhooks);

    [LoggerMessage(1101, LogLevel.Information,
        "Reloaded policy {Path}: version {Version} ({Digest}) replaces {PreviousVersion}; connections added: {Added}; removed: {Removed}")]
    public static partial void PolicyReloaded(
        ILogger logger, string path, long version, string digest, long previousVersion, string added, string removed);

    [LoggerMessage(1102, LogLevel.Error,
        "Rejected the edit to {Path}, error count {ErrorCount}; policy version {Version} stays in force")]
    public static partial void ReloadRejected(ILogger logger, string path, int errorCount, long version);

    [LoggerMessage(1103, LogLevel.Error, "Policy error: {PolicyError}")]
    public static partial void PolicyError(ILogger logger, string policyError);

    [LoggerMessage(1104, LogLevel.Warning, "Cannot read {Path}; policy version {Version} stays in force")]
    public static partial void ReadFailed(ILogger logger, Exception exception, string path, long version);

    [LoggerMessage(1105, LogLevel.Warning, "Cannot watch {Directory} for changes; the policy file is re-read every {PollInterval} instead")]
    public static partial void WatchFailed(ILogger logger, Exception exception, string directory, TimeSpan pollInterval);

    [LoggerMessage(1106, LogLevel.Error, "A subscriber to policy changes failed on version {Version}")]
    public static partial void SubscriberFailed(ILogger logger, Exception exception, long version);

    [LoggerMessage(1107, LogLevel.Debug, "Watching {Path} for changes")]
    public static partial void Watching(ILogger logger, string path);
}
