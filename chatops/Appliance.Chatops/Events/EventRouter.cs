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
        if (e.Type != EventTypes.GrantExpiring)
        {
            await cards.PublishAsync(request, ct);
        }

        if (e.Type == EventTypes.GrantExtensionRequested && request.Extension is { } extension)
        {
            await cards.AnnounceAsync(request,
                $"⏳ {Mrkdwn.Escape(extension.RequestedBy ?? request.Requester)} asks to extend {Mrkdwn.Code(request.Id)} on {Mrkdwn.Bold(request.Connection)} " +
                $"by {Mrkdwn.Escape(extension.Duration)}: *Approve +{Mrkdwn.Escape(extension.Duration)}* or *Deny extension* on the card.", ct);
        }

        await requester.NotifyAsync(e.Type, request, e.Actor, ct, e.Reason);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Debug, Message = "Event {GatewayEventId} of type {Type} has nothing for chat")]
        public static partial void Ignored(ILogger logger, string gatewayEventId, string type);
    }
}
