using Appliance.Gateway.Configuration;
using Appliance.Policy.Configuration;
using Microsoft.Extensions.Logging;

namespace Appliance.Gateway.Tests.Configuration;

public sealed class PolicyProviderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public void Create_ValidFile_LoadsVersionOne()
    {
        using var file = new PolicyFile();

        using var provider = file.CreateProvider(name => name == "TEST_DB_PASSWORD" ? "from-env" : null);

        Assert.Equal(1, provider.Version);
        Assert.Equal("from-env", provider.Current.FindConnection("demo")!.Upstream.Password);
        Assert.Equal(64, provider.CurrentDigest.Length);
        Assert.Contains(file.Logs.Entries, e => e.EventId.Id == 1100 && e.Message.Contains("1 connections", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_InvalidFile_ThrowsWithEveryErrorListed()
    {
        using var file = new PolicyFile(PolicyFile.Valid
            .Replace("approvers: [dba]", "approvers: [dbas]", StringComparison.Ordinal)
            .Replace("database: demo", "database: demo, port: 0", StringComparison.Ordinal)
            .Replace("${TEST_DB_PASSWORD:-pw}", "${TEST_DB_PASSWORD}", StringComparison.Ordinal));

        var error = Assert.Throws<PolicyConfigurationException>(() => file.CreateProvider());

        Assert.Equal(3, error.Errors.Count);
        var lines = error.Message.Split('\n');
        Assert.Equal($"{file.Path}: 3 errors in the policy:", lines[0]);
        Assert.Contains(lines, l => l.Contains("environment variable TEST_DB_PASSWORD is not set", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("upstream.port: '0' is not a whole number", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("unknown group 'dbas'", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_MissingFile_ThrowsNamingThePath()
    {
        using var file = new PolicyFile();
        File.Delete(file.Path);

        var error = Assert.Throws<PolicyConfigurationException>(() => file.CreateProvider());

        Assert.Contains(file.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("APPLIANCE_CONFIG", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_GoodEdit_SwapsThePolicyAndRaisesChanged()
    {
        using var file = new PolicyFile();
        using var provider = file.CreateProvider();
        var changed = new TaskCompletionSource<AppliancePolicy>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Changed += p => changed.TrySetResult(p);
        await provider.StartAsync(CancellationToken.None);

        await File.WriteAllTextAsync(file.Path, PolicyFile.WithStaging);
        var policy = await changed.Task.WaitAsync(Patience);

        Assert.Equal(["demo", "staging"], policy.Connections.Select(c => c.Name));
        Assert.Same(policy, provider.Current);
        Assert.Equal(2, provider.Version);
        Assert.Contains(file.Logs.Entries, e => e.EventId.Id == 1101 && e.Message.Contains("added: staging", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_FileReplacedByRename_IsReloaded()
    {
        using var file = new PolicyFile();
        using var provider = file.CreateProvider();
        var changed = new TaskCompletionSource<AppliancePolicy>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Changed += p => changed.TrySetResult(p);
        await provider.StartAsync(CancellationToken.None);

        file.ReplaceByRename(PolicyFile.WithStaging);
        var policy = await changed.Task.WaitAsync(Patience);

        Assert.NotNull(policy.FindConnection("staging"));
    }

    [Fact]
    public async Task Watch_BadEdit_KeepsTheLastGoodPolicyAndLogsEveryError()
    {
        using var file = new PolicyFile();
        using var provider = file.CreateProvider();
        var good = provider.Current;
        var changes = 0;
        provider.Changed += _ => Interlocked.Increment(ref changes);
        await provider.StartAsync(CancellationToken.None);

        file.ReplaceByRename(PolicyFile.WithStaging
            .Replace("database: staging, user: u", "database: staging, user: u, tls: maybe, port: 0", StringComparison.Ordinal));
        await WaitForLogs(file, 1103, count: 2);

        var rejected = Assert.Single(file.Logs.Entries, e => e.EventId.Id == 1102);
        Assert.Contains("error count 2", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Error, rejected.Level);
        var errors = file.Logs.Entries.Where(e => e.EventId.Id == 1103).Select(e => e.Message).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, m => m.Contains($"{file.Path}:", StringComparison.Ordinal) && m.Contains("unknown tls mode 'maybe'", StringComparison.Ordinal));
        Assert.Contains(errors, m => m.Contains("connections[staging].upstream.port: '0' is not a whole number", StringComparison.Ordinal));
        Assert.Same(good, provider.Current);
        Assert.Equal(1, provider.Version);
        Assert.Equal(0, Volatile.Read(ref changes));
    }

    [Fact]
    public async Task Watch_FixAfterABadEdit_IsApplied()
    {
        using var file = new PolicyFile();
        using var provider = file.CreateProvider();
        var changed = new TaskCompletionSource<AppliancePolicy>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Changed += p => changed.TrySetResult(p);
        await provider.StartAsync(CancellationToken.None);
        file.ReplaceByRename("users: [\n");
        await WaitForLogs(file, 1102, count: 1);

        await File.WriteAllTextAsync(file.Path, PolicyFile.WithStaging);
        var policy = await changed.Task.WaitAsync(Patience);

        Assert.Equal(2, policy.Connections.Count);
        Assert.Equal(2, provider.Version);
    }

    [Fact]
    public void Reload_SameContent_ChangesNothing()
    {
        using var file = new PolicyFile();
        using var provider = file.CreateProvider();
        var before = provider.Current;
        File.WriteAllText(file.Path, PolicyFile.Valid);

        var outcome = provider.Reload();

        Assert.Equal(PolicyReloadOutcome.Unchanged, outcome);
        Assert.Same(before, provider.Current);
    }

    [Fact]
    public void Reload_RejectedTextSeenAgain_IsLoggedOnce()
    {
        using var file = new PolicyFile();
        using var provider = file.CreateProvider();
        File.WriteAllText(file.Path, "connections: 3\n");

        var first = provider.Reload();
        var second = provider.Reload();

        Assert.Equal((PolicyReloadOutcome.Rejected, PolicyReloadOutcome.Unchanged), (first, second));
        Assert.Single(file.Logs.Entries, e => e.EventId.Id == 1102);
    }

    [Fact]
    public void Reload_FileGone_KeepsThePolicy()
    {
        using var file = new PolicyFile();
        using var provider = file.CreateProvider();
        File.Delete(file.Path);

        Assert.Equal(PolicyReloadOutcome.Unreadable, provider.Reload());
        Assert.Equal("demo", Assert.Single(provider.Current.Connections).Name);
    }

    [Fact]
    public void Reload_FailingSubscriber_DoesNotStopTheOthers()
    {
        using var file = new PolicyFile();
        using var provider = file.CreateProvider();
        AppliancePolicy? seen = null;
        provider.Changed += _ => throw new InvalidOperationException("subscriber bug");
        provider.Changed += p => seen = p;
        File.WriteAllText(file.Path, PolicyFile.WithStaging);

        Assert.Equal(PolicyReloadOutcome.Applied, provider.Reload());

        Assert.Same(provider.Current, seen);
        Assert.Contains(file.Logs.Entries, e => e.EventId.Id == 1106 && e.Exception is InvalidOperationException);
    }

    [Fact]
    public void Create_TlsPaths_AreRelativeToThePolicyFolder()
    {
        using var file = new PolicyFile(PolicyFile.Valid + "\ngateway: { tls: { certificate: certs/gw.crt, key: /etc/gw.key } }\n");

        using var provider = file.CreateProvider();

        Assert.Equal(Path.Combine(file.Folder, "certs", "gw.crt"), provider.Current.Gateway.TlsCertificatePath);
        Assert.Equal("/etc/gw.key", provider.Current.Gateway.TlsKeyPath);
    }

    private static async Task WaitForLogs(PolicyFile file, int eventId, int count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (file.Logs.Entries.Count(e => e.EventId.Id == eventId) < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Fewer than {count} log events {eventId} within {Patience}");
            }

            await Task.Delay(20);
        }
    }
}
