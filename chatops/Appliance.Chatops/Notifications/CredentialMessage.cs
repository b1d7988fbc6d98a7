using System.Globalization;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Slack.BlockKit;
using Appliance.Chatops.Slack.Inbound;

namespace Appliance.Chatops.Notifications;

/// <summary>
/// The DM that hands a requester their connection details and grant credential. It goes to
/// the requester alone (a DM), never to a channel.
/// </summary>
internal static class CredentialMessage
{
    public static ChatReply Render(AccessRequest grant, GrantCredentials c)
    {
        var by = ApprovedBy(grant);
        var until = (c.ExpiresAt ?? grant.ExpiresAt) is { } expires ? " until " + Mrkdwn.Time(expires) : string.Empty;
        var text =
            $"✅ Your access to {Mrkdwn.Bold(grant.Connection)} ({Mrkdwn.Code(grant.Id)}) is approved {by}{until}.\n" +
            $"*Host* {Mrkdwn.Code(c.Host)}   *Port* {Mrkdwn.Code(c.Port.ToString(CultureInfo.InvariantCulture))}\n" +
            $"*User* {Mrkdwn.Code(c.User)}   *Database* {Mrkdwn.Code(c.Database)}\n" +
            $"*Password* {Mrkdwn.Code(c.Password)} (works for this grant only, and dies with it)\n" +
            "Connect with:\n" + Mrkdwn.CodeBlock("psql \"" + ConnectionUri(c) + "\"") +
            $"\nWhen you are done: {Mrkdwn.Code("/hoop done " + grant.Id)}";
        return new ChatReply(text, Blocks.List(Blocks.Section(text)));
    }

    /// <summary>"by bob@example.com" from the approvals themselves (an event's actor may read "… via chatops"), or "automatically".</summary>
    public static string ApprovedBy(AccessRequest r) =>
        r.Approvals.Count == 0 ? "automatically" : "by " + string.Join(", ", r.Approvals.Select(Cards.CardStatus.WithComment));

    /// <summary>The gateway's URI when it gives one; else built here, the user (an email) percent-encoded.</summary>
    public static string ConnectionUri(GrantCredentials c) =>
        c.Uri is { Length: > 0 } uri
            ? uri
            : string.Create(CultureInfo.InvariantCulture,
                $"postgresql://{Uri.EscapeDataString(c.User)}:{Uri.EscapeDataString(c.Password)}@{c.Host}:{c.Port}/{Uri.EscapeDataString(c.Database)}?sslmode=require");
}
