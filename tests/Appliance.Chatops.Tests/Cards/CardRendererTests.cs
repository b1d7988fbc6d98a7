using System.Text.Json.Nodes;
using Appliance.Chatops.Cards;
using Appliance.Chatops.Slack.BlockKit;
using Appliance.Chatops.Gateway;
using Appliance.Chatops.Tests.Support;

namespace Appliance.Chatops.Tests.Cards;

public sealed class CardRendererTests
{
    private const string Evil = "<!channel> see <http://evil.example|click here> & <@U0ADMIN>";

    [Fact]
    public void PendingCard_SaysWhoWhatHowLongWhy_WithApproveAndDenyCarryingTheId()
    {
        var (text, blocks) = CardRenderer.Render(Requests.Pending());
        var json = JsonText.Of(blocks);

        Assert.Contains("alice@example.com", json, StringComparison.Ordinal);
        Assert.Contains("*db-prod*", json, StringComparison.Ordinal);
        Assert.Contains("*1h*", json, StringComparison.Ordinal);
        Assert.Contains("investigating order 4411", json, StringComparison.Ordinal);
        Assert.Contains("k7m2q9xa", text, StringComparison.Ordinal);

        var buttons = Buttons(blocks);
        Assert.Equal(["approve", "deny"], buttons.Select(b => b["action_id"]!.GetValue<string>()));
        Assert.All(buttons, b => Assert.Equal("k7m2q9xa", b["value"]!.GetValue<string>()));
    }

