using System.Globalization;
using System.Net;
using Appliance.Chatops.Tests.Support;
using Appliance.Tests.Common.Slack;

namespace Appliance.Chatops.Tests.EndToEnd;

/// <summary>Forged, stale and replayed Slack requests against the real stack: 401, and the gateway's state does not move.</summary>
public sealed class RefusedRequestsTests : IAsyncLifetime
{
    private ChatStack _stack = null!;

    public async Task InitializeAsync() => _stack = await ChatStack.StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task ForgedRequestCommand_CreatesNothing()
    {
        var body = SlackRequestSigner.FormBody(SlackPayloads.SlashCommand(_stack.Slack, ChatStack.Alice, "request demo 1h forged", out _));
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var forged = SlackRequestSigner.WithHeaders(_stack.Chatops.Commands, body, timestamp, SlackRequestSigner.Sign("guessed-secret", timestamp, body));

        using var response = await _stack.Chatops.Http.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertUnchangedAsync(requests: 0);
    }

    [Fact]
    public async Task StaleRequestCommand_CreatesNothing()
    {
        var fields = SlackPayloads.SlashCommand(_stack.Slack, ChatStack.Alice, "request demo 1h stale", out _);

        using var response = await _stack.Chatops.Http.SendAsync(_stack.Chatops.Signer.SlashCommand(_stack.Chatops.Commands, fields, DateTimeOffset.UtcNow.AddMinutes(-10)));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertUnchangedAsync(requests: 0);
    }

    /// <summary>A request is accepted once, also across a restart of chatops or at another replica (probe GC1).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReplayedRequestCommand_CreatesOneRequestOnly(bool restartBetween)
    {
        var body = SlackRequestSigner.FormBody(SlackPayloads.SlashCommand(_stack.Slack, ChatStack.Alice, "request demo 1h once", out _));
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = SlackRequestSigner.Sign(_stack.Chatops.Signer.SigningSecret, timestamp, body);

        using var first = await _stack.Chatops.Http.SendAsync(SlackRequestSigner.WithHeaders(_stack.Chatops.Commands, body, timestamp, signature));
        await _stack.CardAsync();
        if (restartBetween)
        {
            await _stack.StopChatopsAsync();
            await _stack.StartChatopsAsync();
        }

        using var replay = await _stack.Chatops.Http.SendAsync(SlackRequestSigner.WithHeaders(_stack.Chatops.Commands, body, timestamp, signature));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        await AssertUnchangedAsync(requests: 1);
    }

    [Fact]
    public async Task ReplayedApproveClick_IsRefused_AndTheForgedClickApprovesNothing()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request prod2 30m", out _)).Dispose();
        var channel = _stack.Slack.ChannelId("prod-access");
        var card = await _stack.CardAsync(channel);
        var id = ChatStack.RequestIdOf(card);
        var click = SlackPayloads.BlockAction(_stack.Slack, ChatStack.Bob, "approve", id, card.Channel, card.Ts, out _);
        var body = SlackRequestSigner.FormBody(new Dictionary<string, string> { ["payload"] = click.ToJsonString() });
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = SlackRequestSigner.Sign(_stack.Chatops.Signer.SigningSecret, timestamp, body);

        using var first = await _stack.Chatops.Http.SendAsync(SlackRequestSigner.WithHeaders(_stack.Chatops.Interactions, body, timestamp, signature));
        await _stack.CardShowingAsync("1 of 2 approvals", channel);
        using var replay = await _stack.Chatops.Http.SendAsync(SlackRequestSigner.WithHeaders(_stack.Chatops.Interactions, body, timestamp, signature));
        // Carol's click, but signed with a guessed secret: it must not count as her approval.
        var carol = SlackPayloads.BlockAction(_stack.Slack, ChatStack.Carol, "approve", id, card.Channel, card.Ts, out _);
        var carolBody = SlackRequestSigner.FormBody(new Dictionary<string, string> { ["payload"] = carol.ToJsonString() });
        using var forged = await _stack.Chatops.Http.SendAsync(SlackRequestSigner.WithHeaders(
            _stack.Chatops.Interactions, carolBody, timestamp, SlackRequestSigner.Sign("guessed-secret", timestamp, carolBody)));

        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        await Task.Delay(500);
        var request = await _stack.RequestAsync(id);
        Assert.Equal("pending", request["status"]!.GetValue<string>());
        Assert.Single(request["approvals"]!.AsArray());
    }

    private async Task AssertUnchangedAsync(int requests)
    {
        // Long enough for an event to have reached chatops and a card to be posted, had anything been created.
        await Task.Delay(500);
        Assert.Equal(requests, (await _stack.AllRequestsAsync()).Count);
        Assert.Equal(requests, _stack.Slack.CallsTo("chat.postMessage").Count);
    }
}
