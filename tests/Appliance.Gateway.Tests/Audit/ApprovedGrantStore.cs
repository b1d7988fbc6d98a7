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
/// A gateway on either store kind where alice's request for demo was approved by bob and the
/// chain verifies: what the index tests tamper with, one edit at a time.
/// </summary>
internal sealed class ApprovedGrantStore : IAsyncDisposable
{
    private readonly TestDatabase? _database;

    private ApprovedGrantStore(TestDatabase? database, TestGateway gateway, HttpClient alice, HttpClient auditor, string grant)
    {
        _database = database;
        Gateway = gateway;
        Alice = alice;
        Auditor = auditor;
        Grant = grant;
    }

    public TestGateway Gateway { get; }

    public HttpClient Alice { get; }

    public HttpClient Auditor { get; }

    /// <summary>The approved request's id.</summary>
    public string Grant { get; }

    public static async Task<ApprovedGrantStore> StartAsync(string store, string name, object? approval = null)
    {
        var database = store == "postgres" ? await TestPostgres.CreateDatabaseAsync(name) : null;
        var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database?.ConnectionString));
        var alice = gateway.Client(await gateway.CreateTokenAsync(TestPolicies.Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));
        var auditor = gateway.Client(await gateway.CreateTokenAsync(TestPolicies.Auditor));
        var grant = (await alice.RequestAsync("demo", "1h", "checking order 4411")).Str("id");
        await bob.PostAsync($"api/requests/{grant}/approve", approval, HttpStatusCode.OK);
        return new ApprovedGrantStore(database, gateway, alice, auditor, grant);
    }

    public async Task<bool> VerifiesAsync() => (await Auditor.GetJsonAsync("api/audit/verify")).GetProperty("ok").GetBoolean();

    /// <summary>Verify's problem while the store holds <paramref name="tamper"/>'s edit; <paramref name="restore"/> undoes it.</summary>
    public async Task<string> ProblemAfterAsync(string tamper, string restore, object parameters)
    {
        await using var connection = await Gateway.Service<StoreDatabase>().OpenAsync();
        await connection.ExecuteAsync(tamper, parameters);
        var verify = await Auditor.GetJsonAsync("api/audit/verify");
        await connection.ExecuteAsync(restore, parameters);
        Assert.False(verify.GetProperty("ok").GetBoolean());
        return verify.Str("problem");
    }

    public async ValueTask DisposeAsync()
    {
        Alice.Dispose();
        Auditor.Dispose();
        await Gateway.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
