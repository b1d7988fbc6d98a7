using System.Net;
using System.Text.Json.Nodes;
using Appliance.Chatops.Tests.Support;
using Appliance.Tests.Common.Http;
using Appliance.Tests.Common.Slack;

namespace Appliance.Chatops.Tests.Slack.Http;

/// <summary>
/// HTTP mode without a gateway behind it: the recording server at APPLIANCE_URL proves which
/// requests reach the gateway at all (these tests never need an answer from it).
/// </summary>
public sealed class SlackHttpApiTests : IAsyncLifetime
{
    private SlackEmulator _slack = null!;
    private RecordingHttpServer _gateway = null!;
    private ChatopsHost _chatops = null!;

    public async Task InitializeAsync()
    {
        _slack = await SlackEmulator.StartAsync();
        _slack.AddUser("U1", "alice@example.com", "Alice");
        _slack.AddUser("U2", "bob@example.com", "Bob");
        _slack.AddUser("U9", null, "No Email");
        _gateway = await RecordingHttpServer.StartAsync();
        _chatops = await ChatopsHost.StartAsync(ChatopsHost.Settings(_slack, _gateway.BaseAddress));
    }

    /// <summary>What reached the gateway beyond the claim each accepted request takes (GC1).</summary>
    private IReadOnlyCollection<Appliance.Tests.Common.Http.RecordedRequest> GatewayCalls =>
        [.. _gateway.Requests.Where(r => !r.Path.StartsWith("/api/chatops/claims/slack-request", StringComparison.Ordinal))];

    public async Task DisposeAsync()
    {
        await _chatops.DisposeAsync();
        await _gateway.DisposeAsync();
        await _slack.DisposeAsync();
    }

    [Fact]
    public async Task SignedHelp_AnswersEphemerallyAtOnce()
    {
        using var response = await _chatops.CommandAsync(_slack, "U1", "help", out _);

        var text = await ChatopsHost.AckTextAsync(response);
        Assert.Contains("/hoop request <connection> [duration] [reason…]", text, StringComparison.Ordinal);
        Assert.Empty(GatewayCalls);
    }

    [Fact]
    public async Task MalformedCommand_SaysWhatIsWrongAndHowToWriteIt_WithoutCallingAnything()
    {
        using var response = await _chatops.CommandAsync(_slack, "U1", "request demo 2 hours investigating", out _);

        var text = await ChatopsHost.AckTextAsync(response);
        Assert.Contains("`2` is not a duration", text, StringComparison.Ordinal);
        Assert.Contains("/hoop request <connection> [duration] [reason…]", text, StringComparison.Ordinal);
        Assert.Empty(GatewayCalls);
        Assert.Empty(_slack.Calls);
    }

