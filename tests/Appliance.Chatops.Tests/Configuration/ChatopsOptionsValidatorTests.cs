using Appliance.Chatops.Configuration;

namespace Appliance.Chatops.Tests.Configuration;

public sealed class ChatopsOptionsValidatorTests
{
    [Fact]
    public void NoSlackAtAll_IsValid()
    {
        var result = new ChatopsOptionsValidator().Validate(null, new ChatopsOptions());

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void HttpMode_Complete_IsValid()
    {
        var result = new ChatopsOptionsValidator().Validate(null, new ChatopsOptions
        {
            ChatopsToken = "t",
            SlackBotToken = "xoxb-1",
            SlackSigningSecret = "s",
            HttpPort = "8081",
            SeqUrl = "http://seq:5341",
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void EveryProblem_IsReportedAtOnce()
    {
        var result = new ChatopsOptionsValidator().Validate(null, new ChatopsOptions
        {
            ApplianceUrl = "gateway:8080",
            SlackApiUrl = "ftp://slack.example",
            SeqUrl = "not a url",
            HttpPort = "eighty",
            SlackBotToken = "xoxp-user-token",
            SlackAppToken = "xoxb-not-an-app-token",
        });

        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("APPLIANCE_URL", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("SLACK_API_URL", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("SEQ_URL", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("CHATOPS_HTTP_PORT", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("SLACK_BOT_TOKEN must be a bot token", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("SLACK_APP_TOKEN must be an app-level token", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("APPLIANCE_CHATOPS_TOKEN is required", StringComparison.Ordinal));
        Assert.Equal(7, failures.Count);
    }

    [Fact]
    public void BotTokenAlone_SaysHowSlackReachesChatops()
    {
        var result = new ChatopsOptionsValidator().Validate(null, new ChatopsOptions { ChatopsToken = "t", SlackBotToken = "xoxb-1" });

        Assert.Contains("Set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void SigningSecretWithoutBotToken_IsIncomplete()
    {
        var result = new ChatopsOptionsValidator().Validate(null, new ChatopsOptions { ChatopsToken = "t", SlackSigningSecret = "s" });

        Assert.StartsWith("SLACK_BOT_TOKEN (xoxb-…) is required", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }
}
