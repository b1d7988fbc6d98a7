using Appliance.Chatops.Events;
using Appliance.Chatops.Slack.BlockKit;
using Appliance.Chatops.Slack.Web;

namespace Appliance.Chatops.Notifications;

/// <summary>Posts blocked statements and guardrail alerts to the connection's channel.</summary>
internal sealed partial class GuardrailNotifier(SlackApiClient slack, ILogger<GuardrailNotifier> logger)
{
    public async Task PostAsync(string eventType, GuardrailEvent g, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(g.Channel))
        {
            Log.NoChannel(logger, g.Connection ?? "?");
            return;
        }

        var blocked = eventType == EventTypes.GuardrailBlocked;
        var headline = blocked ? "🚫 *Blocked*" : "⚠️ *Guardrail alert*";
        var rule = g.Rule is { } r ? " by " + Mrkdwn.Code(r) : string.Empty;
        var summary = $"{headline}{rule}: {Mrkdwn.Bold(g.User ?? "someone")} on {Mrkdwn.Bold(g.Connection ?? "?")}";
        var blocks = Blocks.List(
            Blocks.Section(summary),
            Blocks.Section(Mrkdwn.CodeBlock(g.Statement)),
            string.IsNullOrWhiteSpace(g.Message) ? null : Blocks.Section(Mrkdwn.Escape(g.Message)),
            g.SessionId is { } session ? Blocks.Context("Session " + Mrkdwn.Code(session)) : null);
        await slack.PostMessageAsync(g.Channel, summary, blocks, ct);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Guardrail event on {Connection} has no channel: not posted")]
        public static partial void NoChannel(ILogger logger, string connection);
    }
}
