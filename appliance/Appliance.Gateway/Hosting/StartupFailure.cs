using Appliance.Gateway.Configuration;
using Appliance.Gateway.Store;
using Microsoft.Extensions.Options;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// Failures at start that are the operator's to fix (a bad setting or policy, an unusable store,
/// a port another process holds, a data directory that cannot be written): said in one line, no
/// stack trace. Anything else is a bug, and its stack trace is what a report needs.
/// </summary>
internal static class StartupFailure
{
    public static string? Describe(Exception ex) => ex switch
    {
        PolicyConfigurationException or OptionsValidationException or StoreUnusableException => ex.Message,
        IOException { InnerException: System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.AddressInUseException } =>
            $"The gateway could not start: {ex.Message}",
        IOException or UnauthorizedAccessException =>
            $"The gateway could not start: {ex.Message} (check APPLIANCE_DATA_DIR: its permissions and free space)",
        _ => null,
    };

    /// <summary>The host's own "Hosting failed to start" entry for such a failure: its stack trace would bury the one line.</summary>
    public static bool IsHostEntryForOperatorFailure(Serilog.Events.LogEvent entry) =>
        entry.Exception is { } ex && Describe(ex) is not null && entry.MessageTemplate.Text == "Hosting failed to start";
}
