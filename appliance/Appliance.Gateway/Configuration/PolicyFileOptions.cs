namespace Appliance.Gateway.Configuration;

/// <summary>Where the policy file is and how its changes are noticed.</summary>
internal sealed record PolicyFileOptions
{
    public const string DefaultPath = "config/appliance.yaml";

    /// <summary>Absolute path of the policy file.</summary>
    public required string Path { get; init; }

    /// <summary>How errors and logs name the file: the path as configured (default: <see cref="Path"/>).</summary>
    public string SourceName
    {
        get => field ?? Path;
        init;
    }

    /// <summary>Editors write a file in several steps; changes within this window are one reload.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// A fallback for file systems that do not report changes (some bind mounts, network shares):
    /// the file is also re-read this often, and reloaded only if its content changed.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>APPLIANCE_CONFIG</c>, relative to the content root; default <c>config/appliance.yaml</c>.</summary>
    public static PolicyFileOptions From(IConfiguration configuration, string contentRoot)
    {
        var configured = configuration["APPLIANCE_CONFIG"] is { Length: > 0 } path ? path : DefaultPath;
        return new() { Path = System.IO.Path.GetFullPath(configured, contentRoot), SourceName = configured };
    }
}
