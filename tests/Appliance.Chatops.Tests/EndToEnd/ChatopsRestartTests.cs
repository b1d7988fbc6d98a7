using System.Net.Http.Json;
using Appliance.Chatops.Tests.Support;
using Appliance.Tests.Common.Gateway;

namespace Appliance.Chatops.Tests.EndToEnd;

/// <summary>
/// Chatops keeps nothing in memory that matters: card references and handled events live in the
/// gateway's store, so a restart between request and approval loses and duplicates nothing.
/// </summary>
public sealed class ChatopsRestartTests : IAsyncLifetime
{
    private ChatStack _stack = null!;

    public async Task InitializeAsync() => _stack = await ChatStack.StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task ApprovedWhileChatopsWasDown_TheRestartedChatopsUpdatesTheSameCard_AndDmsOnce()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);

        await _stack.StopChatopsAsync();
        using (var asBob = _stack.Gateway.Client(await _stack.Gateway.CreateTokenAsync(TestPolicies.Bob)))
        {
            (await asBob.PostAsJsonAsync($"api/requests/{id}/approve", new { })).EnsureSuccessStatusCode();
        }

        // The gateway retries the delivery until chatops is back.
        await _stack.StartChatopsAsync();

        await _stack.CardShowingAsync("Approved* by bob@example.com");
        await _stack.DirectMessageAsync(ChatStack.Alice, "Password");
        await Task.Delay(1000);
        Assert.Single(_stack.Slack.CallsTo("chat.postMessage"), c => c.Arg("channel") == "db-access");
        Assert.Single(_stack.Slack.MessagesIn(_stack.CardChannel));
        Assert.Single(_stack.Slack.DirectMessagesTo(ChatStack.Alice));
    }

    [Fact]
    public async Task ClickAfterRestart_UpdatesTheCardPostedBeforeIt()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);

        await _stack.StopChatopsAsync();
        await _stack.StartChatopsAsync();
        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id)).Dispose();

        await _stack.CardShowingAsync("Approved* by bob@example.com");
        await _stack.DirectMessageAsync(ChatStack.Alice, "Password");
        await Task.Delay(1000);
        Assert.Single(_stack.Slack.MessagesIn(_stack.CardChannel));
        Assert.Single(_stack.Slack.DirectMessagesTo(ChatStack.Alice));
        Assert.All(_stack.Slack.CallsTo("chat.update"), c => Assert.Equal(card.Ts, c.Arg("ts")));
    }
}
