using Appliance.Chatops.Gateway;
using Appliance.Chatops.Slack.BlockKit;

namespace Appliance.Chatops.Cards;

/// <summary>The status line of a card: who decided what, and until when.</summary>
internal static class CardStatus
{
    public static string Word(AccessRequest r) => r.Status switch
    {
        RequestStatuses.Pending => $"{r.Approvals.Count} of {r.MinApprovals} approvals",
        RequestStatuses.Active => "approved",
        RequestStatuses.Expired when r.IsCommandReview && r.EndReason == ReviewEnds.Executed => "ran",
        RequestStatuses.Expired when r.IsCommandReview && r.EndReason == ReviewEnds.Abandoned => "allowed, did not run",
        _ => r.Status,
    };

    public static string Line(AccessRequest r) => r.Status switch
    {
        RequestStatuses.Pending => Pending(r),
        RequestStatuses.Active => Active(r),
        RequestStatuses.Denied => $"❌ *Denied* by {Mrkdwn.Escape(r.DeniedBy ?? "an approver")}{Because(r.DenyReason)}",
        // Why, when the system ended it (a held statement's grant ended: it never ran; probe DL).
        RequestStatuses.Cancelled => "🚫 *Cancelled* by " + Mrkdwn.Escape(r.EndedBy ?? r.Requester) + Because(r.EndReason),
        RequestStatuses.Expired when r.ActivatedAt is null => "⌛ *Expired*: nobody decided in time",
        RequestStatuses.Expired when r.IsCommandReview => ReviewEnded(r),
        RequestStatuses.Expired => "⌛ *Expired*" + At(r.EndedAt ?? r.ExpiresAt) + Approved(r),
        RequestStatuses.Revoked => $"🛑 *Revoked* by {Mrkdwn.Escape(r.EndedBy ?? "an approver")}{At(r.EndedAt)}{Because(r.EndReason)}",
        _ => "Status: " + Mrkdwn.Escape(r.Status),
    };

    private static string Pending(AccessRequest r)
    {
        var line = $"⏳ *Waiting for approval*: {r.Approvals.Count} of {r.MinApprovals} approvals";
        if (r.Approvals.Count > 0)
        {
            line += " (" + string.Join(", ", r.Approvals.Select(a => Mrkdwn.Escape(a.By))) + ")";
        }

        return r.PendingUntil is { } until ? $"{line} · open until {Mrkdwn.Time(until)}" : line;
    }

    private static string Active(AccessRequest r)
    {
        var line = r.Approvals.Count == 0 ? "✅ *Approved automatically*" : "✅ *Approved*" + Approvers(r);
        if (r.IsCommandReview)
        {
            return line + ": the statement may run once";
        }

        if (r.ExpiresAt is { } expires)
        {
            line += " · active until " + Mrkdwn.Time(expires);
        }

        if (r.Extension is { } extension)
        {
            var count = extension.Approvals?.Count ?? 0;
            line += $"\n⏳ *Extension* by {Mrkdwn.Escape(extension.Duration)} asked by {Mrkdwn.Escape(extension.RequestedBy ?? r.Requester)}: {count} of {r.MinApprovals} approvals";

            // Approvers decide on why, as for the request itself (probe DL: they decided blind).
            if (!string.IsNullOrWhiteSpace(extension.Reason))
            {
                line += "\n" + CardRenderer.Quote(extension.Reason);
            }
        }

        return line;
    }

    /// <summary>
    /// An allowed statement's review ends when the statement runs (or its approval goes unused):
    /// the gateway stores that as expired with the reason, which the card says in words (probe AW:
    /// "Expired … by bob" read as if bob had ended it).
    /// </summary>
    private static string ReviewEnded(AccessRequest r) => r.EndReason switch
    {
        ReviewEnds.Executed => "▶️ *Ran*" + At(r.EndedAt) + Allowed(r),
        ReviewEnds.Abandoned => "⚠️ *Allowed*" + Approvers(r) + ", but the statement did not run (its client cancelled or left)",
        _ => "⌛ *Expired*" + At(r.EndedAt ?? r.ExpiresAt) + ": the approval was not used" + Allowed(r),
    };

    private static string Approved(AccessRequest r) => r.Approvals.Count == 0 ? string.Empty : " · approved" + Approvers(r);

    private static string Allowed(AccessRequest r) => r.Approvals.Count == 0 ? string.Empty : " · allowed" + Approvers(r);

    private static string Approvers(AccessRequest r) =>
        r.Approvals.Count == 0 ? string.Empty : " by " + string.Join(", ", r.Approvals.Select(WithComment));

    /// <summary>Who approved, and what they said when they did (<c>/hoop approve id ok for now</c>; probe AW).</summary>
    public static string WithComment(Approval a) =>
        string.IsNullOrWhiteSpace(a.Comment) ? Mrkdwn.Escape(a.By) : $"{Mrkdwn.Escape(a.By)} (“{Mrkdwn.Escape(a.Comment.Trim())}”)";

    private static string At(DateTimeOffset? time) => time is { } t ? " at " + Mrkdwn.Time(t) : string.Empty;

    private static string Because(string? reason) => string.IsNullOrWhiteSpace(reason) ? string.Empty : ": " + Mrkdwn.Escape(reason);
}
