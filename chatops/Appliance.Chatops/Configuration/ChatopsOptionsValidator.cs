using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Configuration;

/// <summary>Checks every setting and reports all problems in one go, so one restart fixes them all.</summary>
internal sealed class ChatopsOptionsValidator : IValidateOptions<ChatopsOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatopsOptions options)
    {
        var problems = new List<string>();

        RequireHttpUrl(problems, "APPLIANCE_URL", options.ApplianceUrl);
        RequireHttpUrl(problems, "SLACK_API_URL", options.SlackApiUrl);
        if (options.SeqUrl is not null)
        {
            RequireHttpUrl(problems, "SEQ_URL", options.SeqUrl);
        }

        if (options.HttpPort is not null && !TryParsePort(options.HttpPort, out _))
        {
            problems.Add($"CHATOPS_HTTP_PORT must be a port number between 0 and 65535, not '{options.HttpPort}'.");
        }

        if (options.SlackConfigured)
        {
            ValidateSlack(problems, options);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, null, out port) && port <= 65535;

    private static void ValidateSlack(List<string> problems, ChatopsOptions options)
    {
        if (options.SlackBotToken is null)
        {
            problems.Add("SLACK_BOT_TOKEN (xoxb-…) is required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set: every Slack mode posts through the Web API.");
        }
        else if (!options.SlackBotToken.StartsWith("xoxb-", StringComparison.Ordinal))
        {
            problems.Add("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-' (Slack app → OAuth & Permissions).");
        }

        if (options.SlackAppToken is not null && !options.SlackAppToken.StartsWith("xapp-", StringComparison.Ordinal))
        {
            problems.Add("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-' with the connections:write scope (Slack app → Basic Information).");
        }

        if (options.SlackBotToken is not null && options.SlackSigningSecret is null && options.SlackAppToken is null)
        {
            problems.Add("Set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode): with only SLACK_BOT_TOKEN, Slack cannot reach chatops.");
        }

        if (options.ChatopsToken is null)
        {
            problems.Add("APPLIANCE_CHATOPS_TOKEN is required when Slack is configured: chatops calls the gateway and verifies its events with it.");
        }
    }

    private static void RequireHttpUrl(List<string> problems, string name, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{name} must be an absolute http(s) URL, not '{value}'.");
        }
    }
}
