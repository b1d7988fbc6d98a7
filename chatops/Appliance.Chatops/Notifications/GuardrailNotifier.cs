using Appliance.Chatops.Events;
using Appliance.Chatops.Slack.BlockKit;
using Appliance.Chatops.Slack.Web;

namespace Appliance.Chatops.Notifications;

/// <summary>Posts blocked statements and guardrail alerts to the connection's channel.</summary>
internal sealed partial class GuardrailNotifier(SlackApiClient slack, ILogger<GuardrailNotifier> logger)
{
    /// <param name="occurredAt">When the statement was judged: shown, so posts read in the order things happened.</param>
    public async Task PostAsync(string eventType, GuardrailEvent g, DateTimeOffset? occurredAt, CancellationToken ct)
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
            Blocks.Context(Context(g, occurredAt)));
        await slack.PostMessageAsync(g.Channel, summary, blocks, ct);
    }

    private static string Context(GuardrailEvent g, DateTimeOffset? occurredAt)
    {
        var parts = new List<string>();
        if (g.SessionId is { } session)
        {
            parts.Add("Session " + Mrkdwn.Code(session) + (g.StatementSeq is { } seq ? $", statement {seq}" : string.Empty));
        }

        if (occurredAt is { } at)
        {
            parts.Add(Mrkdwn.Time(at));
        }

        return parts.Count == 0 ? "Guardrail" : string.Join(" · ", parts);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Guardrail event on {Connection} has no channel: not posted")]
        public static partial void NoChannel(ILogger logger, string connection);
    }
}
