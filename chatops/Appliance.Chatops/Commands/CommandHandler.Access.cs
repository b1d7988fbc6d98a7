using Appliance.Chatops.Gateway;
using Appliance.Chatops.Slack.BlockKit;
using Appliance.Chatops.Slack.Inbound;

namespace Appliance.Chatops.Commands;

/// <summary>request, list, status: asking for access and seeing where things stand.</summary>
internal sealed partial class CommandHandler
{
    private const int StatusLimit = 10;

    private async Task<ChatReply> RequestAsync(string email, RequestCommand command, CancellationToken ct)
    {
        var result = await gateway.CreateRequestAsync(email, new NewRequest(command.Connection, command.Duration, command.Reason), ct);
        if (!result.IsSuccess)
        {
            return CommandReplies.Refused(result.Problem, email, CommandParser.RequestUsage);
        }

        var r = result.Value;
        if (r.Status == RequestStatuses.Active)
        {
            return new ChatReply($"✅ {Mrkdwn.Code(r.Id)}: access to {Mrkdwn.Bold(r.Connection)} was approved automatically. Your connection details are on their way in a DM.");
        }

        var where = string.IsNullOrEmpty(r.Channel) ? "the approvers" : "#" + Mrkdwn.Escape(r.Channel);
        return new ChatReply(
            $"📨 Request {Mrkdwn.Code(r.Id)} for {Mrkdwn.Bold(r.Connection)} ({Mrkdwn.Escape(r.Duration)}) is waiting for approval in {where}. " +
            "You will get a DM when it is decided.");
    }

    private async Task<ChatReply> ListAsync(string email, CancellationToken ct)
    {
        var result = await gateway.ListConnectionsAsync(email, ct);
        if (!result.IsSuccess)
        {
            return CommandReplies.Refused(result.Problem, email);
        }

        var requestable = result.Value.Where(c => c.CanRequest).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var approvable = result.Value.Where(c => c.CanApprove).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var lines = new List<string>();
        if (requestable.Count == 0)
        {
            lines.Add("There is no connection you can request. Ask an admin to add you to a requester group.");
        }
        else
        {
            lines.Add("*You can request:*");
            lines.AddRange(requestable.Select(Describe));
            lines.Add("Ask with " + CommandParser.RequestUsage);
        }

        if (approvable.Count > 0)
        {
            lines.Add("*You approve:* " + string.Join(", ", approvable.Select(c => Mrkdwn.Bold(c.Name))));
        }

        return new ChatReply(string.Join('\n', lines));
    }

    private static string Describe(GatewayConnection c)
    {
        var facts = new List<string>();
        if (c.AutoApprove)
        {
            facts.Add("approved automatically for you");
        }

        if (c.DefaultDuration is { } d)
        {
            facts.Add("default " + Mrkdwn.Escape(d));
        }

        if (c.MaxDuration is { } max)
        {
            facts.Add("max " + Mrkdwn.Escape(max));
        }

        if (c.Reason == "required")
        {
            facts.Add("reason required");
        }

        var type = c.Type is { } t ? $" ({Mrkdwn.Escape(t)})" : string.Empty;
        return $"• {Mrkdwn.Bold(c.Name)}{type}" + (facts.Count > 0 ? ": " + string.Join(", ", facts) : string.Empty);
    }

    private async Task<ChatReply> StatusAsync(string email, CancellationToken ct)
    {
        var mine = await gateway.ListRequestsAsync(email, email, ct);
        if (!mine.IsSuccess)
        {
            return CommandReplies.Refused(mine.Problem, email);
        }

        var lines = new List<string>();
        var current = mine.Value
            .Where(r => string.Equals(r.Requester, email, StringComparison.OrdinalIgnoreCase))
            .OrderBy(r => r.Status is RequestStatuses.Active or RequestStatuses.Pending ? 0 : 1)
            .Take(StatusLimit)
            .ToList();
        lines.Add(current.Count == 0 ? "You have no requests. " + CommandParser.RequestUsage : "*Your requests and grants:*");
        lines.AddRange(current.Select(r => "• " + CommandReplies.Describe(r)));

        // What this person may decide: requests and extensions on connections they approve, not
        // everything an auditor may see (probe BA).
        var connections = await gateway.ListConnectionsAsync(email, ct);
        var approves = connections.IsSuccess
            ? connections.Value.Where(c => c.CanApprove).Select(c => c.Name).ToHashSet(StringComparer.Ordinal)
            : [];
        bool ForMe(AccessRequest r) => approves.Contains(r.Connection) && !string.Equals(r.Requester, email, StringComparison.OrdinalIgnoreCase);

        var waiting = await gateway.ListPendingAsync(email, ct);
        if (approves.Count > 0 && waiting.IsSuccess && waiting.Value.Where(ForMe).Take(StatusLimit).ToList() is { Count: > 0 } forMe)
        {
            lines.Add("*Waiting for your approval:*");
            lines.AddRange(forMe.Select(r => $"• {CommandReplies.Describe(r)} asked by {Mrkdwn.Escape(r.Requester)}"));
        }

        var grants = approves.Count > 0 ? await gateway.ListActiveGrantsAsync(email, ct) : null;
        if (grants is { IsSuccess: true } && grants.Value.Where(g => g.Extension is not null && ForMe(g)).Take(StatusLimit).ToList() is { Count: > 0 } extensions)
        {
            lines.Add("*Extensions waiting for your approval:*");
            lines.AddRange(extensions.Select(g =>
                $"• {CommandReplies.Describe(g)}: +{Mrkdwn.Escape(g.Extension!.Duration)} asked by {Mrkdwn.Escape(g.Extension.RequestedBy ?? g.Requester)}"));
        }

        return new ChatReply(string.Join('\n', lines));
    }
}
