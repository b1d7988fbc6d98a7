using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Chatops.Tests.Support;
using Appliance.Tests.Common.Gateway;

namespace Appliance.Chatops.Tests.EndToEnd;

/// <summary>
/// <c>POST /gateway/events</c> with signed events this test writes itself (the gateway here does
/// not deliver), against the real gateway's claims and state: signature, idempotency by
/// event id, release on failure, version ordering, and what each event type shows in Slack.
/// </summary>
public sealed class GatewayEventsTests : IAsyncLifetime
{
    private ChatStack _stack = null!;

    public async Task InitializeAsync() => _stack = await ChatStack.StartAsync(deliverEvents: false);

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task SameEventTwice_IsHandledOnce()
    {
        var created = Event("evt_twice", "request.created", await NewRequestAsync());

        using var first = await PostAsync(created);
        using var second = await PostAsync(created);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Single(_stack.Slack.CallsTo("chat.postMessage"));
    }

    [Fact]
    public async Task ForgedOrStaleEvent_Is401_AndLeavesNoClaimBehind()
    {
        var created = Event("evt_forged", "request.created", await NewRequestAsync());

        using var forged = await PostAsync(created, secret: "not-the-chatops-token");
        using var stale = await PostAsync(created, at: DateTimeOffset.UtcNow.AddMinutes(-6));
        using var unsigned = await _stack.Chatops.Http.PostAsync(_stack.Chatops.Events, new StringContent(created.ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Empty(_stack.Slack.Calls);

        // Had a refused delivery claimed the id, the genuine one would now be skipped.
        using var genuine = await PostAsync(created);
        Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
        Assert.Single(_stack.Slack.CallsTo("chat.postMessage"));
    }

    [Fact]
    public async Task FailedHandling_Is500_AndTheRedeliveryWorks()
    {
        var created = Event("evt_retry", "request.created", await NewRequestAsync());
        _stack.Slack.FailNext("chat.postMessage", "internal_error");

        using var failed = await PostAsync(created);
        using var retried = await PostAsync(created);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Single(_stack.Slack.MessagesIn(_stack.CardChannel));
    }

    [Fact]
    public async Task OlderSnapshotAfterANewerOne_DoesNotTurnTheCardBack()
    {
        var pending = await NewRequestAsync();
        var id = pending["id"]!.GetValue<string>();
        (await PostAsync(Event("evt_v1", "request.created", pending))).Dispose();
        await _stack.CardAsync();
        using (var asBob = _stack.Gateway.Client(await _stack.Gateway.CreateTokenAsync(TestPolicies.Bob)))
        {
            (await asBob.PostAsJsonAsync($"api/requests/{id}/approve", new { })).EnsureSuccessStatusCode();
        }

        (await PostAsync(Event("evt_v2", "request.approved", await _stack.RequestAsync(id), actor: TestPolicies.Bob))).Dispose();
        await _stack.CardShowingAsync("Approved* by bob@example.com");
        using var late = await PostAsync(Event("evt_v1_again", "request.approval_added", pending));

        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        var card = Assert.Single(_stack.Slack.MessagesIn(_stack.CardChannel));
        Assert.Contains("Approved* by bob@example.com", card.AllText, StringComparison.Ordinal);
        Assert.Equal(1, card.Updates);
    }

    [Fact]
    public async Task GrantExpiring_WarnsTheRequester()
    {
        var request = await NewRequestAsync();
        request["status"] = "active";
        request["expiresAt"] = DateTimeOffset.UtcNow.AddMinutes(5).ToString("O", CultureInfo.InvariantCulture);

        (await PostAsync(Event("evt_expiring", "grant.expiring", request, actor: "system"))).EnsureSuccessStatusCode();

        var dm = await _stack.DirectMessageAsync(ChatStack.Alice, "expires at");
        Assert.Contains($"/hoop extend {request["id"]!.GetValue<string>()} 30m", dm.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(_stack.Slack.CallsTo("chat.postMessage"), c => c.Arg("channel") == "db-access");
    }

    /// <summary>A pending request the gateway cancels (a policy change took it away) is told to its requester, who was promised a DM (probe KC2).</summary>
    [Fact]
    public async Task RequestCancelledByTheSystem_IsToldToTheRequester()
    {
        var request = await NewRequestAsync();
        request["status"] = "cancelled";
        request["endedBy"] = "system";
        request["endReason"] = "alice@example.com may no longer request demo";

        (await PostAsync(Event("evt_cancelled", "request.cancelled", request, actor: "system"))).EnsureSuccessStatusCode();

        var dm = await _stack.DirectMessageAsync(ChatStack.Alice, "was cancelled by system");
        Assert.Contains("may no longer request demo", dm.AllText, StringComparison.Ordinal);
    }

    /// <summary>An allowed statement's approval that ends unused (its grant ended) is not "nobody decided in time" (probe BA).</summary>
    [Fact]
    public async Task UnusedApprovalEnded_IsSaidAsSuch()
    {
        var review = await NewRequestAsync();
        review["kind"] = "command";
        review["command"] = new JsonObject { ["sql"] = "DELETE FROM orders", ["guardrail"] = "unbounded-write", ["sessionId"] = "s2" };
        review["status"] = "expired";
        review["activatedAt"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        review["endReason"] = "grant k7m2q9xa ended";

        (await PostAsync(Event("evt_unused", "request.expired", review, actor: "system"))).EnsureSuccessStatusCode();

        var dm = await _stack.DirectMessageAsync(ChatStack.Alice, "ended unused");
        Assert.Contains("ended unused: grant k7m2q9xa ended. Run the statement again", dm.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("nobody decided", dm.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GuardrailBlocked_IsPostedToTheChannel_Inert()
    {
        var data = new JsonObject
        {
            ["connection"] = "demo",
            ["channel"] = "db-access",
            ["user"] = TestPolicies.Alice,
            ["sessionId"] = "s1",
            ["rule"] = "destructive-ddl",
            ["action"] = "block",
            ["message"] = "Destructive DDL is not allowed through the gateway.",
            ["statement"] = "DROP TABLE orders -- <!channel> <http://evil|click>",
            ["statementSeq"] = 3,
        };

        (await PostAsync(new JsonObject { ["id"] = "evt_guard", ["type"] = "guardrail.blocked", ["occurredAt"] = "2026-11-26T10:00:00Z", ["data"] = data })).EnsureSuccessStatusCode();

        var post = Assert.Single(_stack.Slack.MessagesIn(_stack.CardChannel));
        Assert.Contains("Blocked* by `destructive-ddl`", post.AllText, StringComparison.Ordinal);
        Assert.Contains("```DROP TABLE orders -- &lt;!channel&gt; &lt;http://evil|click&gt;```", post.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("<!channel>", post.AllText, StringComparison.Ordinal);
        // Which statement and when: posts of one session may reach the channel apart (probe AW).
        Assert.Contains("Session `s1`, statement 3 · <!date^1795687200^", post.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandReview_IsACardApproversCanDecide()
    {
        var review = await NewRequestAsync();
        review["kind"] = "command";
        review["command"] = new JsonObject
        {
            ["sql"] = "DELETE FROM orders <!here>",
            ["guardrail"] = "unbounded-write",
            ["message"] = "Writes without WHERE wait for an approver.",
            ["sessionId"] = "s2",
        };

        (await PostAsync(Event("evt_review", "request.created", review))).EnsureSuccessStatusCode();

        var card = await _stack.CardAsync();
        Assert.Contains("Statement held for review", card.AllText, StringComparison.Ordinal);
        Assert.Contains("```DELETE FROM orders &lt;!here&gt;```", card.AllText, StringComparison.Ordinal);
        Assert.Contains("\"action_id\":\"approve\"", card.AllText, StringComparison.Ordinal);
        Assert.Contains("\"action_id\":\"deny\"", card.AllText, StringComparison.Ordinal);
    }

    private async Task<JsonObject> NewRequestAsync()
    {
        using var asAlice = _stack.Gateway.Client(await _stack.Gateway.CreateTokenAsync(TestPolicies.Alice));
        using var response = await asAlice.PostAsJsonAsync("api/requests", new { connection = "demo", duration = "1h", reason = "from the test" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static JsonObject Event(string id, string type, JsonObject request, string actor = TestPolicies.Alice) => new()
    {
        ["id"] = id,
        ["type"] = type,
        ["occurredAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["data"] = new JsonObject { ["request"] = request.DeepClone(), ["actor"] = actor },
    };

    /// <summary>Signs as the gateway does (docs/architecture.md), computed here independently.</summary>
    private async Task<HttpResponseMessage> PostAsync(JsonObject e, DateTimeOffset? at = null, string secret = TestGateway.ChatopsToken)
    {
        var body = e.ToJsonString();
        var t = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var v1 = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body)));
        using var request = new HttpRequestMessage(HttpMethod.Post, _stack.Chatops.Events)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Appliance-Signature", $"t={t},v1={v1}");
        return await _stack.Chatops.Http.SendAsync(request);
    }
}
