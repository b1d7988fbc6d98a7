using Appliance.Gateway.Configuration;
using Appliance.Tests.Common.Logging;
using Microsoft.Extensions.Logging;

namespace Appliance.Gateway.Tests.Configuration;

/// <summary>A policy file in its own temporary folder, and a provider reading it.</summary>
internal sealed class PolicyFile : IDisposable
{
    public const string Valid = """
        users:
          - email: alice@example.com
            groups: [engineering]
          - email: bob@example.com
            groups: [dba]
        connections:
          - name: demo
            upstream: { host: 127.0.0.1, database: demo, user: demo_reader, password: ${TEST_DB_PASSWORD:-pw} }
            access: { requesters: [engineering], approvers: [dba] }
        """;

    private readonly ILoggerFactory _loggers;

    public PolicyFile(string text = Valid)
    {
        Folder = Directory.CreateTempSubdirectory("appliance-policy-").FullName;
        Path = System.IO.Path.Combine(Folder, "appliance.yaml");
        File.WriteAllText(Path, text);
        _loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(Logs));
    }

    public string Folder { get; }

    public string Path { get; }

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>A valid policy with a second connection, <c>staging</c>.</summary>
    public static string WithStaging => Valid + """

          - name: staging
            upstream: { host: 127.0.0.1, database: staging, user: u }
            access: { requesters: [engineering], approvers: [dba] }
        """;

    public PolicyProvider CreateProvider(Func<string, string?>? environment = null) => new(
        new PolicyFileOptions { Path = Path, Debounce = TimeSpan.FromMilliseconds(50), PollInterval = TimeSpan.FromHours(1) },
        environment ?? (_ => null),
        TimeProvider.System,
        _loggers.CreateLogger<PolicyProvider>());

    /// <summary>Replaces the file the way many editors save: write a temporary file, rename it over.</summary>
    public void ReplaceByRename(string text)
    {
        var temporary = Path + ".swp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, Path, overwrite: true);
    }

    public void Dispose()
    {
        _loggers.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
