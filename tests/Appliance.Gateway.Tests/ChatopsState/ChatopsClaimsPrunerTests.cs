using System.Net;
using Appliance.Gateway.ChatopsState;
using Appliance.Gateway.Store;
using Appliance.Gateway.Tests.Store;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Dapper;

namespace Appliance.Gateway.Tests.ChatopsState;

/// <summary>Chatops claims are forgotten once nothing they deduplicate can come again, on both stores.</summary>
public sealed class ChatopsClaimsPrunerTests
{
    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task ClaimsOlderThanTheRetention_AreForgotten_RecentOnesKept(string kind)
    {
        await using var database = kind == "postgres" ? await TestPostgres.CreateDatabaseAsync("claims") : null;
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database?.ConnectionString));
        using var chatops = gateway.Client(TestGateway.ChatopsToken);
        await chatops.PostAsync("api/chatops/claims/event:old", null, HttpStatusCode.Created);
        await chatops.PostAsync("api/chatops/claims/event:new", null, HttpStatusCode.Created);
        await using (var connection = await gateway.Service<StoreDatabase>().OpenAsync())
        {
            var old = (DateTimeOffset.UtcNow - ChatopsClaimsPruner.Retention - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds();
            await connection.ExecuteAsync("UPDATE chatops_claims SET created_at = @old WHERE key = 'event:old'", new { old });
        }

        var pruned = await gateway.Service<ChatopsClaimsPruner>().PruneAsync(CancellationToken.None);

        Assert.Equal(1, pruned);
        await chatops.PostAsync("api/chatops/claims/event:old", null, HttpStatusCode.Created);
        await chatops.PostAsync("api/chatops/claims/event:new", null, HttpStatusCode.Conflict);
    }
}
