using Appliance.Gateway.Store;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Appliance.Gateway.Tests.Support;
using Dapper;
using Npgsql;

namespace Appliance.Gateway.Tests.Store;

/// <summary>
/// A store the gateway can read but not write (a read-only volume, a full disk, a read-only
/// database) stops the start with one clear error naming it, instead of a gateway that admits
/// sessions whose records can never be written (probe AX).
/// </summary>
public sealed class StoreStartupTests
{
    /// <summary>At start the chain's head goes to the log (shipped elsewhere, an anchor), in the form verify takes back.</summary>
    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task Start_LogsTheChainsHead_AsAnAnchorVerifyTakes(string kind)
    {
        await using var database = kind == "postgres" ? await TestPostgres.CreateDatabaseAsync("anchor") : null;
        var options = TestGatewayOptions.InTempDir(database?.ConnectionString);
        await using (var first = await TestGateway.StartAsync(options))
        {
            await first.CreateTokenAsync(TestPolicies.Alice);
        }

        var restarted = options with { Logs = new Appliance.Tests.Common.Logging.CapturingLoggerProvider() };
        await using var gateway = await TestGateway.StartAsync(restarted);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        Appliance.Tests.Common.Logging.CapturedLog? anchor;
        while ((anchor = restarted.Logs.Entries.FirstOrDefault(e => e.EventId.Id == 5010)) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.NotNull(anchor);
        var match = System.Text.RegularExpressions.Regex.Match(anchor.Message, @"verify\?seq=(\d+)&hash=([0-9a-f]{64})");
        Assert.True(match.Success, anchor.Message);
        using var auditor = gateway.Client(await gateway.CreateTokenAsync(TestPolicies.Auditor));
        var verify = await auditor.GetJsonAsync($"api/audit/verify?seq={match.Groups[1].Value}&hash={match.Groups[2].Value}");
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        Assert.True(verify.GetProperty("events").GetInt64() > long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Events cut from the chain's end while the gateway runs, and a new one written under their
    /// numbers, are said in the log at the next anchor (probe DY2: nothing was said).
    /// </summary>
    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task EventsCutFromTheChainsEnd_WhileRunning_AreSaidAtTheNextAnchor(string kind)
    {
        await using var database = kind == "postgres" ? await TestPostgres.CreateDatabaseAsync("cut") : null;
        var options = TestGatewayOptions.InTempDir(database?.ConnectionString);
        await using var gateway = await TestGateway.StartAsync(options);
        var anchors = gateway.Service<IEnumerable<Microsoft.Extensions.Hosting.IHostedService>>().OfType<Appliance.Gateway.Audit.AuditAnchorLog>().Single();
        await gateway.CreateTokenAsync(TestPolicies.Alice);
        await anchors.LogHeadAsync(CancellationToken.None);
        await anchors.LogHeadAsync(CancellationToken.None);
        Assert.DoesNotContain(options.Logs.Entries, e => e.EventId.Id == 5012);

        await using (var connection = await gateway.Service<StoreDatabase>().OpenAsync(CancellationToken.None))
        {
            var head = await connection.ExecuteScalarAsync<long>("SELECT max(seq) FROM events");
            await connection.ExecuteAsync("DELETE FROM events WHERE seq > @from", new { from = head - 2 });
        }

        await gateway.CreateTokenAsync(TestPolicies.Bob);
        await anchors.LogHeadAsync(CancellationToken.None);

        var lost = Assert.Single(options.Logs.Entries, e => e.EventId.Id == 5012);
        Assert.Contains("The audit chain was changed in the store", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadOnlyStore_StopsTheStart_WithAnErrorNamingIt()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("readonly");
        var options = TestGatewayOptions.InTempDir(database.ConnectionString);
        await (await TestGateway.StartAsync(options)).DisposeAsync();

        await using (var admin = new NpgsqlConnection(TestPostgres.AdminConnectionString))
        {
            await admin.ExecuteAsync($"ALTER DATABASE \"{database.Name}\" SET default_transaction_read_only = on");
        }

        NpgsqlConnection.ClearAllPools();
        var refused = await Assert.ThrowsAsync<StoreUnusableException>(() => TestGateway.StartAsync(options));
        Assert.StartsWith($"The store postgresql://", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"/{database.Name} cannot be written: 25006", refused.Message, StringComparison.Ordinal);
        Assert.Contains("does not start without it", refused.Message, StringComparison.Ordinal);

        await using (var admin = new NpgsqlConnection(TestPostgres.AdminConnectionString))
        {
            await admin.ExecuteAsync($"ALTER DATABASE \"{database.Name}\" RESET default_transaction_read_only");
        }

        NpgsqlConnection.ClearAllPools();
        await (await TestGateway.StartAsync(options)).DisposeAsync();
    }

    /// <summary>
    /// A PostgreSQL store that refuses the login is said to be one that cannot be used, with the
    /// settings that reach it, not the embedded store's directory (probe TA3).
    /// </summary>
    [Fact]
    public async Task AStoreRefusingTheLogin_StopsTheStart_NamingTheConnectionSettings()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("badlogin");
        var wrong = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Password = "not-the-password" };

        var refused = await Assert.ThrowsAsync<StoreUnusableException>(() => TestGateway.StartAsync(TestGatewayOptions.InTempDir(wrong.ConnectionString)));

        Assert.Contains($"/{database.Name} cannot be used: 28P01", refused.Message, StringComparison.Ordinal);
        Assert.Contains("password (APPLIANCE_STORE)", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("APPLIANCE_DATA_DIR", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", refused.Message, StringComparison.Ordinal);
    }
}
