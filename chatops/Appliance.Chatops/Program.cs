using Appliance.Chatops;
using Microsoft.Extensions.Options;

try
{
    // Settings come from the environment; an argument it does not know is a typo, not a start.
    if (args.FirstOrDefault(a => a != "--check") is { } unknown)
    {
        Console.Error.WriteLine($"Unknown argument {unknown}: chatops reads its settings from the environment (docs/slack.md); "
            + "its one argument is --check, which checks them without starting.");
        return 2;
    }

    var app = ChatopsApp.Build([]);
    if (args.Contains("--check"))
    {
        // scripts/install.sh restart asks before it stops a running chatops (probe DK).
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        Console.WriteLine("The chatops settings load.");
        return 0;
    }

    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // The operator's to fix: one line, which install.sh shows from the log's last lines.
    Console.Error.WriteLine(ex.Message);
    return 1;
}
