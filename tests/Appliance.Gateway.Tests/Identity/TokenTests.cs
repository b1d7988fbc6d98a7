using System.Net;
using System.Text.Json;
using Appliance.Gateway.Store;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common.Gateway;
using Dapper;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Identity;

public sealed class TokenTests : IAsyncLifetime
{
    private TestGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task PersonalToken_IsShownOnce_StoredHashed_AndIdentifiesItsUser()
    {
        using var admin = _gateway.AdminClient();
        var created = await admin.PostAsync($"api/users/{Alice}/tokens", new { name = "laptop" }, HttpStatusCode.Created);
        var token = created.Str("token");
        Assert.StartsWith("apt_", token, StringComparison.Ordinal);

        using var alice = _gateway.Client(token);
        var me = await alice.GetJsonAsync("api/me");
        Assert.Equal(Alice, me.Str("email"));
        Assert.Contains("demo", me.GetProperty("requestable").EnumerateArray().Select(e => e.GetString()));

        var listed = await alice.GetJsonAsync($"api/users/{Alice}/tokens");
        Assert.DoesNotContain(token, listed.ToString(), StringComparison.Ordinal);

        var database = _gateway.Service<StoreDatabase>();
        await using var connection = await database.OpenAsync();
        var stored = (await connection.QueryAsync<string>("SELECT hash FROM tokens")).ToList();
        Assert.NotEmpty(stored);
        Assert.DoesNotContain(token, stored);
        var all = string.Join("\n", await connection.QueryAsync<string>("SELECT data FROM events"));
        Assert.DoesNotContain(token, all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedToken_IsRefused()
    {
        using var admin = _gateway.AdminClient();
        var created = await admin.PostAsync($"api/users/{Alice}/tokens", null, HttpStatusCode.Created);
        using var alice = _gateway.Client(created.Str("token"));
        await alice.GetJsonAsync("api/me");

        using var response = await alice.DeleteAsync($"api/tokens/{created.Str("id")}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var problem = await alice.GetJsonAsync("api/me", HttpStatusCode.Unauthorized);
        Assert.Equal("invalid-token", problem.Rule());
    }

    [Fact]
    public async Task ExpiredToken_IsRefused()
    {
        using var admin = _gateway.AdminClient();
        var created = await admin.PostAsync($"api/users/{Alice}/tokens", new { expiresIn = "1s" }, HttpStatusCode.Created);
        using var alice = _gateway.Client(created.Str("token"));
        await Task.Delay(1500);
        var problem = await alice.GetJsonAsync("api/me", HttpStatusCode.Unauthorized);
        Assert.Equal("invalid-token", problem.Rule());
    }

    [Fact]
    public async Task UnknownOrMissingToken_Is401ProblemJson()
    {
        using var anonymous = _gateway.Client();
        var missing = await anonymous.GetJsonAsync("api/me", HttpStatusCode.Unauthorized);
        Assert.Equal("authentication-required", missing.Rule());
        using var forged = _gateway.Client("apt_forged0000000000000000000000000000000000");
        Assert.Equal("invalid-token", (await forged.GetJsonAsync("api/me", HttpStatusCode.Unauthorized)).Rule());
    }

    [Fact]
    public async Task OnlyAdmins_CreateTokens_AndOnlyForKnownUsers()
    {
        using var alice = _gateway.Client(await _gateway.CreateTokenAsync(Alice));
        var refused = await alice.PostAsync($"api/users/{Bob}/tokens", null, HttpStatusCode.Forbidden);
        Assert.Equal("admin-required", refused.Rule());

        using var admin = _gateway.AdminClient();
        var unknown = await admin.PostAsync("api/users/mallory@example.com/tokens", null, HttpStatusCode.Forbidden);
        Assert.Equal("unknown-user", unknown.Rule());

        // An admin by role (not the bootstrap token) may create tokens too.
        using var root = _gateway.Client(await _gateway.CreateTokenAsync(Admin));
        await root.PostAsync($"api/users/{Bob}/tokens", null, HttpStatusCode.Created);
    }

    [Fact]
    public async Task GrantCredential_IsNotAnApiToken()
    {
        using var alice = _gateway.Client(await _gateway.CreateTokenAsync(Alice));
        using var bob = _gateway.Client(await _gateway.CreateTokenAsync(Bob));
        var request = await alice.RequestAsync("demo", "1h", "x");
        await bob.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.OK);
        var credentials = await alice.PostAsync($"api/grants/{request.Str("id")}/credentials", null, HttpStatusCode.Created);
        using var withCredential = _gateway.Client(credentials.Str("password"));
        await withCredential.GetJsonAsync("api/me", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ChatopsToken_ActsOnBehalfOfAUser_WithThatUsersPermissions()
    {
        using var asAlice = _gateway.Client(TestGateway.ChatopsToken, onBehalfOf: Alice);
        using var asBob = _gateway.Client(TestGateway.ChatopsToken, onBehalfOf: Bob);
        var created = await asAlice.RequestAsync("demo", "1h", "from chat");
        Assert.Equal(Alice, created.Str("requester"));

        var self = await asAlice.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.Forbidden);
        Assert.Equal("self-approval", self.Rule());
        var approved = await asBob.PostAsync($"api/requests/{created.Str("id")}/approve", null, HttpStatusCode.OK);
        Assert.Equal("active", approved.Str("status"));

        // Bob is not a requester of demo: acting through chatops changes nothing about that.
        var notRequester = await asBob.PostAsync("api/requests", new { connection = "demo", duration = "1h", reason = "x" }, HttpStatusCode.Forbidden);
        Assert.Equal("not-requester", notRequester.Rule());
    }

    [Fact]
    public async Task ChatopsToken_OnBehalfOfAnUnknownUser_SaysWhichEmail()
    {
        using var client = _gateway.Client(TestGateway.ChatopsToken, onBehalfOf: "stranger@example.com");
        var problem = await client.GetJsonAsync("api/me", HttpStatusCode.Forbidden);
        Assert.Equal("unknown-user", problem.Rule());
        Assert.Contains("stranger@example.com", problem.Str("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatopsState_IsOnlyForTheChatopsToken()
    {
        using var chatops = _gateway.Client(TestGateway.ChatopsToken);
        using var put = await chatops.PutAsync("api/chatops/state/card:abc",
            new StringContent("""{"channel":"C1","ts":"1.2"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var value = await chatops.GetJsonAsync("api/chatops/state/card:abc");
        Assert.Equal("C1", value.Str("channel"));
        await chatops.PostAsync("api/chatops/claims/event:1", null, HttpStatusCode.Created);
        await chatops.PostAsync("api/chatops/claims/event:1", null, HttpStatusCode.Conflict);

        using var alice = _gateway.Client(await _gateway.CreateTokenAsync(Alice));
        var problem = await alice.GetJsonAsync("api/chatops/state/card:abc", HttpStatusCode.Forbidden);
        Assert.Equal("chatops-only", problem.Rule());
        Assert.Equal(JsonValueKind.Object, problem.ValueKind);
    }
}
