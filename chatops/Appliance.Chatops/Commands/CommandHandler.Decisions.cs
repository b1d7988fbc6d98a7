using Appliance.Chatops.Gateway;
using Appliance.Chatops.Slack.BlockKit;
using Appliance.Chatops.Slack.Inbound;

namespace Appliance.Chatops.Commands;

/// <summary>approve, deny, done, revoke, extend: changing a request or grant.</summary>
internal sealed partial class CommandHandler
{
    private async Task<ChatReply> DecideAsync(string email, DecideCommand command, CancellationToken ct)
    {
        if (command.Approve && await gateway.GetRequestAsync(email, command.Id, ct) is { IsSuccess: true } held
            && held.Value.IsCommandReview && Mrkdwn.CodeBlocks(held.Value.Command?.Sql, Cards.CardRenderer.MaxStatementBlocks) is null)
        {
            // What chat cannot show whole is not allowed from chat, by the card or by command (probe EP2).
            return new ChatReply(
                $"⚠️ The statement of {Mrkdwn.Code(held.Value.Id)} is {held.Value.Command?.Sql?.Length:N0} characters long, too long to show in Slack whole, "
                + $"so it is not allowed from here: read it whole with `GET /api/requests/{held.Value.Id}` and approve there (`POST /api/requests/{held.Value.Id}/approve`).");
        }

        var result = command.Approve
            ? await gateway.ApproveAsync(email, command.Id, command.Text, ct)
            : await gateway.DenyAsync(email, command.Id, command.Text, ct);
        if (!result.IsSuccess)
        {
            return CommandReplies.Refused(result.Problem, email, command.Approve ? CommandParser.ApproveUsage : CommandParser.DenyUsage);
        }

        await cards.RefreshAsync(result.Value, ct);
        var r = result.Value;
        return new ChatReply(command.Approve
            ? $"👍 {Mrkdwn.Code(r.Id)} ({Mrkdwn.Escape(r.Requester)} on {Mrkdwn.Bold(r.Connection)}): {StatusAfterApproval(r)}"
            : $"❌ Denied {Mrkdwn.Code(r.Id)} ({Mrkdwn.Escape(r.Requester)} on {Mrkdwn.Bold(r.Connection)}).");
    }

    private static string StatusAfterApproval(AccessRequest r) =>
        r.Status == RequestStatuses.Pending ? $"approval recorded, {r.Approvals.Count} of {r.MinApprovals}." : "approved.";

    private async Task<ChatReply> DoneAsync(string email, DoneCommand command, CancellationToken ct)
    {
        AccessRequest target;
        if (command.Id is null)
        {
            var grants = await gateway.ListActiveGrantsAsync(email, ct);
            if (!grants.IsSuccess)
            {
                return CommandReplies.Refused(grants.Problem, email, CommandParser.DoneUsage);
            }

            var mine = grants.Value.Where(g => string.Equals(g.Requester, email, StringComparison.OrdinalIgnoreCase) && !g.IsCommandReview).ToList();
            switch (mine.Count)
            {
                case 0:
                    return new ChatReply("You have no active grant. `/hoop status` shows your requests.");
                case > 1:
                    return new ChatReply("You have several active grants; which one?\n" +
                        string.Join('\n', mine.Select(g => "• " + CommandReplies.Describe(g))) + "\nWrite it as " + CommandParser.DoneUsage);
            }

            target = mine[0];
        }
        else
        {
            var found = await gateway.GetRequestAsync(email, command.Id, ct);
            if (!found.IsSuccess)
            {
                return CommandReplies.Refused(found.Problem, email, CommandParser.DoneUsage);
            }

            target = found.Value;
            if (target.IsCommandReview)
            {
                // "done" ends access; a review is a statement's approval (probe CB).
                return new ChatReply($"⚠️ {Mrkdwn.Code(target.Id)} is a statement review, not a grant: {Mrkdwn.Code("/hoop done")} ends grants. " +
                    $"To withdraw its approval: {Mrkdwn.Code($"/hoop revoke {target.Id}")}");
            }

            if (!string.Equals(target.Requester, email, StringComparison.OrdinalIgnoreCase))
            {
                // "done" is the requester's; ending someone else's grant is a revoke, said as one (probe BA).
                return new ChatReply($"⚠️ {Mrkdwn.Code(target.Id)} is {Mrkdwn.Escape(target.Requester)}'s: {Mrkdwn.Code("/hoop done")} ends your own. " +
                    $"To end theirs: {Mrkdwn.Code($"/hoop revoke {target.Id} <reason>")}");
            }
        }

        // "done" on a request still waiting for approval withdraws it.
        var ended = target.Status == RequestStatuses.Pending
            ? await gateway.CancelAsync(email, target.Id, ct)
            : await gateway.RevokeAsync(email, target.Id, null, ct);
        if (!ended.IsSuccess)
        {
            return CommandReplies.Refused(ended.Problem, email, CommandParser.DoneUsage);
        }

        await cards.RefreshAsync(ended.Value, ct);
        return new ChatReply(ended.Value.Status == RequestStatuses.Cancelled
            ? $"🚫 Withdrew request {Mrkdwn.Code(target.Id)} for {Mrkdwn.Bold(target.Connection)}."
            : $"🛑 Ended {Mrkdwn.Code(target.Id)}: your access to {Mrkdwn.Bold(target.Connection)} is closed.");
    }

    private async Task<ChatReply> RevokeAsync(string email, RevokeCommand command, CancellationToken ct)
    {
        var result = await gateway.RevokeAsync(email, command.Id, command.Reason, ct);
        if (!result.IsSuccess)
        {
            return CommandReplies.Refused(result.Problem, email, CommandParser.RevokeUsage);
        }

        await cards.RefreshAsync(result.Value, ct);
        var r = result.Value;
        return new ChatReply(r.IsCommandReview
            ? $"🛑 Withdrew the approval of review {Mrkdwn.Code(r.Id)} ({Mrkdwn.Escape(r.Requester)} on {Mrkdwn.Bold(r.Connection)}): the statement will not run on it."
            : $"🛑 Revoked {Mrkdwn.Code(r.Id)} ({Mrkdwn.Escape(r.Requester)} on {Mrkdwn.Bold(r.Connection)}): its sessions are cut.");
    }

    private async Task<ChatReply> ExtendAsync(string email, ExtendCommand command, CancellationToken ct)
    {
        var result = await gateway.ExtendAsync(email, command.Id, command.Duration, command.Reason, ct);
        if (!result.IsSuccess)
        {
            return CommandReplies.Refused(result.Problem, email, CommandParser.ExtendUsage);
        }

        await cards.RefreshAsync(result.Value, ct);
        var r = result.Value;
        return new ChatReply(r.Extension is not null
            ? $"⏳ Asked to extend {Mrkdwn.Code(r.Id)} by {Mrkdwn.Escape(command.Duration)}: waiting for approval."
            : $"➕ {Mrkdwn.Code(r.Id)} on {Mrkdwn.Bold(r.Connection)} now runs" + (r.ExpiresAt is { } t ? " until " + Mrkdwn.Time(t) : string.Empty) + ".");
    }
}
