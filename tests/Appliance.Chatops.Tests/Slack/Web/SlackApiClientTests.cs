using System.Text.Json.Nodes;
using Appliance.Chatops.Configuration;
using Appliance.Chatops.Slack.Web;
using Appliance.Tests.Common.Logging;
using Appliance.Tests.Common.Slack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Tests.Slack.Web;

public sealed class SlackApiClientTests : IAsyncLifetime
{
    private readonly CapturingLoggerProvider _logs = new();
    private SlackEmulator _slack = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _slack = await SlackEmulator.StartAsync();
        _http = new HttpClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _slack.DisposeAsync();
    }

    [Fact]
    public async Task PostMessage_ByChannelName_ReturnsChannelIdAndTs_WithBearerToken()
    {
        var posted = await Client().PostMessageAsync("db-access", "hello", new JsonArray(new JsonObject { ["type"] = "divider" }), CancellationToken.None);

        Assert.Equal(_slack.ChannelId("db-access"), posted.Channel);
        Assert.False(string.IsNullOrEmpty(posted.Ts));
        var call = Assert.Single(_slack.CallsTo("chat.postMessage"));
        Assert.Equal(_slack.BotToken, call.Token);
        Assert.Equal("hello", Assert.Single(_slack.MessagesIn(posted.Channel)).Text);
    }

    [Fact]
    public async Task RateLimited_WaitsRetryAfter_ThenSucceeds()
    {
        _slack.RateLimitNext("chat.postMessage", times: 1, retryAfterSeconds: 1);

        var posted = await Client().PostMessageAsync("db-access", "after the limit", null, CancellationToken.None);

        var calls = _slack.CallsTo("chat.postMessage");
        Assert.Equal(2, calls.Count);
        Assert.Equal(429, calls[0].Status);
        Assert.True(calls[1].Ok);
        // Retry-After is a floor set by Slack, not a performance figure: the retry must not come sooner.
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromSeconds(0.9), $"retried after {(calls[1].At - calls[0].At).TotalMilliseconds} ms");
        Assert.Equal("after the limit", Assert.Single(_slack.MessagesIn(posted.Channel)).Text);
    }

    [Fact]
    public async Task RateLimitedEveryTime_GivesUpAfterBoundedAttempts()
    {
        _slack.RateLimitNext("chat.update", times: 10, retryAfterSeconds: 0);

        var error = await Assert.ThrowsAsync<SlackApiException>(() => Client().UpdateMessageAsync("C1", "1.1", "x", null, CancellationToken.None));

        Assert.Equal("ratelimited", error.Error);
        Assert.Equal(SlackApiClient.MaxAttempts, _slack.CallsTo("chat.update").Count);
    }

    [Fact]
    public async Task OkFalse_ThrowsWithTheError_AndLogsMethodAndError_WithoutRetrying()
    {
        _slack.FailNext("chat.postMessage", "channel_not_found");

        var error = await Assert.ThrowsAsync<SlackApiException>(() => Client().PostMessageAsync("nowhere", "x", null, CancellationToken.None));

        Assert.Equal("channel_not_found", error.Error);
        Assert.Equal("chat.postMessage", error.Method);
        Assert.Single(_slack.CallsTo("chat.postMessage"));
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message == "Slack chat.postMessage failed: channel_not_found");
    }

    [Fact]
    public async Task Unreachable_GivesUpAfterBoundedAttempts()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var client = new SlackApiClient(
            _http,
            Options.Create(new ChatopsOptions { SlackApiUrl = $"http://127.0.0.1:{closedPort}/api/", SlackBotToken = _slack.BotToken }),
            TimeProvider.System,
            new LoggerFactory([_logs]).CreateLogger<SlackApiClient>());

        var error = await Assert.ThrowsAsync<SlackApiException>(() => client.PostMessageAsync("db-access", "x", null, CancellationToken.None));

        Assert.Equal("unreachable", error.Error);
        Assert.Equal(SlackApiClient.MaxAttempts, _logs.Entries.Count(e => e.EventId.Id == 303));
    }

    [Fact]
    public async Task WrongToken_IsInvalidAuth()
    {
        var error = await Assert.ThrowsAsync<SlackApiException>(() => Client(token: "xoxb-wrong").PostMessageAsync("db-access", "x", null, CancellationToken.None));

        Assert.Equal("invalid_auth", error.Error);
        Assert.Empty(_slack.MessagesIn(_slack.ChannelId("db-access")));
    }

    [Fact]
    public async Task UpdateMessage_ChangesThePostedMessage()
    {
        var client = Client();
        var posted = await client.PostMessageAsync("db-access", "v1", null, CancellationToken.None);

        await client.UpdateMessageAsync(posted.Channel, posted.Ts, "v2", null, CancellationToken.None);

        var message = Assert.Single(_slack.MessagesIn(posted.Channel));
        Assert.Equal("v2", message.Text);
        Assert.Equal(1, message.Updates);
    }

    [Fact]
    public async Task Users_InfoAndLookupByEmail()
    {
        _slack.AddUser("U1", "alice@example.com", "Alice");
        _slack.AddUser("U2", null, "No Email");
        var client = Client();

        Assert.Equal(new SlackUser("U1", "alice@example.com", "Alice"), await client.GetUserAsync("U1", CancellationToken.None));
        Assert.Null((await client.GetUserAsync("U2", CancellationToken.None))!.Email);
        Assert.Null(await client.GetUserAsync("U404", CancellationToken.None));
        Assert.Equal("U1", (await client.LookupUserByEmailAsync("ALICE@example.com", CancellationToken.None))!.Id);
        Assert.Null(await client.LookupUserByEmailAsync("nobody@example.com", CancellationToken.None));
        Assert.Equal(SlackEmulator.DirectChannelId("U1"), await client.OpenDirectMessageAsync("U1", CancellationToken.None));
    }

    [Fact]
    public async Task OpenView_WithAnExpiredTrigger_Fails()
    {
        var trigger = _slack.NewTriggerId();
        await Task.Delay(SlackEmulator.TriggerLifetime + TimeSpan.FromMilliseconds(200));

        var error = await Assert.ThrowsAsync<SlackApiException>(() =>
            Client().OpenViewAsync(trigger, new JsonObject { ["type"] = "modal" }, CancellationToken.None));

        Assert.Equal("expired_trigger_id", error.Error);
    }

    [Fact]
    public async Task AppsConnectionsOpen_UsesTheAppToken()
    {
        var url = await Client().OpenSocketConnectionAsync(CancellationToken.None);

        Assert.Equal("ws", url.Scheme);
        Assert.Equal(_slack.AppToken, Assert.Single(_slack.CallsTo("apps.connections.open")).Token);
    }

    private SlackApiClient Client(string? token = null) => new(
        _http,
        Options.Create(new ChatopsOptions
        {
            SlackApiUrl = _slack.ApiUrl.ToString().TrimEnd('/'),
            SlackBotToken = token ?? _slack.BotToken,
            SlackAppToken = _slack.AppToken,
        }),
        TimeProvider.System,
        new LoggerFactory([_logs]).CreateLogger<SlackApiClient>());
}
