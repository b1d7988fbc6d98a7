using System.Net;
using System.Net.Http.Json;
using Appliance.Chatops.Tests.Support;
using Appliance.Tests.Common.Gateway;
using Appliance.Tests.Common.Slack;

namespace Appliance.Chatops.Tests.EndToEnd;

/// <summary>
/// Slack (emulated) → chatops → a real gateway → signed events → chatops → Slack, in HTTP mode:
/// the story of product.md §2 from "/hoop request" to the credential DM and the end of the grant.
/// </summary>
public sealed class SlackApprovalFlowTests : IAsyncLifetime
{
    private ChatStack _stack = null!;

    public async Task InitializeAsync() => _stack = await ChatStack.StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Request_PostsACard_ApproveClick_ActivatesTheGrant_AndDmsTheCredential()
    {
        using var ack = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating order 4411", out _);
        var answer = await ChatopsHost.AckTextAsync(ack);
        Assert.Contains("is waiting for approval in #db-access", answer, StringComparison.Ordinal);

        var card = await _stack.CardAsync();
        Assert.Contains("alice@example.com", card.AllText, StringComparison.Ordinal);
        Assert.Contains("*demo*", card.AllText, StringComparison.Ordinal);
        Assert.Contains("*1h*", card.AllText, StringComparison.Ordinal);
        Assert.Contains("investigating order 4411", card.AllText, StringComparison.Ordinal);
        var id = ChatStack.RequestIdOf(card);

        using var click = await _stack.ClickAsync(ChatStack.Bob, "approve", card, id);
        Assert.Equal(HttpStatusCode.OK, click.StatusCode);

        await _stack.CardShowingAsync("Approved* by bob@example.com");
        Assert.Equal("active", (await _stack.RequestAsync(id))["status"]!.GetValue<string>());
        var dm = await _stack.DirectMessageAsync(ChatStack.Alice, "Password");
        Assert.Contains("psql \"postgresql://alice%40example.com:agc_", dm.AllText, StringComparison.Ordinal);
        Assert.Contains("*Host*", dm.AllText, StringComparison.Ordinal);
        Assert.Contains("*Database* `demo`", dm.AllText, StringComparison.Ordinal);

        // The credential goes to the requester alone: never to the channel, never to the approver.
        Assert.Single(_stack.Slack.MessagesIn(_stack.CardChannel));
        Assert.DoesNotContain("agc_", _stack.Slack.MessagesIn(_stack.CardChannel)[0].AllText, StringComparison.Ordinal);
        Assert.Empty(_stack.Slack.DirectMessagesTo(ChatStack.Bob));
    }

