using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Chatops.Cards;
using Appliance.Chatops.Commands;
using Appliance.Chatops.Configuration;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Operations;
using Appliance.Chatops.Slack.BlockKit;
using Appliance.Chatops.Slack.Inbound;
using Appliance.Chatops.Slack.People;
using Appliance.Chatops.Slack.Web;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Interactions;

/// <summary>
/// Clicks on a card (<c>block_actions</c>) and the Deny modal's submission
/// (<c>view_submission</c>), whichever transport brought them. The clicker acts on their own
/// behalf: the gateway decides whether they may, and a refusal is shown only to them.
/// </summary>
internal sealed partial class InteractionProcessor(
    GatewayClient gateway,
    SlackApiClient slack,
    SlackDirectory people,
    CardPublisher cards,
    BackgroundWork work,
    IOptions<ChatopsOptions> options,
    TimeProvider time,
    ILogger<InteractionProcessor> logger)
{
    /// <summary>The acknowledgement body for Slack, or null for an empty 200.</summary>
    public async Task<JsonObject?> AcknowledgeAsync(JsonElement payload)
    {
        switch (JsonPath.String(payload, "type"))
        {
            case "block_actions":
                await BlockActionsAsync(payload);
                return null;
            case "view_submission" when JsonPath.String(payload, "view", "callback_id") == DenyModal.CallbackId:
                return await DenySubmittedAsync(payload);
            default:
                return null;
        }
    }

    private async Task BlockActionsAsync(JsonElement payload)
    {
        if (!payload.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array || actions.GetArrayLength() == 0)
        {
            return;
        }

        var action = actions[0];
        var value = JsonPath.String(action, "value");
        var clicker = new Clicker(
            JsonPath.String(payload, "user", "id") ?? string.Empty,
            JsonPath.String(payload, "container", "channel_id") ?? JsonPath.String(payload, "channel", "id"),
            JsonPath.String(payload, "response_url"));
        if (string.IsNullOrEmpty(value) || clicker.UserId.Length == 0)
        {
            return;
        }

        var (requestId, extensionAskedAt) = CardRenderer.ReadValue(value);

        switch (JsonPath.String(action, "action_id"))
        {
            case CardRenderer.DenyAction or CardRenderer.DenyExtensionAction:
                // The trigger id lives about 3 s: the modal opens before anything slow.
                await OpenDenyModalAsync(JsonPath.String(payload, "trigger_id"), requestId, clicker,
                    extension: JsonPath.String(action, "action_id") == CardRenderer.DenyExtensionAction);
                break;
            case CardRenderer.ApproveAction:
                _ = work.Start("approve click", ct => DecideAsync(requestId, clicker, Click.Approve, ct));
                break;
            case CardRenderer.ApproveExtensionAction:
                _ = work.Start("approve extension click", ct => DecideAsync(requestId, clicker, Click.ApproveExtension, ct, extensionAskedAt));
                break;
            case CardRenderer.RevokeAction:
                _ = work.Start("revoke click", ct => DecideAsync(requestId, clicker, Click.Revoke, ct));
                break;
        }
    }

    private async Task OpenDenyModalAsync(string? triggerId, string requestId, Clicker clicker, bool extension)
    {
        try
        {
            if (triggerId is null)
            {
                throw new SlackApiException("views.open", "no_trigger_id");
            }

            await slack.OpenViewAsync(
                triggerId, DenyModal.Build(new DenyContext(requestId, clicker.Channel, clicker.ResponseUrl, extension), extension), CancellationToken.None);
        }
        catch (SlackApiException)
        {
            _ = work.Start("deny fallback", ct => TellAsync(clicker, new ChatReply(
                $"⚠️ The deny form could not be opened. Deny with {Mrkdwn.Code("/hoop deny " + requestId + " <reason>")} instead."), ct));
        }
    }

    private enum Click
    {
        Approve,
        ApproveExtension,
        Revoke,
    }

    /// <summary>
    /// An Approve click (of the request, or of its extension), or a confirmed Revoke click (the
    /// grant ends, "revoked from its card"). The gateway's approve decides by the request's state,
    /// so an Approve is first checked against what its button showed: a click on an older card's
    /// Approve would otherwise approve an extension its clicker never saw (probe BA).
    /// </summary>
    /// <param name="extensionAskedAt">For an extension's Approve: when the extension its card showed was asked for.</param>
    private async Task DecideAsync(string requestId, Clicker clicker, Click click, CancellationToken ct, long? extensionAskedAt = null)
    {
        var email = await EmailOfAsync(clicker, ct);
        if (email is null)
        {
            return;
        }

        GatewayResult<AccessRequest> result;
        try
        {
            if (click != Click.Revoke && await gateway.GetRequestAsync(email, requestId, ct) is { IsSuccess: true } current
                && (current.Value.Extension is not null != (click == Click.ApproveExtension)
                    || (extensionAskedAt is { } asked && current.Value.Extension?.RequestedAt?.ToUnixTimeMilliseconds() != asked)))
            {
                await TellAsync(clicker, new ChatReply(
                    $"⚠️ The card of {Mrkdwn.Code(requestId)} has changed since it showed that button: look at it again before you decide."), ct);
                await cards.RefreshAsync(current.Value, ct);
                return;
            }

            result = click == Click.Revoke
                ? await gateway.RevokeAsync(email, requestId, "revoked from its card in Slack", ct)
                : await gateway.ApproveAsync(email, requestId, null, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or GatewayException)
        {
            Log.GatewayFailed(logger, ex, requestId);
            await TellAsync(clicker, CommandReplies.GatewayUnreachable, ct);
            return;
        }

        if (!result.IsSuccess)
        {
            Log.ClickRefused(logger, clicker.UserId, requestId, result.Problem.RuleName ?? "-");
            await TellAsync(clicker, CommandReplies.Refused(result.Problem, email), ct);
            return;
        }

        await cards.RefreshAsync(result.Value, ct);
    }

    private async Task<JsonObject?> DenySubmittedAsync(JsonElement payload)
    {
        var context = DenyModal.ReadContext(JsonPath.String(payload, "view", "private_metadata"));
        var userId = JsonPath.String(payload, "user", "id");
        if (context is null || userId is null)
        {
            return null;
        }

        var reason = ReadReason(payload);
        var clicker = new Clicker(userId, context.Channel, context.ResponseUrl);
        var outcome = work.Start("deny submission", ct => DenyAsync(context.Id, reason, clicker, ct, context.Extension));
        if (await AckBudget.FinishesWithinAsync(outcome, options.Value.AckBudget, time))
        {
            // A refusal shows in the modal itself, next to the reason.
            return await outcome is { } refusal
                ? new JsonObject { ["response_action"] = "errors", ["errors"] = new JsonObject { [DenyModal.ReasonBlock] = refusal } }
                : null;
        }

        // Too slow for the modal: close it now, and tell the approver privately when done.
        _ = work.Start("deny late reply", async ct =>
        {
            if (await outcome is { } late)
            {
                await TellAsync(clicker, new ChatReply("⚠️ " + Mrkdwn.Escape(late)), ct);
            }
        });
        return null;
    }

    /// <summary>Null when denied; else the refusal, as plain text for the modal.</summary>
    /// <param name="extension">Whether the form came from the extension's Deny: the gateway denies what is pending, so a request's Deny on a card that now shows an extension would deny that (probe EG3).</param>
    private async Task<string?> DenyAsync(string requestId, string? reason, Clicker clicker, CancellationToken ct, bool? extension = null)
    {
        var email = await EmailOfAsync(clicker, ct);
        if (email is null)
        {
            return "Slack shows no email address for you, so the appliance cannot tell who you are.";
        }

        GatewayResult<AccessRequest> result;
        try
        {
            if (extension is { } denyingExtension && await gateway.GetRequestAsync(email, requestId, ct) is { IsSuccess: true } current
                && current.Value.Extension is not null != denyingExtension)
            {
                await cards.RefreshAsync(current.Value, ct);
                return $"The card of {requestId} has changed since it showed that button: look at it again before you decide.";
            }

            result = await gateway.DenyAsync(email, requestId, reason, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or GatewayException)
        {
            Log.GatewayFailed(logger, ex, requestId);
            return "The appliance could not be reached just now. Try again in a minute.";
        }

        if (!result.IsSuccess)
        {
            Log.ClickRefused(logger, clicker.UserId, requestId, result.Problem.RuleName ?? "-");
            return result.Problem.Rule == GatewayRule.UnknownUser
                ? $"The appliance knows nobody with the email {email}. Ask an admin to add it."
                : result.Problem.Message;
        }

        await cards.RefreshAsync(result.Value, ct);
        return null;
    }

    private async Task<string?> EmailOfAsync(Clicker clicker, CancellationToken ct)
    {
        var user = await people.GetAsync(clicker.UserId, ct);
        if (user?.Email is { } email)
        {
            return email;
        }

        await TellAsync(clicker, CommandReplies.NoEmail(clicker.UserId), ct);
        return null;
    }

    /// <summary>
    /// An ephemeral message to the clicker: through the interaction's response_url (works even
    /// where the bot is not a member), else chat.postEphemeral.
    /// </summary>
    private async Task TellAsync(Clicker clicker, ChatReply reply, CancellationToken ct)
    {
        if (Uri.TryCreate(clicker.ResponseUrl, UriKind.Absolute, out var url))
        {
            await slack.PostToResponseUrlAsync(url, reply.ToEphemeral(), ct);
        }
        else if (clicker.Channel is { } channel)
        {
            await slack.PostEphemeralAsync(channel, clicker.UserId, reply.Text, reply.Blocks, ct);
        }
    }

    private static string? ReadReason(JsonElement payload)
    {
        if (payload.TryGetProperty("view", out var view)
            && view.TryGetProperty("state", out var state)
            && state.TryGetProperty("values", out var values))
        {
            var reason = JsonPath.String(values, DenyModal.ReasonBlock, DenyModal.ReasonAction, "value");
            return string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        }

        return null;
    }

    private sealed record Clicker(string UserId, string? Channel, string? ResponseUrl);

    private static partial class Log
    {
        [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Slack user {UserId} was refused on {RequestId}: rule {Rule}")]
        public static partial void ClickRefused(ILogger logger, string userId, string requestId, string rule);

        [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "The gateway could not be reached, or answered out of contract, deciding {RequestId}")]
        public static partial void GatewayFailed(ILogger logger, Exception exception, string requestId);
    }
}
