using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Appliance.Chatops.Tests.Support;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Tests.Configuration;

public sealed class ChatopsStartupTests
{
    [Fact]
    public async Task WithoutSlack_StartsAndHealthSaysSlackIsNotConfigured()
    {
        await using var chatops = await ChatopsHost.StartAsync(new Dictionary<string, string?>());

        using var response = await chatops.Http.GetAsync("healthz");
        var health = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("not configured", health!["slack"]!.GetValue<string>());
        Assert.Equal("off", health["socketMode"]!.GetValue<string>());
        using var command = await chatops.Http.PostAsync("slack/commands", new StringContent("text=help"));
        Assert.Equal(HttpStatusCode.NotFound, command.StatusCode);
    }

    [Fact]
    public async Task BadConfiguration_StopsStartup_ListingEveryProblem()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ChatopsHost.StartAsync(new Dictionary<string, string?>
        {
            ["APPLIANCE_URL"] = "not-a-url",
            ["SLACK_BOT_TOKEN"] = "xoxb-1",
        }));

        Assert.Contains("APPLIANCE_URL must be an absolute http(s) URL", error.Message, StringComparison.Ordinal);
        Assert.Contains("Set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)", error.Message, StringComparison.Ordinal);
        Assert.Contains("APPLIANCE_CHATOPS_TOKEN is required", error.Message, StringComparison.Ordinal);
    }
}
