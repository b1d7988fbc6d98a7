using System.Security.Cryptography;
using System.Text;
using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Configuration;

/// <summary>
/// Loads the policy file (<c>APPLIANCE_CONFIG</c>) at start, refusing to start with every error
/// listed, then reloads it when it changes: a valid edit replaces the policy atomically, a bad
/// one is logged error by error and the last good policy stays in force.
/// </summary>
internal sealed partial class PolicyProvider : IPolicyProvider, IHostedService, IDisposable
{
    /// <summary>Far above any real policy; a larger file is a mistake, not a policy.</summary>
    private const int MaxFileBytes = 4 * 1024 * 1024;

    private readonly PolicyFileOptions _options;
    private readonly Func<string, string?> _environment;
    private readonly TimeProvider _time;
    private readonly ILogger<PolicyProvider> _logger;
    private readonly Lock _reloadLock = new();
    private Snapshot _current;
    private string? _rejectedDigest;

    /// <exception cref="PolicyConfigurationException">The file is missing, unreadable or invalid.</exception>
    public PolicyProvider(
        PolicyFileOptions options, Func<string, string?> environment, TimeProvider time, ILogger<PolicyProvider> logger)
    {
        _options = options;
        _environment = environment;
        _time = time;
        _logger = logger;

        string text;
        try
        {
            text = ReadFile();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new PolicyConfigurationException(
                $"{options.SourceName}: cannot read the policy file {options.Path} ({e.Message}). Set APPLIANCE_CONFIG to its path.", [], e);
        }

        var result = Load(text);
        if (!result.IsValid)
        {
            throw new PolicyConfigurationException(result.Describe(options.SourceName), result.Errors);
        }

        _current = new Snapshot(result.Policy, 1, _time.GetUtcNow(), Digest(text));
        Log.PolicyLoaded(_logger, options.SourceName, 1, _current.Digest[..12], result.Policy.Users.Count,
            result.Policy.Connections.Count, result.Policy.Guardrails.Count, result.Policy.Webhooks.Count);
    }

    public AppliancePolicy Current => Volatile.Read(ref _current).Policy;

    public long Version => Volatile.Read(ref _current).Version;

    /// <summary>When the policy in force was loaded.</summary>
    public DateTimeOffset LoadedAt => Volatile.Read(ref _current).LoadedAt;

    /// <summary>SHA-256 (hex) of the file text of the policy in force: names it in logs and audits.</summary>
    public string CurrentDigest => Volatile.Read(ref _current).Digest;

    public event Action<AppliancePolicy>? Changed;

    /// <summary>Re-reads the file and applies it if its content changed and is valid.</summary>
    public PolicyReloadOutcome Reload()
    {
        Snapshot next;
        Snapshot previous;
        lock (_reloadLock)
        {
            previous = _current;
            string text;
            try
            {
                text = ReadFile();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // An editor replacing the file by rename leaves a moment with no file; the
                // watcher fires again when the new one lands.
                Log.ReadFailed(_logger, e, _options.SourceName, previous.Version);
                return PolicyReloadOutcome.Unreadable;
            }

            var digest = Digest(text);
            if (digest == previous.Digest || digest == _rejectedDigest)
            {
                return PolicyReloadOutcome.Unchanged;
            }

            var result = Load(text);
            if (!result.IsValid)
            {
                _rejectedDigest = digest;
                Log.ReloadRejected(_logger, _options.SourceName, result.Errors.Count, previous.Version);
                foreach (var error in result.Errors)
                {
                    Log.PolicyError(_logger, error.ToString());
                }

                return PolicyReloadOutcome.Rejected;
            }

            _rejectedDigest = null;
            next = new Snapshot(result.Policy, previous.Version + 1, _time.GetUtcNow(), digest);
            Volatile.Write(ref _current, next);
        }

        LogReload(previous, next);
        Notify(next);
        return PolicyReloadOutcome.Applied;
    }

    private PolicyLoadResult Load(string text)
    {
        var result = PolicyLoader.Load(text, _options.SourceName, _environment);
        return result.IsValid ? ResolvePaths(result) : result;
    }

    /// <summary>Certificate paths in the policy are relative to the policy file's folder.</summary>
    private PolicyLoadResult ResolvePaths(PolicyLoadResult result)
    {
        var gateway = result.Policy!.Gateway;
        var folder = Path.GetDirectoryName(_options.Path)!;
        var resolved = gateway with
        {
            TlsCertificatePath = gateway.TlsCertificatePath is { } cert ? Path.GetFullPath(cert, folder) : null,
            TlsKeyPath = gateway.TlsKeyPath is { } key ? Path.GetFullPath(key, folder) : null,
        };
        return PolicyLoadResult.Valid(result.Policy with { Gateway = resolved });
    }

    private string ReadFile()
    {
        var info = new FileInfo(_options.Path);
        if (info.Exists && info.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"the file is larger than {MaxFileBytes / (1024 * 1024)} MiB");
        }

        return File.ReadAllText(_options.Path, Encoding.UTF8);
    }

    private void LogReload(Snapshot previous, Snapshot next)
    {
        var before = previous.Policy.Connections.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var after = next.Policy.Connections.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var added = string.Join(", ", after.Except(before).Order(StringComparer.Ordinal));
        var removed = string.Join(", ", before.Except(after).Order(StringComparer.Ordinal));
        Log.PolicyReloaded(_logger, _options.SourceName, next.Version, next.Digest[..12], previous.Version,
            added.Length == 0 ? "none" : added, removed.Length == 0 ? "none" : removed);
    }

    /// <summary>A failing subscriber must not stop the others or the watcher.</summary>
    private void Notify(Snapshot next)
    {
        if (Changed is not { } handlers)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<Action<AppliancePolicy>>())
        {
            try
            {
                handler(next.Policy);
            }
            catch (Exception e)
            {
                Log.SubscriberFailed(_logger, e, next.Version);
            }
        }
    }

    private static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private sealed record Snapshot(AppliancePolicy Policy, long Version, DateTimeOffset LoadedAt, string Digest);
}

internal enum PolicyReloadOutcome
{
    Applied,
    Unchanged,
    Rejected,
    Unreadable,
}
