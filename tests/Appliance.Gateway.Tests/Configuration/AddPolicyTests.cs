using Appliance.Gateway.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Gateway.Tests.Configuration;

/// <summary>The registration Program uses: a bad policy stops the host at start.</summary>
public sealed class AddPolicyTests
{
    private static IHost Build(string contentRoot, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddPolicy(builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task Start_ValidPolicy_ServesItAndReadsVariablesFromConfiguration()
    {
        using var file = new PolicyFile();
        using var host = Build(file.Folder, new() { ["APPLIANCE_CONFIG"] = "appliance.yaml", ["TEST_DB_PASSWORD"] = "configured" });

        await host.StartAsync();
        var policy = host.Services.GetRequiredService<IPolicyProvider>();

        Assert.Equal("configured", policy.Current.FindConnection("demo")!.Upstream.Password);
        Assert.Same(host.Services.GetRequiredService<PolicyProvider>(), policy);
        await host.StopAsync();
    }

    [Fact]
    public async Task Start_InvalidPolicy_FailsWithEveryError()
    {
        using var file = new PolicyFile(PolicyFile.Valid.Replace("approvers: [dba]", "approvers: [dbas]", StringComparison.Ordinal) + "\nextra: 1\n");
        using var host = Build(file.Folder, new() { ["APPLIANCE_CONFIG"] = "appliance.yaml" });

        var error = await Assert.ThrowsAsync<PolicyConfigurationException>(() => host.StartAsync());

        Assert.Equal(2, error.Errors.Count);
        Assert.StartsWith("appliance.yaml: 2 errors in the policy:\n  appliance.yaml:", error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown group 'dbas'", error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown key 'extra'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_WithoutApplianceConfig_UseTheDefaultUnderTheContentRoot()
    {
        var configuration = new ConfigurationBuilder().Build();

        var options = PolicyFileOptions.From(configuration, "/srv/appliance");

        Assert.Equal("/srv/appliance/config/appliance.yaml", options.Path);
        Assert.Equal("config/appliance.yaml", options.SourceName);
    }
}
