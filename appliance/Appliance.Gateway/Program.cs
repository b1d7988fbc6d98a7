using Appliance.Gateway.Configuration;
using Appliance.Gateway.Hosting;
using Microsoft.Extensions.Options;

try
{
    await GatewayApp.Build(args).RunAsync();
    return 0;
}
catch (Exception ex) when (ex is PolicyConfigurationException or OptionsValidationException)
{
    // A bad configuration is the operator's to fix: say every problem plainly, no stack trace.
    Console.Error.WriteLine(ex.Message);
    return 1;
}

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
