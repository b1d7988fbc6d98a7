using System.Net;
using System.Security.Cryptography;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common.Gateway;
using Appliance.Tests.Common.Oidc;
using Microsoft.IdentityModel.Tokens;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Identity;

/// <summary>OIDC bearer tokens from an IdP the test runs: groups from the token, roles from groups.</summary>
public sealed class OidcTests : IAsyncLifetime
{
    private TestOidcIssuer _issuer = null!;
    private TestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _issuer = await TestOidcIssuer.StartAsync();
        var policy = (TestPolicies.Build() + $$"""

            groups: [idp-dba, platform-admins]
            identity:
              oidc:
                authority: {{_issuer.Issuer}}
                audience: appliance
                groupsClaim: groups
                requireHttpsMetadata: false
              roles:
                admin: [platform-admins]
            """).Replace("      approvers: [dba]", "      approvers: [dba, idp-dba]", StringComparison.Ordinal);
        _gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with { PolicyYaml = policy });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Fact]
    public async Task IdpToken_CarriesItsGroups_MergedWithConfigGroups()
    {
        using var alice = _gateway.Client(_issuer.CreateToken(Alice, ["idp-only-team"]));
        var me = await alice.GetJsonAsync("api/me");
        Assert.Equal(Alice, me.Str("email"));
        var groups = me.GetProperty("groups").EnumerateArray().Select(g => g.GetString()).ToList();
        Assert.Contains("engineering", groups); // from users:
        Assert.Contains("idp-only-team", groups); // from the token
        Assert.Equal("pending", (await alice.RequestAsync("demo", "1h", "via sso")).Str("status"));
    }

    [Fact]
    public async Task IdpOnlyUser_InAnApproverGroup_CanApprove_AndChatopsCanActForThemAfterwards()
    {
        using var alice = _gateway.Client(_issuer.CreateToken(Alice, []));
        var request = await alice.RequestAsync("demo", "1h", "x");

        const string Ivan = "ivan@example.com"; // not in users:, only in the IdP
        using var ivan = _gateway.Client(_issuer.CreateToken(Ivan, ["idp-dba"]));
        var approved = await ivan.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.OK);
        Assert.Equal("active", approved.Str("status"));

        using var viaChat = _gateway.Client(TestGateway.ChatopsToken, onBehalfOf: Ivan);
        var me = await viaChat.GetJsonAsync("api/me");
        Assert.Contains("idp-dba", me.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
    }

    [Fact]
    public async Task AdminRole_ComesFromAnIdpGroup()
    {
        using var admin = _gateway.Client(_issuer.CreateToken("root2@example.com", ["platform-admins"]));
        await admin.PostAsync($"api/users/{Bob}/tokens", null, HttpStatusCode.Created);
        using var notAdmin = _gateway.Client(_issuer.CreateToken("someone@example.com", ["staff"]));
        Assert.Equal("admin-required", (await notAdmin.PostAsync($"api/users/{Bob}/tokens", null, HttpStatusCode.Forbidden)).Rule());
    }

    [Fact]
    public async Task IdpUser_WhoseEmailClaimIsTheChatopsServiceName_GetsNoServiceRights()
    {
        using var alice = _gateway.Client(_issuer.CreateToken(Alice, []));
        var id = (await alice.RequestAsync("demo", "1h", "x")).Str("id");

        // The chatops service calling for itself sees every request; that must come from its token,
        // not from an identity anyone whose IdP lets them pick a name can claim.
        using var impostor = _gateway.Client(_issuer.CreateToken("chatops", []));
        Assert.Equal("not-found", (await impostor.GetJsonAsync($"api/requests/{id}", HttpStatusCode.NotFound)).Rule());
        Assert.Empty((await impostor.GetJsonAsync("api/requests")).EnumerateArray());

        using var service = _gateway.Client(TestGateway.ChatopsToken);
        Assert.Equal(id, (await service.GetJsonAsync($"api/requests/{id}")).Str("id"));
    }

    [Fact]
    public async Task UnverifiedEmail_DoesNotBorrowAPolicyUsersRights()
    {
        var token = _issuer.CreateToken(Carol, [], extraClaims: new Dictionary<string, object> { ["email_verified"] = false });
        using var client = _gateway.Client(token);
        using var response = await client.GetAsync("api/me");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        var verified = _issuer.CreateToken(Carol, [], extraClaims: new Dictionary<string, object> { ["email_verified"] = true });
        using var ok = _gateway.Client(verified);
        Assert.Equal(Carol, (await ok.GetJsonAsync("api/me")).Str("email"));
    }

    [Fact]
    public async Task BadTokens_AreRefused()
    {
        using var otherKey = RSA.Create(2048);
        var forged = _issuer.CreateToken(Alice, ["idp-dba"], signWith: new RsaSecurityKey(otherKey) { KeyId = "test-key-1" });
        var cases = new Dictionary<string, string>
        {
            ["expired"] = _issuer.CreateToken(Alice, [], lifetime: TimeSpan.FromMinutes(-5)),
            ["wrong audience"] = _issuer.CreateToken(Alice, [], audience: "someone-else"),
            ["wrong issuer"] = _issuer.CreateToken(Alice, [], issuer: "https://evil.example.com/"),
            ["forged signature"] = forged,
            ["no email"] = _issuer.CreateToken(null, ["dba"]),
        };
        foreach (var (name, token) in cases)
        {
            using var client = _gateway.Client(token);
            using var response = await client.GetAsync("api/me");
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{name}: {(int)response.StatusCode}");
        }
    }
}
