using System.Net;
using Appliance.Gateway.Store;
using Appliance.Gateway.Tests.Store;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Dapper;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Audit;

/// <summary>
/// Who asked, who approved and why live in the requests and approvals tables, which the API
/// reads; verify checks them against the chained request events, so a rewritten approver or
/// requester, a deleted or a made-up request is reported (probe AZ); restored, the store verifies.
/// </summary>
public sealed class RequestIndexTests
{
    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task RequestRows_EditedDeletedOrMadeUp_AreReportedByVerify(string store)
    {
        await using var approved = await ApprovedGrantStore.StartAsync(store, "requests", new { comment = "ok" });
        var id = approved.Grant;
        Assert.True(await approved.VerifiesAsync());
        Task<string> ProblemAfterAsync(string tamper, string restore) => approved.ProblemAfterAsync(tamper, restore, new { id });

        Assert.Contains($"request {id}'s row is not what the chain last recorded",
            await ProblemAfterAsync($"UPDATE approvals SET approver = 'carol@example.com' WHERE request_id = @id", $"UPDATE approvals SET approver = '{Bob}' WHERE request_id = @id"),
            StringComparison.Ordinal);
        Assert.EndsWith("requester, reason differ",
            await ProblemAfterAsync(
                "UPDATE requests SET requester = 'carol@example.com', reason = 'routine' WHERE id = @id",
                $"UPDATE requests SET requester = '{Alice}', reason = 'checking order 4411' WHERE id = @id"),
            StringComparison.Ordinal);
        Assert.Contains($"request {id} (last recorded in event",
            await ProblemAfterAsync(
                "CREATE TABLE requests_kept AS SELECT * FROM requests WHERE id = @id; CREATE TABLE approvals_kept AS SELECT * FROM approvals WHERE request_id = @id; " +
                "DELETE FROM approvals WHERE request_id = @id; DELETE FROM requests WHERE id = @id",
                "INSERT INTO requests SELECT * FROM requests_kept; INSERT INTO approvals SELECT * FROM approvals_kept; DROP TABLE requests_kept; DROP TABLE approvals_kept"),
            StringComparison.Ordinal);
        Assert.Contains("request madeup01 is in the requests table but the chain never recorded it",
            await ProblemAfterAsync(
                "INSERT INTO requests SELECT 'madeup01', kind, connection, requester, reason, duration_seconds, status, version, min_approvals, approver_groups, channel, " +
                "created_at, pending_until, activated_at, expires_at, ended_at, denied_by, deny_reason, ended_by, end_reason, extension, command, updated_at FROM requests WHERE id = @id",
                "DELETE FROM requests WHERE id = 'madeup01'"),
            StringComparison.Ordinal);

        Assert.True(await approved.VerifiesAsync());
    }

    /// <summary>
    /// A row rewritten outside the gateway is not written into the chain by the next change as if
    /// made here (probe CA): a change that keeps access going is refused; an end goes through (a
    /// refused expiry would keep access open) and verify tells from the chain's own history.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task RewrittenRow_IsNotLaunderedByTheNextChange(string store)
    {
        await using var database = store == "postgres" ? await TestPostgres.CreateDatabaseAsync("launder") : null;
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database?.ConnectionString));
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        using var auditor = gateway.Client(await gateway.CreateTokenAsync(Auditor));
        var id = (await alice.RequestAsync("demo", "1h", "checking order 4411")).Str("id");
        await using (var connection = await gateway.Service<StoreDatabase>().OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE requests SET reason = 'routine maintenance' WHERE id = @id", new { id });
        }

        var refused = await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.Conflict);
        Assert.Contains("changed outside the gateway", refused.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("pending", (await alice.GetJsonAsync($"api/requests/{id}")).Str("status"));

        // Withdrawing it ends it: that goes through, and the chain now disagrees with itself.
        await alice.PostAsync($"api/requests/{id}/cancel", null, HttpStatusCode.OK);
        var verify = await auditor.GetJsonAsync("api/audit/verify");
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Contains($"changes request {id}'s reason, which event", verify.Str("problem"), StringComparison.Ordinal);
    }

    /// <summary>
    /// Ends go through on a tampered row, so the chain's own history must tell: a made-up grant
    /// whose first event is its revoke, and a revoked grant set active again and revoked anew
    /// (probe CF: both verified as ok).
    /// </summary>
    [Theory]
    [InlineData("made up")]
    [InlineData("un-revoked")]
    public async Task EndsOfTamperedRows_LeaveAHistoryTheGatewayNeverWrites(string tampering)
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        using var auditor = gateway.Client(await gateway.CreateTokenAsync(Auditor));
        var id = (await alice.RequestAsync("demo", "1h", "checking order 4411")).Str("id");
        await bob.PostAsync($"api/requests/{id}/approve", null, HttpStatusCode.OK);
        var target = id;
        await using (var connection = await gateway.Service<StoreDatabase>().OpenAsync())
        {
            if (tampering == "made up")
            {
                target = "madeup22";
                await connection.ExecuteAsync(
                    "INSERT INTO requests SELECT 'madeup22', kind, connection, requester, reason, duration_seconds, status, version, min_approvals, approver_groups, channel, " +
                    "created_at, pending_until, activated_at, expires_at, ended_at, denied_by, deny_reason, ended_by, end_reason, extension, command, updated_at FROM requests WHERE id = @id",
                    new { id });
            }
            else
            {
                await bob.PostAsync($"api/requests/{id}/revoke", new { reason = "done" }, HttpStatusCode.OK);
                await connection.ExecuteAsync("UPDATE requests SET status = 'active', ended_at = NULL, ended_by = NULL, end_reason = NULL WHERE id = @id", new { id });
            }
        }

        await bob.PostAsync($"api/requests/{target}/revoke", new { reason = "tidying up" }, HttpStatusCode.OK);

        var verify = await auditor.GetJsonAsync("api/audit/verify");
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Contains(tampering == "made up"
            ? "is request madeup22's first, a grant.revoked, not its creation"
            : $"moves request from revoked to revoked (grant.revoked)", verify.Str("problem"), StringComparison.Ordinal);
    }
}
