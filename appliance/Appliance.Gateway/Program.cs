using Appliance.Gateway.Configuration;
using Appliance.Gateway.Hosting;

try
{
    if (args.Contains("--check"))
    {
        // Settings and policy as a start would read them, without starting: scripts/install.sh
        // restart asks before it stops a running gateway (probe DC: a rejected live edit became an
        // outage at the next restart).
        var app = GatewayApp.Build([.. args.Where(a => a != "--check")]);
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        var policy = app.Services.GetRequiredService<PolicyProvider>();
        Console.WriteLine($"The settings and the policy load: {policy.Current.Users.Count} users, {policy.Current.Connections.Count} connections, {policy.Current.Guardrails.Count} guardrails.");
        return 0;
    }

    await GatewayApp.Build(args).RunAsync();
    return 0;
}
catch (Exception ex) when (StartupFailure.Describe(ex) is { } line)
{
    // The operator's to fix: say it plainly (StartupFailure).
    Console.Error.WriteLine(line);
    return 1;
}

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
