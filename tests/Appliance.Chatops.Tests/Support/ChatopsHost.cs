using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Appliance.Chatops.Configuration;
using Appliance.Tests.Common.Logging;
using Appliance.Tests.Common.Slack;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Chatops.Tests.Support;

/// <summary>
/// A real chatops (built by <see cref="ChatopsApp.Build"/>, as production) on a loopback
/// port, pointed at a Slack emulator and a gateway URL.
/// </summary>
internal sealed class ChatopsHost : IAsyncDisposable
{
    public const string SigningSecret = "chatops-test-signing-secret";
    public const string ChatopsToken = Appliance.Tests.Common.Gateway.TestGateway.ChatopsToken;

    private readonly WebApplication _app;

    private ChatopsHost(WebApplication app, CapturingLoggerProvider logs)
    {
        _app = app;
        Logs = logs;
        BaseUrl = app.ListeningAddress();
        Http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseUrl { get; }
    public HttpClient Http { get; }
    public CapturingLoggerProvider Logs { get; }
    public SlackRequestSigner Signer { get; } = new(SigningSecret);
    public IServiceProvider Services => _app.Services;

    public Uri Commands => new(BaseUrl, "slack/commands");
    public Uri Interactions => new(BaseUrl, "slack/interactions");
    public Uri Events => new(BaseUrl, "gateway/events");

    /// <summary>Settings for HTTP mode and/or Socket Mode against <paramref name="slack"/>.</summary>
    public static Dictionary<string, string?> Settings(SlackEmulator slack, Uri applianceUrl, bool httpMode = true, bool socketMode = false) => new()
    {
        ["APPLIANCE_URL"] = applianceUrl.ToString(),
        ["APPLIANCE_CHATOPS_TOKEN"] = ChatopsToken,
        ["SLACK_BOT_TOKEN"] = slack.BotToken,
        ["SLACK_SIGNING_SECRET"] = httpMode ? SigningSecret : null,
        ["SLACK_APP_TOKEN"] = socketMode ? slack.AppToken : null,
        ["SLACK_API_URL"] = slack.ApiUrl.ToString(),
    };

    public static async Task<ChatopsHost> StartAsync(IDictionary<string, string?> settings, TimeSpan? ackBudget = null, int port = 0)
    {
        var logs = new CapturingLoggerProvider();
        var app = ChatopsApp.Build([], builder =>
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.AddProvider(logs);
            if (ackBudget is { } budget)
            {
                builder.Services.PostConfigure<ChatopsOptions>(o => o.AckBudget = budget);
            }
        });
        await app.StartAsync();
        return new ChatopsHost(app, logs);
    }

    /// <summary>Sends a signed <c>/hoop</c> command as Slack would; returns the HTTP response.</summary>
    public Task<HttpResponseMessage> CommandAsync(SlackEmulator slack, string userId, string text, out Uri responseUrl) =>
        Http.SendAsync(Signer.SlashCommand(Commands, SlackPayloads.SlashCommand(slack, userId, text, out responseUrl)));

    /// <summary>The ephemeral text of a command's acknowledgement.</summary>
    public static async Task<string> AckTextAsync(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("ephemeral", body!["response_type"]!.GetValue<string>());
        return body["text"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