    [Fact]
    public async Task ForgedSignature_Is401_AndNothingHappens()
    {
        var body = SlackRequestSigner.FormBody(SlackPayloads.SlashCommand(_slack, "U1", "request demo 1h investigating", out _));
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var forged = SlackRequestSigner.WithHeaders(_chatops.Commands, body, timestamp, SlackRequestSigner.Sign("not-the-secret", timestamp, body));

        using var response = await _chatops.Http.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task TamperedBody_Is401_AndNothingHappens()
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signedBody = SlackRequestSigner.FormBody(SlackPayloads.SlashCommand(_slack, "U1", "help", out _));
        var sentBody = signedBody.Replace("text=help", "text=request%20demo%201h%20x", StringComparison.Ordinal);
        using var tampered = SlackRequestSigner.WithHeaders(_chatops.Commands, sentBody, timestamp, SlackRequestSigner.Sign(ChatopsHost.SigningSecret, timestamp, signedBody));

        using var response = await _chatops.Http.SendAsync(tampered);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task StaleTimestamp_Is401_AndNothingHappens()
    {
        var fields = SlackPayloads.SlashCommand(_slack, "U1", "request demo 1h investigating", out _);
        using var stale = _chatops.Signer.SlashCommand(_chatops.Commands, fields, DateTimeOffset.UtcNow.AddMinutes(-6));

        using var response = await _chatops.Http.SendAsync(stale);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task MissingSignature_Is401()
    {
        var body = SlackRequestSigner.FormBody(SlackPayloads.SlashCommand(_slack, "U1", "list", out _));
        using var unsigned = SlackRequestSigner.WithHeaders(_chatops.Commands, body, timestamp: null, signature: null);

        using var response = await _chatops.Http.SendAsync(unsigned);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingHappenedAsync();
    }

    [Fact]
    public async Task ASignedRequest_WhoseClaimTheGatewayCannotTake_Is503_AndNothingHappens()
    {
        // Without the claim a replay at another chatops could not be told (probe GC1): refused, not run.
        _gateway.FailuresLeft = 1;

        using var response = await _chatops.CommandAsync(_slack, "U1", "help", out _);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.StartsWith("/api/chatops/claims/slack-request:", Assert.Single(_gateway.Requests).Path, StringComparison.Ordinal);
        Assert.Empty(_slack.Calls);
    }

    [Fact]
    public async Task ReplayedInteraction_Is401_AndActsOnlyOnce()
    {
        var payload = SlackPayloads.BlockAction(_slack, "U2", "deny", "k7m2q9xa", _slack.ChannelId("db-access"), "1.000001", out _);
        var body = SlackRequestSigner.FormBody(new Dictionary<string, string> { ["payload"] = payload.ToJsonString() });
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = SlackRequestSigner.Sign(ChatopsHost.SigningSecret, timestamp, body);

        using var first = await _chatops.Http.SendAsync(SlackRequestSigner.WithHeaders(_chatops.Interactions, body, timestamp, signature));
        using var replay = await _chatops.Http.SendAsync(SlackRequestSigner.WithHeaders(_chatops.Interactions, body, timestamp, signature));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Single(_slack.CallsTo("views.open"));
    }

    [Theory]
    [InlineData("deny", "Deny request", "Deny request `k7m2q9xa`?")]
    // Only the extension is denied: the form says so (probe DL: "Deny request" on an active grant).
    [InlineData("deny_extension", "Deny extension", "Deny the extension of `k7m2q9xa`? The grant keeps running")]
    public async Task DenyClick_OpensTheReasonModalBeforeAcknowledging(string actionId, string title, string text)
    {
        var payload = SlackPayloads.BlockAction(_slack, "U2", actionId, "k7m2q9xa", _slack.ChannelId("db-access"), "1.000001", out _);

        using var response = await _chatops.Http.SendAsync(_chatops.Signer.Interaction(_chatops.Interactions, payload));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Opened before the 200 went out: the trigger_id would not outlive slow work.
        var call = Assert.Single(_slack.CallsTo("views.open"));
        Assert.True(call.Ok, call.Response.ToJsonString());
        var view = (JsonObject)call.Args["view"]!;
        Assert.Equal("deny_reason", view["callback_id"]!.GetValue<string>());
        Assert.Contains("\"k7m2q9xa\"", view["private_metadata"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(title, view["title"]!["text"]!.GetValue<string>());
        Assert.Contains(text, view.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), StringComparison.Ordinal);
        Assert.Empty(GatewayCalls);
    }

    [Fact]
    public async Task ApproveClick_WhenTheGatewayAnswersOutOfContract_TellsTheClickerPrivately()
    {
        var payload = SlackPayloads.BlockAction(_slack, "U2", "approve", "k7m2q9xa", _slack.ChannelId("db-access"), "1.000001", out var responseUrl);

        using var response = await _chatops.Http.SendAsync(_chatops.Signer.Interaction(_chatops.Interactions, payload));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await _slack.WaitForResponseAsync(responseUrl);
        Assert.Contains("The appliance could not be reached", reply.Text, StringComparison.Ordinal);
        // The click is checked against the request's state first (is an extension waiting?): that read already fails.
        Assert.Equal("/api/requests/k7m2q9xa", Assert.Single(GatewayCalls).Path);
        Assert.Empty(_slack.CallsTo("chat.update"));
    }

    [Fact]
    public async Task SlackUserWithoutEmail_IsToldWhy_AndTheGatewayIsNotAsked()
    {
        using var response = await _chatops.CommandAsync(_slack, "U9", "request demo 1h investigating", out _);

        var text = await ChatopsHost.AckTextAsync(response);
        Assert.Contains("Slack shows no email address for you", text, StringComparison.Ordinal);
        Assert.Single(_slack.CallsTo("users.info"));
        Assert.Empty(GatewayCalls);
    }

    [Fact]
    public async Task CommandsActOnBehalfOfTheVerifiedSlackUser()
    {
        using var response = await _chatops.CommandAsync(_slack, "U1", "list", out _);
        await response.Content.ReadAsStringAsync();

        var request = Assert.Single(GatewayCalls);
        Assert.Equal("/api/connections", request.Path);
        Assert.Equal("Bearer " + ChatopsHost.ChatopsToken, request.Headers["Authorization"]);
        Assert.Equal("alice@example.com", request.Headers["X-Appliance-On-Behalf-Of"]);
    }

    [Fact]
    public async Task SlowAnswer_IsAcknowledgedAtOnce_ThenDeliveredThroughTheResponseUrl()
    {
        // A zero budget stands for work slower than Slack's 3 s.
        await using var slow = await ChatopsHost.StartAsync(ChatopsHost.Settings(_slack, _gateway.BaseAddress), ackBudget: TimeSpan.Zero);

        using var response = await slow.CommandAsync(_slack, "U9", "list", out var responseUrl);

        Assert.Contains("Working on it", await ChatopsHost.AckTextAsync(response), StringComparison.Ordinal);
        var late = await _slack.WaitForResponseAsync(responseUrl);
        Assert.Contains("Slack shows no email address for you", late.Text, StringComparison.Ordinal);
        Assert.Equal("ephemeral", late.Body["response_type"]!.GetValue<string>());
        Assert.True(late.Body["replace_original"]!.GetValue<bool>());
    }

    [Fact]
    public async Task PeopleAreLookedUpOnce_ThenCached()
    {
        (await _chatops.CommandAsync(_slack, "U9", "list", out _)).Dispose();
        (await _chatops.CommandAsync(_slack, "U9", "status", out _)).Dispose();

        Assert.Single(_slack.CallsTo("users.info"));
    }

    private async Task AssertNothingHappenedAsync()
    {
        // Give any stray background work the chance to show itself before asserting its absence.
        await Task.Delay(300);
        Assert.Empty(GatewayCalls);
        Assert.Empty(_slack.Calls);
        Assert.Empty(_slack.ResponseUrlPosts);
    }
}
