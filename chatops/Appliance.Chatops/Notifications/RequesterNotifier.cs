using Appliance.Chatops.Events;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Slack.BlockKit;
using Appliance.Chatops.Slack.Inbound;

namespace Appliance.Chatops.Notifications;

/// <summary>
/// Tells the requester, by DM, what happened to their request or grant: approved (with the
/// credential), denied, about to expire, expired, revoked, extended.
/// </summary>
internal sealed partial class RequesterNotifier(GatewayClient gateway, DirectMessenger dm, ILogger<RequesterNotifier> logger)
{
    public async Task NotifyAsync(string eventType, AccessRequest r, string? actor, CancellationToken ct, string? reason = null)
    {
        switch (eventType)
        {
            case EventTypes.RequestApproved:
            case EventTypes.RequestCreated when r.Status == RequestStatuses.Active:
                await ApprovedOnceAsync(r, ct);
                return;
        }

        if (Message(eventType, r, actor, reason) is { } text)
        {
            await dm.SendAsync(r.Requester, new ChatReply(text), ct);
        }
    }

    /// <summary>
    /// The card of a request waiting for approval could not be posted (the channel is gone, the
    /// bot is not in it): no approver has seen it, and the requester was told it waits there
    /// (probe KC3). They are told, with how it can still be decided.
    /// </summary>
    public async Task CardUnseenAsync(AccessRequest r, string error, CancellationToken ct)
    {
        if (r.Status != RequestStatuses.Pending)
        {
            return;
        }

        await dm.SendAsync(r.Requester, new ChatReply(
            $"⚠️ The approvers' channel for {Mrkdwn.Bold(r.Connection)} could not be reached ({Mrkdwn.Escape(error)}), so no approver has seen " +
            $"request {Mrkdwn.Code(r.Id)}. An approver can still decide it with {Mrkdwn.Code($"/hoop approve {r.Id}")}; ask your admin to check the channel."), ct);
    }

    /// <summary>
    /// An auto-approved request may arrive both as <c>request.created</c> (already active) and
    /// <c>request.approved</c>; the claim makes the credential DM go out once.
    /// </summary>
    private async Task ApprovedOnceAsync(AccessRequest r, CancellationToken ct)
    {
        var claim = "approved-dm:" + r.Id;
        if (!await gateway.TryClaimAsync(claim, ct))
        {
            return;
        }

        try
        {
            await dm.SendAsync(r.Requester, await ApprovedMessageAsync(r, ct), ct);
        }
        catch
        {
            await gateway.ReleaseClaimAsync(claim, CancellationToken.None);
            throw;
        }
    }

    private async Task<ChatReply> ApprovedMessageAsync(AccessRequest r, CancellationToken ct)
    {
        if (r.IsCommandReview)
        {
            return new ChatReply($"✅ Your statement on {Mrkdwn.Bold(r.Connection)} (review {Mrkdwn.Code(r.Id)}) was allowed {CredentialMessage.ApprovedBy(r)}: it may run once.");
        }

        var credentials = await gateway.CreateCredentialsAsync(r.Requester, r.Id, ct);
        if (credentials.IsSuccess)
        {
            return CredentialMessage.Render(r, credentials.Value);
        }

        Log.NoCredential(logger, r.Id, credentials.Problem.Message);
        return new ChatReply(
            $"✅ Your access to {Mrkdwn.Bold(r.Connection)} ({Mrkdwn.Code(r.Id)}) is approved {CredentialMessage.ApprovedBy(r)}, " +
            $"but the gateway did not issue a credential: {Mrkdwn.Escape(credentials.Problem.Message)}");
    }

