using Appliance.Chatops.Cards;
using Appliance.Chatops.Notifications;
using Appliance.Chatops.Slack.BlockKit;

namespace Appliance.Chatops.Events;

/// <summary>What chat does with each gateway event: cards, DMs, guardrail posts.</summary>
internal sealed partial class EventRouter(CardPublisher cards, RequesterNotifier requester, GuardrailNotifier guardrails, ILogger<EventRouter> logger)
{
    public async Task HandleAsync(GatewayEvent e, CancellationToken ct)
    {
        if (e.Type is EventTypes.GuardrailBlocked or EventTypes.GuardrailAlert)
        {
            if (e.Guardrail is { } guardrail)
            {
                await guardrails.PostAsync(e.Type, guardrail, e.OccurredAt, ct);
            }

            return;
        }

        if (e.Request is not { } request)
        {
            Log.Ignored(logger, e.Id, e.Type);
            return;
        }

        // Every request and grant event carries the whole snapshot; the card shows the newest.
        // grant.expiring changes nothing on the card (same version), so it is not rendered.
        // The card first, but a card Slack will not update (a channel gone, the bot removed) must
        // not hold back what the requester is told, their credential included (probe CB).
        Slack.Web.SlackApiException? cardFailed = null;
        if (e.Type != EventTypes.GrantExpiring)
        {
            try
            {
                await cards.PublishAsync(request, ct);
            }
            catch (Slack.Web.SlackApiException ex) when (ex.Error is "channel_not_found" or "not_in_channel" or "is_archived" or "cant_update_message")
            {
                // For good: a retry would fail the same. Anything else is retried with the event.
                cardFailed = ex;
            }
        }

        if (cardFailed is null && e.Type == EventTypes.GrantExtensionRequested && request.Extension is { } extension)
        {
            await cards.AnnounceAsync(request,
                $"⏳ {Mrkdwn.Escape(extension.RequestedBy ?? request.Requester)} asks to extend {Mrkdwn.Code(request.Id)} on {Mrkdwn.Bold(request.Connection)} " +
                $"by {Mrkdwn.Escape(extension.Duration)}" + (string.IsNullOrWhiteSpace(extension.Reason) ? "" : $" ({Mrkdwn.Escape(extension.Reason.ReplaceLineEndings(" "))})") +
                $": *Approve +{Mrkdwn.Escape(extension.Duration)}* or *Deny extension* on the card.", ct);
        }

        await requester.NotifyAsync(e.Type, request, e.Actor, ct, e.Reason);
        if (cardFailed is not null)
        {
            Log.CardFailed(logger, e.Id, request.Id, cardFailed.Error);
            if (e.Type == EventTypes.RequestCreated)
            {
                await requester.CardUnseenAsync(request, cardFailed.Error, ct);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Event {GatewayEventId}: the card of {RequestId} could not be posted or updated ({Error}); the requester's message went out without it")]
        public static partial void CardFailed(ILogger logger, string gatewayEventId, string requestId, string error);

        [LoggerMessage(EventId = 700, Level = LogLevel.Debug, Message = "Event {GatewayEventId} of type {Type} has nothing for chat")]
        public static partial void Ignored(ILogger logger, string gatewayEventId, string type);
    }
}