    [Fact]
    public async Task ApproveClick_ByWhoMayNotApprove_IsRefusedPrivately_AndNothingChanges()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);

        Uri daveReply = null!;
        Uri aliceReply = null!;
        (await _stack.ClickAsync(ChatStack.Dave, "approve", card, id, u => daveReply = u)).Dispose();
        (await _stack.ClickAsync(ChatStack.Alice, "approve", card, id, u => aliceReply = u)).Dispose();

        var refusal = await _stack.Slack.WaitForResponseAsync(daveReply);
        Assert.Equal("ephemeral", refusal.Body["response_type"]!.GetValue<string>());
        Assert.False(refusal.Body["replace_original"]!.GetValue<bool>());
        // The gateway does not even show a request to who may not decide it: it answers as if there were none.
        Assert.Contains($"There is no request {id}", refusal.Text, StringComparison.Ordinal);
        var self = await _stack.Slack.WaitForResponseAsync(aliceReply);
        Assert.Contains("cannot decide on it", self.Text, StringComparison.Ordinal);

        Assert.Equal("pending", (await _stack.RequestAsync(id))["status"]!.GetValue<string>());
        Assert.Equal(0, card.Updates);
        Assert.Empty(_stack.Slack.DirectMessagesTo(ChatStack.Alice));
    }

    [Fact]
    public async Task DenyClick_AsksWhy_ThenTheCardAndTheRequesterSayIt()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);

        (await _stack.ClickAsync(ChatStack.Bob, "deny", card, id)).Dispose();
        var modal = Assert.Single(_stack.Slack.CallsTo("views.open"));
        var metadata = modal.Args["view"]!["private_metadata"]!.GetValue<string>();

        var submission = SlackPayloads.ViewSubmission(ChatStack.Bob, "deny_reason", metadata, "reason", "reason", "use the <replica> instead");
        using var submitted = await _stack.Chatops.Http.SendAsync(_stack.Chatops.Signer.Interaction(_stack.Chatops.Interactions, submission));

        Assert.Equal(HttpStatusCode.OK, submitted.StatusCode);
        Assert.Empty(await submitted.Content.ReadAsByteArrayAsync());
        await _stack.CardShowingAsync("Denied* by bob@example.com: use the &lt;replica&gt; instead");
        await _stack.DirectMessageAsync(ChatStack.Alice, "was denied by bob@example.com: use the &lt;replica&gt; instead");
        Assert.Equal("denied", (await _stack.RequestAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task DenySubmission_ByWhoMayNotDeny_ShowsTheRefusalInTheModal()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        var metadata = $$"""{"Id":"{{id}}","Channel":"{{card.Channel}}","ResponseUrl":null}""";

        var submission = SlackPayloads.ViewSubmission(ChatStack.Dave, "deny_reason", metadata, "reason", "reason", "no");
        using var response = await _stack.Chatops.Http.SendAsync(_stack.Chatops.Signer.Interaction(_stack.Chatops.Interactions, submission));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Contains("\"response_action\":\"errors\"", body, StringComparison.Ordinal);
        Assert.Contains($"There is no request {id}", body, StringComparison.Ordinal);
        Assert.Equal(0, card.Updates);
        Assert.Equal("pending", (await _stack.RequestAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task TwoApprovers_CardCountsOneOfTwo_ThenApproved()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request prod2 30m", out _)).Dispose();
        var channel = _stack.Slack.ChannelId("prod-access");
        var card = await _stack.CardAsync(channel);
        var id = ChatStack.RequestIdOf(card);

        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id)).Dispose();
        await _stack.CardShowingAsync("1 of 2 approvals (bob@example.com)", channel);
        Assert.Contains("\"action_id\":\"approve\"", card.AllText, StringComparison.Ordinal);

        (await _stack.ClickAsync(ChatStack.Carol, "approve", card, id)).Dispose();
        await _stack.CardShowingAsync("Approved* by bob@example.com, carol@example.com", channel);
        await _stack.DirectMessageAsync(ChatStack.Alice, "Password");
    }

    [Fact]
    public async Task AtExpiry_TheCardAndTheRequesterAreTold()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 3s quick look", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id)).Dispose();
        await _stack.DirectMessageAsync(ChatStack.Alice, "Password");

        await _stack.CardShowingAsync("Expired* at");
        await _stack.DirectMessageAsync(ChatStack.Alice, "has expired; open sessions were closed");
        Assert.Equal("expired", (await _stack.RequestAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Done_RevokesMyOnlyGrant_AndTheCardSaysSo()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id)).Dispose();
        await _stack.CardShowingAsync("Approved* by");

        using var done = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "done", out _);

        Assert.Contains($"Ended `{id}`", await ChatopsHost.AckTextAsync(done), StringComparison.Ordinal);
        await _stack.CardShowingAsync("Revoked* by alice@example.com");
        await _stack.DirectMessageAsync(ChatStack.Alice, "has ended, as you asked");
        Assert.Equal("revoked", (await _stack.RequestAsync(id))["status"]!.GetValue<string>());
    }

    /// <summary>"done" is the requester's: bob typing it with alice's grant is pointed to revoke, and nothing ends (probe BA).</summary>
    [Fact]
    public async Task Done_OnSomeoneElsesGrant_PointsToRevoke_AndEndsNothing()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id)).Dispose();
        await _stack.CardShowingAsync("Approved* by");

        using var done = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Bob, $"done {id}", out _);

        Assert.Contains($"/hoop revoke {id} &lt;reason&gt;", await ChatopsHost.AckTextAsync(done), StringComparison.Ordinal);
        Assert.Equal("active", (await _stack.RequestAsync(id))["status"]!.GetValue<string>());
    }

    /// <summary>
    /// The gateway's approve decides by the request's state: a click on an older card's Approve,
    /// made after an extension was asked for, is refused instead of approving the extension its
    /// clicker never saw; the extension's own button approves it (probe BA).
    /// </summary>
    [Fact]
    public async Task ApproveClick_FromBeforeAnExtension_DoesNotApproveTheExtension()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id)).Dispose();
        await _stack.CardShowingAsync("Approved* by");
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, $"extend {id} 2h", out _)).Dispose();
        await _stack.CardShowingAsync("Extension* by 2h");

        Uri? stale = null;
        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id, url => stale = url)).Dispose();
        var told = await SlackEmulator.WaitForAsync(() => _stack.Slack.ResponsesTo(stale!).FirstOrDefault(), what: "the stale click's answer");
        Assert.Contains("has changed since it showed that button", told.Text, StringComparison.Ordinal);
        var unchanged = await _stack.RequestAsync(id);
        Assert.Equal("1h", unchanged["duration"]!.GetValue<string>());
        Assert.NotNull(unchanged["extension"]);

        (await _stack.ClickAsync(ChatStack.Bob, "approve_extension", card, id)).Dispose();
        await _stack.DirectMessageAsync(ChatStack.Alice, "was extended");
        Assert.Equal("3h", (await _stack.RequestAsync(id))["duration"]!.GetValue<string>());
    }

    /// <summary>A card Slack will not post (its channel is gone) does not hold back the requester's credential (probe CB).</summary>
    [Fact]
    public async Task CardThatCannotBePosted_DoesNotHoldBackTheCredential()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        _stack.Slack.FailNext("chat.update", "channel_not_found", times: 50);

        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id)).Dispose();

        var dm = await _stack.DirectMessageAsync(ChatStack.Alice, "Password");
        Assert.Contains($"(`{id}`)", dm.Text, StringComparison.Ordinal);
        Assert.Single(_stack.Slack.DirectMessagesTo(ChatStack.Alice), m => m.AllText.Contains("Password", StringComparison.Ordinal));
    }

    /// <summary>A request whose card could not be posted is not left waiting unseen: its requester is told, and how it can still be decided (probe KC3).</summary>
    [Fact]
    public async Task RequestWhoseCardCannotBePosted_IsToldToTheRequester()
    {
        _stack.Slack.FailNext("chat.postMessage", "channel_not_found", times: 1);
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();

        var dm = await _stack.DirectMessageAsync(ChatStack.Alice, "could not be reached");
        Assert.Contains("channel_not_found", dm.Text, StringComparison.Ordinal);
        Assert.Contains("/hoop approve", dm.Text, StringComparison.Ordinal);
    }

    /// <summary>An extension's Approve names its extension: clicked on a card of an earlier one, it approves no later one (probe CB).</summary>
    [Fact]
    public async Task ExtensionApproveClick_OfAnEarlierExtension_DoesNotApproveALaterOne()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id)).Dispose();
        await _stack.CardShowingAsync("Approved* by");
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, $"extend {id} 30m", out _)).Dispose();
        var first = ChatStack.RequestIdOf(await _stack.CardShowingAsync("Extension* by 30m"));
        Assert.StartsWith($"{id}@", first, StringComparison.Ordinal);
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Bob, $"deny {id} not now", out _)).Dispose();
        await _stack.DirectMessageAsync(ChatStack.Alice, "not now");
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, $"extend {id} 2h", out _)).Dispose();
        await _stack.CardShowingAsync("Extension* by 2h");

        Uri? stale = null;
        (await _stack.ClickAsync(ChatStack.Bob, "approve_extension", card, first, url => stale = url)).Dispose();

        var told = await SlackEmulator.WaitForAsync(() => _stack.Slack.ResponsesTo(stale!).FirstOrDefault(), what: "the stale click's answer");
        Assert.Contains("has changed since it showed that button", told.Text, StringComparison.Ordinal);
        Assert.Equal("1h", (await _stack.RequestAsync(id))["duration"]!.GetValue<string>());
    }

    /// <summary>
    /// A card Slack no longer has (deleted) is posted anew, and the command that changed the
    /// request says it worked: it did (probe BA: "try again", then the retry refused as a duplicate,
    /// and every later event of the request failed on the card, its DMs with it).
    /// </summary>
    [Fact]
    public async Task CardGone_IsPostedAnew_AndTheCommandSaysWhatHappened()
    {
        (await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, "request demo 1h investigating", out _)).Dispose();
        var card = await _stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        (await _stack.ClickAsync(ChatStack.Bob, "approve", card, id)).Dispose();
        await _stack.CardShowingAsync("Approved* by");
        _stack.Slack.FailNext("chat.update", "message_not_found", times: 10);

        using var extend = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Alice, $"extend {id} 30m", out _);

        Assert.Contains("waiting for approval", await ChatopsHost.AckTextAsync(extend), StringComparison.Ordinal);
        var anew = await SlackEmulator.WaitForAsync(
            () => _stack.Slack.MessagesIn(_stack.CardChannel).FirstOrDefault(m => m.Ts != card.Ts && m.AllText.Contains("Extension* by 30m", StringComparison.Ordinal)),
            what: "the card posted anew");
        await SlackEmulator.WaitForAsync(
            () => _stack.Slack.CallsTo("chat.postMessage").FirstOrDefault(c => c.Arg("thread_ts") == anew.Ts), what: "the extension announced under it");
    }

    [Fact]
    public async Task AutoApprovedRequest_AnswersAtOnce_AndDmsTheCredentialOnce()
    {
        using var ack = await _stack.Chatops.CommandAsync(_stack.Slack, ChatStack.Olive, "request demo 1h on call", out _);

        Assert.Contains("was approved automatically", await ChatopsHost.AckTextAsync(ack), StringComparison.Ordinal);
        var dm = await _stack.DirectMessageAsync(ChatStack.Olive, "Password");
        Assert.Contains("is approved automatically", dm.Text, StringComparison.Ordinal);
        await _stack.CardShowingAsync("Approved automatically");
        // request.created and request.approved both arrive; the credential DM goes out once.
        await Task.Delay(1000);
        Assert.Single(_stack.Slack.DirectMessagesTo(ChatStack.Olive));
        Assert.Single(_stack.Slack.MessagesIn(_stack.CardChannel));
    }

    [Fact]
    public async Task DecisionMadeThroughTheApi_UpdatesTheCardToo()
    {
        var alice = await _stack.Gateway.CreateTokenAsync(TestPolicies.Alice);
        using var asAlice = _stack.Gateway.Client(alice);
        using var created = await asAlice.PostAsJsonAsync("api/requests", new { connection = "demo", duration = "1h", reason = "from a script" });
        created.EnsureSuccessStatusCode();
        var card = await _stack.CardAsync();
        Assert.Contains("from a script", card.AllText, StringComparison.Ordinal);

        var bob = await _stack.Gateway.CreateTokenAsync(TestPolicies.Bob);
        using var asBob = _stack.Gateway.Client(bob);
        (await asBob.PostAsJsonAsync($"api/requests/{ChatStack.RequestIdOf(card)}/approve", new { })).EnsureSuccessStatusCode();

        await _stack.CardShowingAsync("Approved* by bob@example.com");
        await _stack.DirectMessageAsync(ChatStack.Alice, "Password");
    }
}
