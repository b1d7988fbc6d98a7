using Appliance.Chatops.Tests.Support;
using Appliance.Tests.Common.Slack;

namespace Appliance.Chatops.Tests.EndToEnd;

/// <summary>The same story as <see cref="SlackApprovalFlowTests"/>, with Slack reached over Socket Mode only.</summary>
public sealed class SocketModeFlowTests : IAsyncLifetime
{
    private ChatStack _stack = null!;

    public async Task InitializeAsync() => _stack = await ChatStack.StartAsync(httpMode: false, socketMode: true);

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Request_Approve_Credential_OverSocketMode()
    {
        var slack = _stack.Slack;
        var requestId = await slack.SendEnvelopeAsync("slash_commands", SlackPayloads.SlashCommandJson(slack, ChatStack.Alice, "request demo 1h investigating order 4411", out _));

        var ack = await slack.WaitForAckAsync(requestId);
        Assert.Contains("is waiting for approval in #db-access", ack.Payload!["text"]!.GetValue<string>(), StringComparison.Ordinal);

        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        var click = SlackPayloads.BlockAction(slack, ChatStack.Bob, "approve", id, card.Channel, card.Ts, out _);
        var clickId = await slack.SendEnvelopeAsync("interactive", click, acceptsResponsePayload: false);

        Assert.Null((await slack.WaitForAckAsync(clickId)).Payload);
        await _stack.CardShowingAsync("Approved* by bob@example.com");
        var dm = await _stack.DirectMessageAsync(ChatStack.Alice, "Password");
        Assert.Contains("agc_", dm.AllText, StringComparison.Ordinal);
        Assert.Equal("active", (await _stack.RequestAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task DenyOverSocketMode_ModalSubmissionIsAckedWithNoPayload_AndDenies()
    {
        var slack = _stack.Slack;
        await slack.WaitForAckAsync(await slack.SendEnvelopeAsync("slash_commands", SlackPayloads.SlashCommandJson(slack, ChatStack.Alice, "request demo 1h x", out _)));
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);

        await slack.WaitForAckAsync(await slack.SendEnvelopeAsync("interactive", SlackPayloads.BlockAction(slack, ChatStack.Bob, "deny", id, card.Channel, card.Ts, out _), acceptsResponsePayload: false));
        var metadata = Assert.Single(slack.CallsTo("views.open")).Args["view"]!["private_metadata"]!.GetValue<string>();
        var submission = SlackPayloads.ViewSubmission(ChatStack.Bob, "deny_reason", metadata, "reason", "reason", "not today");
        var ack = await slack.WaitForAckAsync(await slack.SendEnvelopeAsync("interactive", submission));

        Assert.Null(ack.Payload);
        await _stack.CardShowingAsync("Denied* by bob@example.com: not today");
    }
}
