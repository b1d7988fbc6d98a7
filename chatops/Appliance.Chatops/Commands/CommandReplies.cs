using Appliance.Chatops.Cards;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Slack.BlockKit;
using Appliance.Chatops.Slack.Inbound;

namespace Appliance.Chatops.Commands;

/// <summary>The ephemeral answers to <c>/hoop</c>: what happened, or what is wrong and how to write it.</summary>
internal static class CommandReplies
{
    public static ChatReply Help { get; } = new(string.Join('\n',
        "*/hoop* asks for, approves and ends access through the appliance:",
        "• `/hoop request <connection> [duration] [reason…]`: ask for access, e.g. `/hoop request db-prod 1h investigating order 4411`",
        "• `/hoop list`: the connections you can request (and approve)",
        "• `/hoop status`: your requests and grants, and what waits for your approval",
        "• `/hoop approve <id> [comment]` · `/hoop deny <id> [reason]`: decide a request",
        "• `/hoop done [id]`: end your grant (or withdraw your pending request)",
        "• `/hoop revoke <id> [reason]`: end someone's grant (approvers and admins); its sessions are cut",
        "• `/hoop extend <id> <duration>`: ask for more time",
        $"Durations are written {Durations.Examples}."));

    public static ChatReply Invalid(InvalidCommand invalid) => new($"⚠️ {invalid.Problem}\nWrite it as {invalid.Usage}");

    public static ChatReply NoEmail(string slackUserId) => new(
        $"⚠️ Slack shows no email address for you (<@{Mrkdwn.Escape(slackUserId)}>), so the appliance cannot tell who you are. " +
        "Ask a Slack admin to make your email visible, or an appliance admin to check the Slack app's `users:read.email` scope.");

    public static ChatReply GatewayUnreachable { get; } = new("⚠️ The appliance could not be reached just now. Try again in a minute; if it persists, tell an admin.");

    /// <summary>A refusal, in the gateway's words (its <c>detail</c>), plus how to get it right.</summary>
    public static ChatReply Refused(GatewayProblem problem, string email, string? usage = null)
    {
        var detail = Mrkdwn.Escape(problem.Message);
        var hint = problem.Rule switch
        {
            GatewayRule.UnknownUser =>
                $"The appliance knows nobody with the email {Mrkdwn.Code(email)} (the one Slack shows for you). Ask an admin to add it to the appliance's users.",
            GatewayRule.UnknownConnection => "`/hoop list` shows the connections you can request.",
            GatewayRule.NotRequester => "`/hoop list` shows the connections you can request; ask an admin if you need this one.",
            GatewayRule.ReasonRequired => "Add a reason after the duration. Write it as " + CommandParser.RequestUsage,
            GatewayRule.ReasonTooLong => "Shorten the reason.",
            GatewayRule.MaxDuration or GatewayRule.BadDuration => $"Durations are written {Durations.Examples}." + (usage is null ? string.Empty : " Write it as " + usage),
            GatewayRule.NotFound => "`/hoop status` lists your requests.",
            _ => null,
        };
        // Nobody known: the gateway's words say the same as the hint, which names the email Slack showed (probe GC4).
        return new ChatReply(hint is null ? $"⚠️ {detail}" : problem.Rule == GatewayRule.UnknownUser ? $"⚠️ {hint}" : $"⚠️ {detail}\n{hint}");
    }

    public static string Describe(AccessRequest r)
    {
        var line = $"{Mrkdwn.Code(r.Id)} {Mrkdwn.Bold(r.Connection)}";
        if (!r.IsCommandReview && r.Duration is { } duration)
        {
            line += " " + Mrkdwn.Escape(duration);
        }

        line += r.Status switch
        {
            RequestStatuses.Pending => $": waiting for approval ({r.Approvals.Count} of {r.MinApprovals})",
            RequestStatuses.Active when r.ExpiresAt is { } until => ": active until " + Mrkdwn.Time(until),
            _ => ": " + Mrkdwn.Escape(CardStatus.Word(r)),
        };
        if (r.IsCommandReview)
        {
            line += " (statement review)";
        }

        return line;
    }
}
