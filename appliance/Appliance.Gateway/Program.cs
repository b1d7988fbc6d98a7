using Appliance.Gateway.Configuration;
using Appliance.Gateway.Hosting;
using Appliance.Gateway.Store;
using Microsoft.Extensions.Options;

try
{
    await GatewayApp.Build(args).RunAsync();
    return 0;
}
catch (Exception ex) when (ex is PolicyConfigurationException or OptionsValidationException or StoreUnusableException)
{
    // A bad configuration or an unusable store is the operator's to fix: say every problem plainly, no stack trace.
    Console.Error.WriteLine(ex.Message);
    return 1;
}
catch (Exception ex) when (ex is IOException { InnerException: System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.AddressInUseException })
{
    // A port another process holds (Kestrel's HTTP port, the PostgreSQL listener's): the message names it.
    Console.Error.WriteLine($"The gateway could not start: {ex.Message}");
    return 1;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
{
    // The data directory (store, listener certificate) cannot be created or written.
    Console.Error.WriteLine($"The gateway could not start: {ex.Message} (check APPLIANCE_DATA_DIR: its permissions and free space)");
    return 1;
}

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