    private static string? Message(string eventType, AccessRequest r, string? actor, string? reason)
    {
        var what = r.IsCommandReview
            ? $"Your statement on {Mrkdwn.Bold(r.Connection)} (review {Mrkdwn.Code(r.Id)})"
            : $"Your access to {Mrkdwn.Bold(r.Connection)} ({Mrkdwn.Code(r.Id)})";
        var request = r.IsCommandReview ? what : $"Your request for {Mrkdwn.Bold(r.Connection)} ({Mrkdwn.Code(r.Id)})";
        return eventType switch
        {
            EventTypes.RequestDenied => $"❌ {request} was denied by {Mrkdwn.Escape(r.DeniedBy ?? actor ?? "an approver")}" + Because(r.DenyReason),
            // An allowed statement's approval that ended unused (its time ran out, or its grant ended).
            EventTypes.RequestExpired when r.IsCommandReview && r.ActivatedAt is not null =>
                $"⌛ The approval of your statement on {Mrkdwn.Bold(r.Connection)} (review {Mrkdwn.Code(r.Id)}) ended unused{Because(r.EndReason).TrimEnd('.')}. Run the statement again to ask anew.",
            EventTypes.RequestExpired => $"⌛ {request} expired: nobody decided in time. Ask again with {Mrkdwn.Code($"/hoop request {r.Connection}")}.",
            // Cancelled by someone else than the requester: the gateway, when a policy change took
            // the request away (probe KC2: the reply had promised a DM, and none came). A held
            // statement's review withdrawn with its client needs no word.
            EventTypes.RequestCancelled when !r.IsCommandReview && !IsSelf(r, actor) =>
                $"🚫 {request} was cancelled by {Mrkdwn.Escape(r.EndedBy ?? PersonOf(actor))}{Because(r.EndReason)}",
            EventTypes.GrantExpiring => $"⏳ {what} expires {Until(r)}. Need longer? {Mrkdwn.Code($"/hoop extend {r.Id} 30m")}",
            // The gateway says what became of an extension still pending.
            EventTypes.GrantExpired => $"⌛ {what} has expired; open sessions were closed." + Sentence(reason),
            EventTypes.GrantRevoked when r.IsCommandReview =>
                $"🛑 The approval of your statement on {Mrkdwn.Bold(r.Connection)} (review {Mrkdwn.Code(r.Id)}) was withdrawn by {Mrkdwn.Escape(r.EndedBy ?? actor ?? "an approver")}{Because(r.EndReason).TrimEnd('.')}. It will not run on it.",
            EventTypes.GrantRevoked when IsSelf(r, actor) => $"🛑 {what} has ended, as you asked; open sessions were closed.",
            EventTypes.GrantRevoked => $"🛑 {what} was revoked by {Mrkdwn.Escape(r.EndedBy ?? actor ?? "an approver")}{Because(r.EndReason)}; open sessions were closed.",
            // "extended by 2m, as alice asked", or by whom else and what became of her pending one.
            EventTypes.GrantExtended => $"➕ {what} was {(string.IsNullOrWhiteSpace(reason) ? "extended" : Mrkdwn.Escape(reason))}: it now ends {Until(r)}.",
            // The person, not how their click reached the gateway ("bob@example.com via chatops", probe EG4).
            EventTypes.GrantExtensionDenied =>
                $"❌ The extension of your access to {Mrkdwn.Bold(r.Connection)} ({Mrkdwn.Code(r.Id)}) was denied by {Mrkdwn.Escape(PersonOf(actor))}"
                + $"{(string.IsNullOrWhiteSpace(reason) ? "" : ": " + Mrkdwn.Escape(reason))}; it still ends {Until(r)}.",
            _ => null,
        };
    }

    private const string ViaChatops = " via chatops";

    private static string PersonOf(string? actor) =>
        actor is null ? "an approver" : actor.EndsWith(ViaChatops, StringComparison.Ordinal) ? actor[..^ViaChatops.Length] : actor;

    private static bool IsSelf(AccessRequest r, string? actor) =>
        string.Equals(r.EndedBy ?? actor, r.Requester, StringComparison.OrdinalIgnoreCase);

    private static string Until(AccessRequest r) => r.ExpiresAt is { } t ? "at " + Mrkdwn.Time(t) : "soon";

    private static string Sentence(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "" : " " + Mrkdwn.Escape(char.ToUpperInvariant(text[0]) + text[1..]) + ".";

    private static string Because(string? reason) => string.IsNullOrWhiteSpace(reason) ? "." : ": " + Mrkdwn.Escape(reason);

    private static partial class Log
    {
        [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Grant {RequestId} is active but no credential was issued: {Detail}")]
        public static partial void NoCredential(ILogger logger, string requestId, string detail);
    }
}
