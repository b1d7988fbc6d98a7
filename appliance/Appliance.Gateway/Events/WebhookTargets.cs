using Appliance.Gateway.Configuration;
using Appliance.Gateway.Hosting;
using Appliance.Policy.Configuration;
using Microsoft.Extensions.Options;

namespace Appliance.Gateway.Events;

/// <summary>
/// Who receives which events: the webhooks of the current policy, plus chatops (every chat-worthy
/// event, signed with the chatops token). A delivery names its target by URL; the secret is looked
/// up when it is sent, so a rotated secret applies to retries too.
/// </summary>
internal interface IWebhookTargets
{
    /// <summary>The targets (URLs) subscribed to <paramref name="eventType"/>.</summary>
    IEnumerable<string> For(string eventType);

    /// <summary>The signing secret for a target, or null when it is no longer configured.</summary>
    string? SecretFor(string target);
}

internal sealed class WebhookTargets(IPolicyProvider policy, IOptions<GatewayOptions> options) : IWebhookTargets
{
    private readonly string? _chatopsUrl = ChatopsEventsUrl(options.Value);
    private readonly string? _chatopsSecret = options.Value.ChatopsToken;

    public IEnumerable<string> For(string eventType)
    {
        if (_chatopsUrl is not null && EventTypes.ChatopsSubscription.Any(p => EventPattern.Matches(p, eventType)))
        {
            yield return _chatopsUrl;
        }

        // A URL is one target (deliveries are keyed by event and URL): two webhook entries with the
        // same URL must not make every state change fail on a duplicate delivery row.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var webhook in policy.Current.Webhooks)
        {
            var url = webhook.Url.ToString();
            if (webhook.Wants(eventType) && url != _chatopsUrl && seen.Add(url))
            {
                yield return url;
            }
        }
    }

    public string? SecretFor(string target)
    {
        if (target == _chatopsUrl)
        {
            return _chatopsSecret;
        }

        return policy.Current.Webhooks.FirstOrDefault(w => w.Url.ToString() == target)?.Secret;
    }

    private static string? ChatopsEventsUrl(GatewayOptions options) =>
        string.IsNullOrWhiteSpace(options.ChatopsUrl)
            ? null
            : options.ChatopsUrl.TrimEnd('/') + "/gateway/events";
}
