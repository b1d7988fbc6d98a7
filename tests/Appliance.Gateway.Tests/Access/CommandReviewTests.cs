using System.Net;
using Appliance.Gateway.Access;
using Appliance.Gateway.Configuration;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common.Gateway;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Access;

/// <summary>Statements held for review go through the same request engine as access.</summary>
public sealed class CommandReviewTests : IAsyncLifetime
{
    private TestGateway _gateway = null!;
    private HttpClient _bob = null!;
    private Person _alice = null!;

    public async Task InitializeAsync()
    {
        _gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        _bob = _gateway.Client(await _gateway.CreateTokenAsync(Bob));
        _alice = (await _gateway.Service<PeopleDirectory>().FindAsync(Alice))!;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private Task<ReviewResult> HoldAsync(string sql, TimeSpan hold, string grantId = "g-test") =>
        _gateway.Service<CommandReviews>().HoldAsync(
            _alice,
            _gateway.Service<IPolicyProvider>().Current.FindConnection("demo")!,
            new CommandReview(sql, CommandReview.FingerprintOf(sql), "unbounded-write", "Deletes without WHERE need review.", "s-test", grantId),
            hold,
            CancellationToken.None);

    [Fact]
    public async Task AnApproval_IsGoodOnlyUnderTheGrantTheStatementWasHeldUnder()
    {
        var held = await HoldAsync("DELETE FROM invoices", TimeSpan.FromMilliseconds(200), grantId: "g-first");
        Assert.Equal(ReviewOutcome.StillPending, held.Outcome);
        await _bob.PostAsync($"api/requests/{held.Review.Id}/approve", null, HttpStatusCode.OK);

        var underAnother = await HoldAsync("DELETE FROM invoices", TimeSpan.FromMilliseconds(200), grantId: "g-second");
        Assert.Equal(ReviewOutcome.StillPending, underAnother.Outcome);
        Assert.NotEqual(held.Review.Id, underAnother.Review.Id);

        var underItsOwn = await HoldAsync("DELETE FROM invoices", TimeSpan.FromMilliseconds(200), grantId: "g-first");
        Assert.Equal(ReviewOutcome.Approved, underItsOwn.Outcome);
        Assert.Equal(held.Review.Id, underItsOwn.Review.Id);
    }

    [Fact]
    public async Task AnApproval_CoversTheStatementWithOrWithoutItsClosingSemicolon_AndNoOther()
    {
        var held = await HoldAsync("DELETE FROM invoices", TimeSpan.FromMilliseconds(200));
        await _bob.PostAsync($"api/requests/{held.Review.Id}/approve", null, HttpStatusCode.OK);

        // psql -f sends the statement with its semicolon (and a newline).
        Assert.Equal(ReviewOutcome.StillPending, (await HoldAsync("DELETE FROM invoices_archive;", TimeSpan.FromMilliseconds(200))).Outcome);
        Assert.Equal(ReviewOutcome.Approved, (await HoldAsync("  DELETE FROM invoices;\n", TimeSpan.FromMilliseconds(200))).Outcome);
    }

    private async Task<string> WaitForPendingReviewAsync(string sql)
    {
        for (var i = 0; i < 100; i++)
        {
            var pending = await _bob.GetJsonAsync("api/requests?status=pending&kind=command");
            var match = pending.EnumerateArray().FirstOrDefault(r => r.GetProperty("command").Str("sql") == sql);
            if (match.ValueKind != System.Text.Json.JsonValueKind.Undefined)
            {
                return match.Str("id");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no pending review appeared");
    }

    [Fact]
    public async Task HeldStatement_ApprovedInTime_Runs_AndTheApprovalIsSpent()
    {
        var hold = HoldAsync("DELETE FROM orders", TimeSpan.FromSeconds(20));
        var id = await WaitForPendingReviewAsync("DELETE FROM orders");
        var review = await _bob.GetJsonAsync($"api/requests/{id}");
        Assert.Equal("command", review.Str("kind"));
        Assert.Equal("unbounded-write", review.GetProperty("command").Str("guardrail"));
        Assert.False(review.GetProperty("command").TryGetProperty("fingerprint", out _), "the exact text's hash stays in the store");

        await _bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        var result = await hold;
        Assert.Equal(ReviewOutcome.Approved, result.Outcome);
        Assert.Equal("executed", (await _bob.GetJsonAsync($"api/requests/{id}")).Str("endReason"));

        // Once: the same statement again needs a new review.
        var again = await HoldAsync("DELETE FROM orders", TimeSpan.FromMilliseconds(300));
        Assert.Equal(ReviewOutcome.StillPending, again.Outcome);
        Assert.NotEqual(id, again.Review.Id);
    }

    [Fact]
    public async Task HeldStatement_Denied_IsRefused()
    {
        var hold = HoldAsync("UPDATE customers SET email = NULL", TimeSpan.FromSeconds(20));
        var id = await WaitForPendingReviewAsync("UPDATE customers SET email = NULL");
        await _bob.PostAsync($"api/requests/{id}/deny", new { reason = "no" }, HttpStatusCode.OK);
        var result = await hold;
        Assert.Equal(ReviewOutcome.Denied, result.Outcome);
        Assert.Equal("no", result.Review.DenyReason);
    }

    [Fact]
    public async Task HeldStatement_NoDecisionInTime_CarriesTheReviewId_AndPassesOnceAfterApproval()
    {
        var first = await HoldAsync("DELETE FROM sessions", TimeSpan.FromMilliseconds(300));
        Assert.Equal(ReviewOutcome.StillPending, first.Outcome);

        await _bob.PostAsync($"api/requests/{first.Review.Id}/approve", null, HttpStatusCode.OK);
        var retried = await HoldAsync("DELETE FROM sessions", TimeSpan.FromMilliseconds(300));
        Assert.Equal(ReviewOutcome.Approved, retried.Outcome);
        Assert.Equal(first.Review.Id, retried.Review.Id);

        var third = await HoldAsync("DELETE FROM sessions", TimeSpan.FromMilliseconds(300));
        Assert.Equal(ReviewOutcome.StillPending, third.Outcome);
    }

    [Fact]
    public async Task Review_CannotBeApprovedByTheRequester()
    {
        var held = await HoldAsync("DELETE FROM audit", TimeSpan.FromMilliseconds(100));
        using var alice = _gateway.Client(await _gateway.CreateTokenAsync(Alice));
        var problem = await alice.PostAsync($"api/requests/{held.Review.Id}/approve", null, HttpStatusCode.Forbidden);
        Assert.Equal("self-approval", problem.Rule());
    }
}
