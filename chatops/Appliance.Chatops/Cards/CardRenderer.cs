using System.Text.Json.Nodes;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Slack.BlockKit;

namespace Appliance.Chatops.Cards;

/// <summary>
/// The approval card for a request, rendered from its snapshot alone, so any replica renders
/// the same card for the same version. Every user-supplied string goes through <see cref="Mrkdwn"/>.
/// </summary>
internal static class CardRenderer
{
    public const string ApproveAction = "approve";
    public const string DenyAction = "deny";
    public const string RevokeAction = "revoke";

    /// <summary>The extension's buttons: their own actions, so a click on an older card's Approve cannot approve an extension (probe BA).</summary>
    public const string ApproveExtensionAction = "approve_extension";
    public const string DenyExtensionAction = "deny_extension";

    public static (string Text, JsonArray Blocks) Render(AccessRequest request) =>
        request.IsCommandReview ? RenderCommandReview(request) : RenderAccess(request);

    private static (string, JsonArray) RenderAccess(AccessRequest r)
    {
        var text = $"Access request {r.Id}: {Mrkdwn.Escape(r.Requester)} asks for {Mrkdwn.Escape(r.Connection)} for {Mrkdwn.Escape(r.Duration)} ({CardStatus.Word(r)})";
        var blocks = Blocks.List(
            Blocks.Header($"🔐 Access request {r.Id}"),
            Blocks.Section($"{Mrkdwn.Bold(r.Requester)} asks for {Mrkdwn.Bold(r.Connection)} for {Mrkdwn.Bold(r.Duration ?? "the default time")}"),
            string.IsNullOrWhiteSpace(r.Reason) ? null : Blocks.Section("*Reason*\n" + Quote(r.Reason)),
            Blocks.Context(Context(r)),
            Blocks.Section(CardStatus.Line(r)),
            Buttons(r));
        return (text, blocks);
    }

    private static (string, JsonArray) RenderCommandReview(AccessRequest r)
    {
        var command = r.Command;
        var text = $"Statement held for review {r.Id}: {Mrkdwn.Escape(r.Requester)} on {Mrkdwn.Escape(r.Connection)} ({CardStatus.Word(r)})";
        var guardrail = command?.Guardrail is { } rule ? $"Guardrail {Mrkdwn.Code(rule)}" : "A guardrail";
        var statement = Mrkdwn.CodeBlocks(command?.Sql, MaxStatementBlocks);
        var tooLong = statement is null
            ? Blocks.Section(
                $"⚠️ The statement is {command?.Sql?.Length:N0} characters long, too long to show here whole, so it cannot be allowed from this card: "
                + $"read it whole with `GET /api/requests/{r.Id}` and decide there (`POST /api/requests/{r.Id}/approve`), or deny it here.")
            : null;
        var blocks = Blocks.List(
        [
            Blocks.Header($"🛡️ Statement held for review {r.Id}"),
            Blocks.Section($"{Mrkdwn.Bold(r.Requester)} ran this on {Mrkdwn.Bold(r.Connection)}; {guardrail} holds it until an approver decides:"),
            .. (statement ?? [Mrkdwn.CodeBlock(command?.Sql)]).Select(Blocks.Section),
            tooLong,
            command?.Message is { Length: > 0 } message ? Blocks.Section(Quote(message)) : null,
            Blocks.Context(Context(r) + (command?.SessionId is { } session ? $" · session {Mrkdwn.Code(session)}" : string.Empty)),
            Blocks.Section(CardStatus.Line(r)),
            Buttons(r, allow: statement is not null),
        ]);
        return (text, blocks);
    }

    /// <summary>
    /// A statement's code blocks on a card: Slack takes 50 blocks a message; the rest of the card
    /// needs a few, and a card this long is already more than an approver reads in a channel.
    /// </summary>
    internal const int MaxStatementBlocks = 10;

    private static string Context(AccessRequest r)
    {
        var parts = new List<string> { $"Request {Mrkdwn.Code(r.Id)}" };
        if (r.ApproverGroups.Count > 0)
        {
            parts.Add("approvers: " + string.Join(", ", r.ApproverGroups.Select(Mrkdwn.Escape)));
        }

        if (r.CreatedAt is { } created)
        {
            parts.Add("asked " + Mrkdwn.Time(created));
        }

        return string.Join(" · ", parts);
    }

    /// <summary>Approve and Deny while a decision is open, Revoke on an active grant; value = request id (docs/api.md).</summary>
    /// <param name="allow">Whether the card shows all an approver allows (a statement too long to show is only denied here).</param>
    private static JsonObject? Buttons(AccessRequest r, bool allow = true)
    {
        if (r.Status == RequestStatuses.Pending)
        {
            return allow
                ? Blocks.Actions(
                    "decision:" + r.Id,
                    Blocks.Button(ApproveAction, r.IsCommandReview ? "Allow once" : "Approve", r.Id, "primary"),
                    Blocks.Button(DenyAction, "Deny", r.Id, "danger"))
                : Blocks.Actions("decision:" + r.Id, Blocks.Button(DenyAction, "Deny", r.Id, "danger"));
        }

        if (r.Status != RequestStatuses.Active || r.IsCommandReview)
        {
            return null;
        }

        // An active grant can be ended from its card by an approver or admin (the gateway decides who may).
        var revoke = Blocks.ConfirmedButton(RevokeAction, "Revoke", r.Id, "danger", "Revoke this grant?",
            $"{Mrkdwn.Escape(r.Requester)} loses access to {Mrkdwn.Bold(r.Connection)} now; open sessions are cut.", "Revoke");

        // With an extension waiting, its own approve and deny come first (docs/api.md); Revoke stays.
        return r.Extension is null
            ? Blocks.Actions("grant:" + r.Id, revoke)
            : Blocks.Actions(
                "decision:" + r.Id,
                Blocks.Button(ApproveExtensionAction, $"Approve +{r.Extension.Duration}", ExtensionValue(r.Id, r.Extension), "primary"),
                Blocks.Button(DenyExtensionAction, "Deny extension", r.Id, null),
                revoke);
    }

    /// <summary>
    /// An extension's Approve names which extension: the grant's id and when it was asked for, so
    /// a click on a card showing an earlier one cannot approve a later, different one (probe CB).
    /// </summary>
    public static string ExtensionValue(string id, PendingExtension extension) =>
        extension.RequestedAt is { } at ? $"{id}@{at.ToUnixTimeMilliseconds()}" : id;

    /// <summary>The request id a button's value names, and the extension it names, if any (<see cref="ExtensionValue"/>).</summary>
    public static (string Id, long? ExtensionAskedAt) ReadValue(string value) =>
        value.IndexOf('@', StringComparison.Ordinal) is var at and > 0
        && long.TryParse(value.AsSpan(at + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? (value[..at], ms)
            : (value, null);

    /// <summary>A block quote of user text, every line quoted so none escapes the quote.</summary>
    internal static string Quote(string text) =>
        string.Join('\n', Mrkdwn.Escape(text).Split('\n').Select(line => "&gt; " + line));
}
