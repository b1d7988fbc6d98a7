using Appliance.Gateway.Hosting;

try
{
    // Settings come from the environment; an argument it does not know is a typo, not a start
    // (probe DG: "--chek" started a second gateway on the live store).
    if (args.FirstOrDefault(a => a != ConfigurationCheck.Argument) is { } unknown)
    {
        Console.Error.WriteLine($"Unknown argument {unknown}: the gateway reads its settings from the environment (docs/operations.md); "
            + $"its one argument is {ConfigurationCheck.Argument}, which checks them, the policy and the store without starting.");
        return 2;
    }

    if (args.Contains(ConfigurationCheck.Argument))
    {
        Console.WriteLine(await ConfigurationCheck.RunAsync([]));
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
