using Appliance.Chatops.Tests.Support;
using Appliance.Tests.Common.Slack;

namespace Appliance.Chatops.Tests.EndToEnd;

/// <summary>What a person reads after typing a /hoop command the gateway refuses or answers.</summary>
public sealed class CommandAnswersTests : IAsyncLifetime
{
    private ChatStack _stack = null!;

    public async Task InitializeAsync() => _stack = await ChatStack.StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Theory]
    [InlineData("request nowhere 1h x", "`/hoop list` shows the connections you can request")]
    [InlineData("request demo 1h", "Add a reason after the duration")]
    [InlineData("request demo 5h x", "maximum of 4h")]
    [InlineData("approve zzzzzzzz", "`/hoop status` lists your requests")]
    public async Task Refusal_SaysWhatIsWrongAndHowToFixIt(string text, string expected)
    {
        using var response = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, text, out _);

        Assert.Contains(expected, await ChatopsHost.AckTextAsync(response), StringComparison.Ordinal);
        Assert.Empty(await _stack.AllRequestsAsync());
    }

    [Fact]
    public async Task UnknownPerson_IsToldWhichEmailTheApplianceSaw()
    {
        using var response = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Mallory, "request demo 1h x", out _);

        var text = await ChatopsHost.AckTextAsync(response);

        Assert.Contains("knows nobody with the email `mallory@example.com`", text, StringComparison.Ordinal);
        // Said once (probe GC4: the gateway's "No appliance user has the email …" came first, saying the same).
        Assert.DoesNotContain("No appliance user", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APersonWithANonAsciiEmail_IsToldTheApplianceKnowsNobodyWithIt_NotThatItIsUnreachable()
    {
        // Probe GC3: the email went into an HTTP header, which takes ASCII only.
        _stack.Slack.AddUser("UTURKISH", "al\u0130ce@example.com", "Alice I");

        using var response = await _stack.Chatops.CommandAsync(_stack.Slack, "UTURKISH", "request demo 1h x", out _);
        var text = await ChatopsHost.AckTextAsync(response);

        Assert.Contains("knows nobody with the email `al\u0130ce@example.com`", text, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be reached", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_ShowsWhatICanRequest()
    {
        using var response = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "list", out _);
        var text = await ChatopsHost.AckTextAsync(response);

        Assert.Contains("*demo*", text, StringComparison.Ordinal);
        Assert.Contains("*prod2*", text, StringComparison.Ordinal);
        Assert.Contains("max 4h", text, StringComparison.Ordinal);
        Assert.Contains("reason required", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_ShowsMyRequests_AndWhatAwaitsMyApproval()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var id = ChatStack.RequestIdOf(await _stack.CardAsync());

        using var mine = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "status", out _);
        using var bobs = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Bob, "status", out _);

        Assert.Contains($"`{id}` *demo* 1h: waiting for approval (0 of 1)", await ChatopsHost.AckTextAsync(mine), StringComparison.Ordinal);
        var bobText = await ChatopsHost.AckTextAsync(bobs);
        Assert.Contains("Waiting for your approval", bobText, StringComparison.Ordinal);
        Assert.Contains($"`{id}`", bobText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApproveAndExtendByCommand()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);

        // The approver's comment shows on the card and in the requester's DM (probe AW).
        using var approve = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Bob, $"approve {id} ok for now", out _);
        Assert.Contains("approved.", await ChatopsHost.AckTextAsync(approve), StringComparison.Ordinal);
        await _stack.CardShowingAsync("Approved* by bob@example.com (“ok for now”)");
        await _stack.DirectMessageAsync(ChatStack.Alice, "approved by bob@example.com (“ok for now”)");

        using var extend = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, $"extend {id} 30m still on 4411", out _);
        Assert.Contains("waiting for approval", await ChatopsHost.AckTextAsync(extend), StringComparison.Ordinal);
        // Approvers see why (probe DL: they decided blind).
        await _stack.CardShowingAsync("Extension* by 30m asked by alice@example.com: 0 of 1 approvals");
        await _stack.CardShowingAsync("&gt; still on 4411");

        // An edited card notifies nobody: the waiting extension is also said in the card's thread, and in the channel.
        var announcement = await SlackEmulator.WaitForAsync(
            () => _stack.Slack.CallsTo("chat.postMessage").FirstOrDefault(c => c.Arg("thread_ts") == card.Ts),
            what: "a reply in the card's thread");
        Assert.Equal("true", announcement.Arg("reply_broadcast"));
        Assert.Contains($"asks to extend `{id}` on *demo* by 30m (still on 4411)", announcement.Arg("text"), StringComparison.Ordinal);

        // An approver's status lists the extension waiting for them (probe BA).
        using var bobsStatus = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Bob, "status", out _);
        var bobText = await ChatopsHost.AckTextAsync(bobsStatus);
        Assert.Contains("*Extensions waiting for your approval:*", bobText, StringComparison.Ordinal);
        Assert.Contains($"`{id}` *demo*", bobText, StringComparison.Ordinal);
        Assert.Contains("+30m asked by alice@example.com", bobText, StringComparison.Ordinal);

        using var approveExtension = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Bob, $"approve {id}", out _);
        await ChatopsHost.AckTextAsync(approveExtension);
        await _stack.DirectMessageAsync(ChatStack.Alice, "was extended by 30m, as alice@example.com asked: it now ends at");
        Assert.Equal("1h30m", (await _stack.RequestAsync(id))["duration"]!.GetValue<string>());
    }

    /// <summary>An auditor sees every request through the API, but only approvers are told a request waits for them (probe BA).</summary>
    [Fact]
    public async Task Status_OfAnAuditor_ListsNothingWaitingForTheirApproval()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var id = ChatStack.RequestIdOf(await _stack.CardAsync());

        using var audrey = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Audrey, "status", out _);
        using var bob = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Bob, "status", out _);

        Assert.DoesNotContain("Waiting for your approval", await ChatopsHost.AckTextAsync(audrey), StringComparison.Ordinal);
        Assert.Contains($"`{id}`", await ChatopsHost.AckTextAsync(bob), StringComparison.Ordinal);
    }

    /// <summary>An extension's denial keeps its reason: the requester reads it (probe BA: it was dropped everywhere).</summary>
    [Fact]
    public async Task DeniedExtension_TellsTheRequesterWhy()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var id = ChatStack.RequestIdOf(await _stack.CardAsync());
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Bob, $"approve {id}", out _)).Dispose();
        await _stack.CardShowingAsync("Approved* by bob@example.com");
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, $"extend {id} 30m", out _)).Dispose();
        await _stack.CardShowingAsync("Extension* by 30m");

        using var deny = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Bob, $"deny {id} the incident is closed", out _);
        await ChatopsHost.AckTextAsync(deny);

        var dm = await _stack.DirectMessageAsync(ChatStack.Alice, "The extension of");
        Assert.Contains(": the incident is closed; it still ends at", dm.Text, StringComparison.Ordinal);
        // Said as a sentence, naming the person (probe EG4: "The extension of Your access … by bob@example.com via chatops").
        Assert.Contains("The extension of your access to *demo*", dm.Text, StringComparison.Ordinal);
        Assert.Contains("denied by bob@example.com: the incident", dm.Text, StringComparison.Ordinal);
    }
}
