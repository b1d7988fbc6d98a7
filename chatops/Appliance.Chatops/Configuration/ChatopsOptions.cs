namespace Appliance.Chatops.Configuration;

/// <summary>
/// Everything chatops reads from the environment, under the stable names of
/// docs/architecture.md. Values stay as text here so the validator can report every bad one
/// at once; the typed accessors are only read after validation passed.
/// </summary>
internal sealed class ChatopsOptions
{
    public const string DefaultSlackApiUrl = "https://slack.com/api/";
    public const int DefaultHttpPort = 8081;

    public string ApplianceUrl { get; set; } = "http://localhost:8080/";
    public string? ChatopsToken { get; set; }
    public string? SlackBotToken { get; set; }
    public string? SlackSigningSecret { get; set; }
    public string? SlackAppToken { get; set; }
    public string SlackApiUrl { get; set; } = DefaultSlackApiUrl;
    public string? HttpPort { get; set; }
    public string? SeqUrl { get; set; }

    /// <summary>
    /// How long a slash command or interaction may work before Slack gets its acknowledgement.
    /// Slack allows 3 s; what is not done by then continues in the background.
    /// </summary>
    public TimeSpan AckBudget { get; set; } = TimeSpan.FromSeconds(2);

    public bool SlackConfigured => SlackBotToken is not null || SlackAppToken is not null || SlackSigningSecret is not null;

    /// <summary>HTTP mode: Slack posts to /slack/commands and /slack/interactions, signed.</summary>
    public bool HttpModeEnabled => SlackBotToken is not null && SlackSigningSecret is not null;

    /// <summary>Socket Mode: chatops dials out to Slack, for appliances without a public URL.</summary>
    public bool SocketModeEnabled => SlackBotToken is not null && SlackAppToken is not null;

    public Uri ApplianceBaseUri => AsDirectory(ApplianceUrl);

    public Uri SlackApiBaseUri => AsDirectory(SlackApiUrl);

    /// <summary>A relative path appended to a base without a trailing slash would replace its last segment.</summary>
    private static Uri AsDirectory(string url) => new(url.EndsWith('/') ? url : url + "/", UriKind.Absolute);
}
