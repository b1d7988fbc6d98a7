using Appliance.Chatops.Configuration;
using Appliance.Chatops.Slack.SocketMode;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Operations;

/// <summary><c>GET /healthz</c>: 200 while the process serves; says which Slack transports are on.</summary>
internal static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (IOptions<ChatopsOptions> options, SocketModeService socketMode) =>
        {
            var o = options.Value;
            return TypedResults.Ok(new HealthReport(
                Status: "ok",
                Slack: o.SlackConfigured ? "configured" : "not configured",
                HttpMode: o.HttpModeEnabled,
                SocketMode: o.SocketModeEnabled ? (socketMode.IsConnected ? "connected" : "connecting") : "off"));
        });
        return endpoints;
    }

    internal sealed record HealthReport(string Status, string Slack, bool HttpMode, string SocketMode);
}