    [Fact]
    public void CraftedReason_IsRenderedInert()
    {
        var (text, blocks) = CardRenderer.Render(Requests.Pending(reason: Evil) with { Requester = "<!here>@example.com" });
        var everything = text + JsonText.Of(blocks);

        Assert.DoesNotContain("<!channel>", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("<!here>", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("<http://evil", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("<@U0ADMIN>", everything, StringComparison.Ordinal);
        Assert.Contains("&lt;!channel&gt; see &lt;http://evil.example|click here&gt; &amp; &lt;@U0ADMIN&gt;", everything, StringComparison.Ordinal);
    }

    [Fact]
    public void MultiLineReason_StaysInsideTheQuote()
    {
        var (_, blocks) = CardRenderer.Render(Requests.Pending(reason: "line one\n*APPROVED BY THE CEO*"));

        Assert.Contains("&gt; line one\\n&gt; *APPROVED BY THE CEO*", JsonText.Of(blocks), StringComparison.Ordinal);
    }

    [Fact]
    public void CommandReview_ShowsSqlInACodeBlock_Escaped()
    {
        const string sql = "DELETE FROM orders -- <!channel> <http://evil|click> ``` *bold*";
        var (text, blocks) = CardRenderer.Render(Requests.CommandReview(sql));
        var everything = text + JsonText.Of(blocks);

        var codeBlock = Sections(blocks).Single(s => s.StartsWith("```", StringComparison.Ordinal));
        Assert.StartsWith("```DELETE FROM orders -- &lt;!channel&gt; &lt;http://evil|click&gt;", codeBlock, StringComparison.Ordinal);
        Assert.EndsWith("```", codeBlock, StringComparison.Ordinal);
        // The statement's own fence is broken up, so it cannot close the block early.
        Assert.Equal(2, CountOf(codeBlock, "```"));
        Assert.DoesNotContain("<!channel>", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("<http://evil", everything, StringComparison.Ordinal);
        Assert.Contains("unbounded-write", everything, StringComparison.Ordinal);
        Assert.Equal(["approve", "deny"], Buttons(blocks).Select(b => b["action_id"]!.GetValue<string>()));
    }

    /// <summary>
    /// An approver allows what the card shows: all of a long statement, over several blocks (probe
    /// EG1: cut at 2,500 characters, the card hid "card_number = '0000', ssn = …" after comments);
    /// one too long to show whole can only be denied from the card.
    /// </summary>
    [Theory]
    [InlineData(2_710, true)]
    [InlineData(15_000, true)]
    [InlineData(40_000, false)]
    public void CommandReview_ShowsAllOfTheStatement_OrOffersNoAllow(int length, bool allowed)
    {
        const string tail = ", card_number = '0000', ssn = '000-00-0000'";
        var padding = string.Concat(Enumerable.Repeat("-- just a comment <&>\n", length / 22));
        var sql = "UPDATE customers SET full_name = full_name\n" + padding + tail;
        var (_, blocks) = CardRenderer.Render(Requests.CommandReview(sql));

        var code = Sections(blocks).Where(s => s.StartsWith("```", StringComparison.Ordinal)).ToList();
        Assert.All(code, block => Assert.True(block.Length <= Mrkdwn.MaxSectionText));
        Assert.True(blocks.Count <= 50);
        var actions = Buttons(blocks).Select(b => b["action_id"]!.GetValue<string>()).ToList();
        if (allowed)
        {
            Assert.Equal(Mrkdwn.Escape(sql), string.Concat(code.Select(b => b[3..^3])));
            Assert.Equal(["approve", "deny"], actions);
        }
        else
        {
            Assert.Equal(["deny"], actions);
            Assert.Contains(Sections(blocks), s => s.Contains("too long to show here whole", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void PartialApproval_ShowsOneOfTwo()
    {
        var r = Requests.Pending(minApprovals: 2) with { Approvals = [new Approval("bob@example.com", null)], Version = 2 };

        var json = JsonText.Of(CardRenderer.Render(r).Blocks);

        Assert.Contains("1 of 2 approvals (bob@example.com)", json, StringComparison.Ordinal);
        Assert.Equal(2, Buttons(CardRenderer.Render(r).Blocks).Count);
    }

    [Fact]
    public void Approved_SaysByWhom_AndOffersOnlyRevoke()
    {
        var r = Requests.Pending() with
        {
            Status = RequestStatuses.Active,
            Approvals = [new Approval("bob@example.com", null)],
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000),
        };

        var json = JsonText.Of(CardRenderer.Render(r).Blocks);

        Assert.Contains("Approved* by bob@example.com", json, StringComparison.Ordinal);
        Assert.Contains("active until <!date^1800000000^", json, StringComparison.Ordinal);
        Assert.Equal([CardRenderer.RevokeAction], Buttons(CardRenderer.Render(r).Blocks).Select(b => b["action_id"]!.GetValue<string>()));
    }

    [Fact]
    public void Denied_ShowsWhoAndTheReason_Escaped()
    {
        var r = Requests.Pending() with { Status = RequestStatuses.Denied, DeniedBy = "bob@example.com", DenyReason = "use <the replica>" };

        var json = JsonText.Of(CardRenderer.Render(r).Blocks);

        Assert.Contains("Denied* by bob@example.com: use &lt;the replica&gt;", json, StringComparison.Ordinal);
        Assert.Empty(Buttons(CardRenderer.Render(r).Blocks));
    }

    [Theory]
    [InlineData(RequestStatuses.Cancelled, "Cancelled")]
    [InlineData(RequestStatuses.Revoked, "Revoked")]
    [InlineData(RequestStatuses.Expired, "nobody decided in time")]
    public void EndedStates_AreSaidAndHaveNoButtons(string status, string expected)
    {
        var r = Requests.Pending() with { Status = status, EndedBy = "carol@example.com" };

        var (_, blocks) = CardRenderer.Render(r);

        Assert.Contains(expected, JsonText.Of(blocks), StringComparison.Ordinal);
        Assert.Empty(Buttons(blocks));
    }

    [Fact]
    public void ExpiredGrant_IsNotConfusedWithAnUndecidedRequest()
    {
        var r = Requests.Pending() with
        {
            Status = RequestStatuses.Expired,
            ActivatedAt = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000),
            EndedAt = DateTimeOffset.FromUnixTimeSeconds(1_800_003_600),
            Approvals = [new Approval("bob@example.com", null)],
        };

        var json = JsonText.Of(CardRenderer.Render(r).Blocks);

        Assert.Contains("Expired* at <!date^1800003600^", json, StringComparison.Ordinal);
        Assert.Contains("· approved by bob@example.com", json, StringComparison.Ordinal);
        Assert.DoesNotContain("nobody decided", json, StringComparison.Ordinal);
    }

    /// <summary>
    /// The gateway stores an allowed statement's end as expired with its reason; the card says what
    /// happened, not "Expired … by bob" (probe AW).
    /// </summary>
    [Theory]
    [InlineData("executed", "▶️ *Ran* at <!date^1800000030^", "ran")]
    [InlineData("abandoned", "⚠️ *Allowed* by bob@example.com, but the statement did not run", "allowed, did not run")]
    [InlineData(null, "⌛ *Expired* at <!date^1800000030^", "expired")]
    public void EndedReview_SaysWhetherTheStatementRan(string? endReason, string expectedLine, string expectedWord)
    {
        var r = Requests.CommandReview("DELETE FROM orders") with
        {
            Status = RequestStatuses.Expired,
            ActivatedAt = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000),
            EndedAt = DateTimeOffset.FromUnixTimeSeconds(1_800_000_030),
            EndReason = endReason,
            Approvals = [new Approval("bob@example.com", null)],
        };

        var (text, blocks) = CardRenderer.Render(r);

        var json = JsonText.Of(blocks);
        Assert.Contains(expectedLine, json, StringComparison.Ordinal);
        Assert.DoesNotContain("UTC> by", json, StringComparison.Ordinal);
        Assert.EndsWith($"({expectedWord})", text, StringComparison.Ordinal);
        Assert.Empty(Buttons(blocks));
    }

    /// <summary>An active grant's card offers Revoke, behind a confirmation; an allowed statement's card offers nothing.</summary>
    [Fact]
    public void ActiveGrant_OffersRevoke_BehindAConfirmation()
    {
        var grant = Requests.Pending() with { Status = RequestStatuses.Active, Approvals = [new Approval("bob@example.com", null)] };

        var revoke = Assert.Single(Buttons(CardRenderer.Render(grant).Blocks));

        Assert.Equal(CardRenderer.RevokeAction, revoke["action_id"]!.GetValue<string>());
        Assert.Equal("k7m2q9xa", revoke["value"]!.GetValue<string>());
        Assert.Equal("danger", revoke["style"]!.GetValue<string>());
        Assert.Contains("open sessions are cut", revoke["confirm"]!["text"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var review = Requests.CommandReview("DELETE FROM orders") with { Status = RequestStatuses.Active, Approvals = [new Approval("bob@example.com", null)] };
        Assert.Empty(Buttons(CardRenderer.Render(review).Blocks));
    }

    /// <summary>A review the system cancelled says why: its grant ended, the statement never ran (probe DL: "Cancelled by system" alone).</summary>
    [Fact]
    public void CancelledReview_SaysWhy()
    {
        var review = Requests.CommandReview("DELETE FROM orders") with
        {
            Status = RequestStatuses.Cancelled,
            EndedBy = "system",
            EndReason = "grant k7m2q9xa ended: the statement cannot run under it",
        };

        Assert.Contains("*Cancelled* by system: grant k7m2q9xa ended: the statement cannot run under it", JsonText.Of(CardRenderer.Render(review).Blocks), StringComparison.Ordinal);
    }

    [Fact]
    public void PendingExtension_OffersApproveAndDenyOfTheExtension()
    {
        var r = Requests.Pending() with
        {
            Status = RequestStatuses.Active,
            Approvals = [new Approval("bob@example.com", null)],
            Extension = new PendingExtension("30m", "alice@example.com", null, "order 4411 <not done>", []),
        };

        var (_, blocks) = CardRenderer.Render(r);

        Assert.Contains("Extension* by 30m asked by alice@example.com: 0 of 1 approvals\\n&gt; order 4411 &lt;not done&gt;", JsonText.Of(blocks), StringComparison.Ordinal);
        // Revoke stays on the card while an extension waits (probe BA).
        Assert.Equal(["Approve +30m", "Deny extension", "Revoke"], Buttons(blocks).Select(b => b["text"]!["text"]!.GetValue<string>()));
        Assert.Equal([CardRenderer.ApproveExtensionAction, CardRenderer.DenyExtensionAction, CardRenderer.RevokeAction],
            Buttons(blocks).Select(b => b["action_id"]!.GetValue<string>()));
    }

    private static List<JsonObject> Buttons(JsonArray blocks) =>
        [.. blocks.OfType<JsonObject>()
            .Where(b => b["type"]!.GetValue<string>() == "actions")
            .SelectMany(b => b["elements"]!.AsArray().OfType<JsonObject>())];

    private static List<string> Sections(JsonArray blocks) =>
        [.. blocks.OfType<JsonObject>()
            .Where(b => b["type"]!.GetValue<string>() == "section" && b["text"] is not null)
            .Select(b => b["text"]!["text"]!.GetValue<string>())];

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
