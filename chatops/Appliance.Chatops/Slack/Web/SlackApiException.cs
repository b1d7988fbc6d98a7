namespace Appliance.Chatops.Slack.Web;

/// <summary>A Web API call that Slack answered with <c>ok:false</c> (or that ran out of retries).</summary>
internal sealed class SlackApiException(string method, string error)
    : Exception($"Slack {method} failed: {error}")
{
    public string Method { get; } = method;

    /// <summary>Slack's error code, e.g. <c>channel_not_found</c>, <c>invalid_auth</c>, <c>ratelimited</c>.</summary>
    public string Error { get; } = error;
}
