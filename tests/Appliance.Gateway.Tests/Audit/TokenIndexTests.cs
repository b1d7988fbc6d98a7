using System.Net;
using System.Net.Http.Json;
using Appliance.Gateway.Store;
using Appliance.Gateway.Tests.Store;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Dapper;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Audit;

/// <summary>
/// Logins read the tokens table: verify checks its rows against the tokens the chain recorded
/// (made, adopted, revoked), so a token row inserted, re-pointed or revived outside the gateway
/// is reported (probe ED2: a forged row logged in while the chain verified).
/// </summary>
public sealed class TokenIndexTests
{
    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task TokenRows_MadeUpRepointedOrRevived_AreReportedByVerify(string store)
    {
        await using var approved = await ApprovedGrantStore.StartAsync(store, "tokens");
        var grant = approved.Grant;
        await approved.Alice.PostAsync($"api/grants/{grant}/credentials", null, HttpStatusCode.Created);
        using var admin = approved.Gateway.AdminClient();
        var spare = (await admin.PostAsync($"api/users/{Uri.EscapeDataString(Dave)}/tokens", new { name = "spare" }, HttpStatusCode.Created)).Str("id");
        await admin.DeleteAsync($"api/tokens/{spare}");
        Assert.True(await approved.VerifiesAsync());
        Task<string> ProblemAfterAsync(string tamper, string restore) => approved.ProblemAfterAsync(tamper, restore, new { grant, spare });

        // A grant credential for dave, who has no grant, under alice's grant.
        Assert.Contains("token forged01 (grant, of dave@example.com) is in the tokens table but the chain never recorded it",
            await ProblemAfterAsync(
                "INSERT INTO tokens (id, kind, user_email, name, hash, grant_id, created_at) VALUES ('forged01', 'grant', 'dave@example.com', NULL, 'abc123', @grant, 0)",
                "DELETE FROM tokens WHERE id = 'forged01'"),
            StringComparison.Ordinal);
        Assert.EndsWith("user, hash differ",
            await ProblemAfterAsync(
                "CREATE TABLE tokens_kept AS SELECT * FROM tokens WHERE grant_id = @grant; UPDATE tokens SET user_email = 'dave@example.com', hash = 'abc123' WHERE grant_id = @grant",
                "DELETE FROM tokens WHERE grant_id = @grant; INSERT INTO tokens SELECT * FROM tokens_kept; DROP TABLE tokens_kept"),
            StringComparison.Ordinal);
        Assert.Contains($"token {spare} was revoked (event",
            await ProblemAfterAsync("UPDATE tokens SET revoked_at = NULL WHERE id = @spare", "UPDATE tokens SET revoked_at = 1 WHERE id = @spare"),
            StringComparison.Ordinal);
        Assert.True(await approved.VerifiesAsync());
    }

    /// <summary>
    /// A store of the version before: its tokens (a grant credential with no event at all) are
    /// adopted into the chain when this version first runs on it, once; a row added after is not.
    /// </summary>
    [Fact]
    public async Task TokensOfAnEarlierVersion_AreAdoptedOnce_AndOnlyThen()
    {
        var options = TestGatewayOptions.InTempDir();
        await using (var first = await TestGateway.StartAsync(options))
        {
            // As the version before left it: migration 1 only, a token with no event.
            await using var connection = await first.Service<StoreDatabase>().OpenAsync();
            await connection.ExecuteAsync(
                "DELETE FROM schema_migrations WHERE version = 2; DROP INDEX ix_events_type; " +
                "INSERT INTO tokens (id, kind, user_email, name, hash, grant_id, created_at) VALUES ('legacy01', 'grant', 'alice@example.com', 'grant x', 'abc123', 'k7m2q9xa', 0)");
        }

        await using (var upgraded = await TestGateway.StartAsync(options))
        {
            using var auditor = upgraded.Client(await upgraded.CreateTokenAsync(Auditor));
            Assert.True((await auditor.GetJsonAsync("api/audit/verify")).GetProperty("ok").GetBoolean());
            await using var connection = await upgraded.Service<StoreDatabase>().OpenAsync();
            Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'tokens.adopted'"));
            await connection.ExecuteAsync(
                "INSERT INTO tokens (id, kind, user_email, name, hash, grant_id, created_at) VALUES ('forged02', 'grant', 'dave@example.com', NULL, 'def456', 'k7m2q9xa', 0)");
        }

        await using var again = await TestGateway.StartAsync(options);
        using var auditor2 = again.Client(await again.CreateTokenAsync(Auditor));
        var verify = await auditor2.GetJsonAsync("api/audit/verify");
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Contains("token forged02 (grant, of dave@example.com) is in the tokens table but the chain never recorded it", verify.Str("problem"), StringComparison.Ordinal);
    }

    /// <summary>
    /// A token and its event are one write: when the chain takes no event, no token row is left
    /// either (probe EL2: a gateway killed between the two left a row verify reported for good).
    /// </summary>
    [Fact]
    public async Task ATokenWhoseEventCannotBeWritten_IsNotMade()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("tokens");
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database.ConnectionString));
        using var admin = gateway.AdminClient();

        await using (await StoreOutage.BeginWritesFailAsync(database))
        {
            using var response = await admin.PostAsJsonAsync($"api/users/{Uri.EscapeDataString(Dave)}/tokens", new { name = "lost" });
            // Said as what it is, not a bare 500 (probe EL4).
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("store-unavailable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await using var connection = await gateway.Service<StoreDatabase>().OpenAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM tokens WHERE name = 'lost'"));
        using var auditor = gateway.Client(await gateway.CreateTokenAsync(Auditor));
        Assert.True((await auditor.GetJsonAsync("api/audit/verify")).GetProperty("ok").GetBoolean());
    }
}
