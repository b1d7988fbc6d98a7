using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Configuration;

/// <summary>Binds <see cref="ChatopsOptions"/> from the environment variable names (empty counts as unset).</summary>
internal sealed class ChatopsOptionsSetup(IConfiguration configuration) : IConfigureOptions<ChatopsOptions>
{
    public void Configure(ChatopsOptions options)
    {
        options.ApplianceUrl = Read("APPLIANCE_URL") ?? options.ApplianceUrl;
        options.ChatopsToken = Read("APPLIANCE_CHATOPS_TOKEN");
        options.SlackBotToken = Read("SLACK_BOT_TOKEN");
        options.SlackSigningSecret = Read("SLACK_SIGNING_SECRET");
        options.SlackAppToken = Read("SLACK_APP_TOKEN");
        options.SlackApiUrl = Read("SLACK_API_URL") ?? options.SlackApiUrl;
        options.HttpPort = Read("CHATOPS_HTTP_PORT");
        options.SeqUrl = Read("SEQ_URL");
    }

    private string? Read(string name) => configuration[name] is { Length: > 0 } value ? value.Trim() : null;
}
