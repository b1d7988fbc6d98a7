using System.Net;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common.Gateway;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Access;

public sealed class DurationLimitTests
{
    [Theory]
    [InlineData("99999999d")]
    [InlineData("999999999h")]
    [InlineData("3651d")]
    public async Task AbsurdDurations_AreRefusedClearly_NotA500(string duration)
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        var problem = await alice.PostAsync("api/requests", new { connection = "demo", duration, reason = "x" }, HttpStatusCode.BadRequest);
        Assert.Equal("bad-duration", problem.Rule());

        using var admin = gateway.AdminClient();
        var token = await admin.PostAsync($"api/users/{Alice}/tokens", new { expiresIn = duration }, HttpStatusCode.BadRequest);
        Assert.Equal("bad-duration", token.Rule());
    }

    [Fact]
    public async Task AnAdminTokenThatLooksLikeAJwt_StillWorks_WhenOidcIsConfigured()
    {
        const string DottedAdmin = "admin.token.with-two-dots-0123456789";
        var policy = TestPolicies.Build() + """

            identity:
              oidc:
                authority: http://127.0.0.1:9/
                audience: appliance
                requireHttpsMetadata: false
            """;
        var options = TestGatewayOptions.InTempDir() with
        {
            PolicyYaml = policy,
            Settings = new Dictionary<string, string?> { ["APPLIANCE_ADMIN_TOKEN"] = DottedAdmin },
        };
        await using var gateway = await TestGateway.StartAsync(options);
        using var admin = gateway.Client(DottedAdmin);
        await admin.PostAsync($"api/users/{Alice}/tokens", null, HttpStatusCode.Created);
    }
}
