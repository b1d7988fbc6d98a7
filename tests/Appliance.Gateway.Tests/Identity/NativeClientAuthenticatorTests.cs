using System.Net;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common.Gateway;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Identity;

/// <summary>How psql and drivers are let in: token or grant credential, then an active grant.</summary>
public sealed class NativeClientAuthenticatorTests : IAsyncLifetime
{
    private TestGateway _gateway = null!;
    private NativeClientAuthenticator _auth = null!;
    private string _aliceToken = null!;
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;

    public async Task InitializeAsync()
    {
        _gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        _auth = _gateway.Service<NativeClientAuthenticator>();
        _aliceToken = await _gateway.CreateTokenAsync(Alice);
        _alice = _gateway.Client(_aliceToken);
        _bob = _gateway.Client(await _gateway.CreateTokenAsync(Bob));
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private Task<NativeAuthResult> Login(string user, string database, string password, string client = "10.0.0.1") =>
        _auth.AuthenticateAsync(user, database, password, client, CancellationToken.None);

    private async Task<string> ActiveGrantAsync()
    {
        var request = await _alice.RequestAsync("demo", "1h", "x");
        await _bob.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.OK);
        return request.Str("id");
    }

    [Fact]
    public async Task WrongPassword_Is28P01_WithoutDetail()
    {
        var result = await Login(Alice, "demo", "apt_wrong");
        Assert.Null(result.Access);
        Assert.Equal("28P01", result.SqlState);
        Assert.Equal("password authentication failed for user \"alice@example.com\"", result.Message);
    }

    [Fact]
    public async Task SomeoneElsesToken_Is28P01()
    {
        var result = await Login(Bob, "demo", _aliceToken);
        Assert.Equal("28P01", result.SqlState);
    }

    [Fact]
    public async Task NoActiveGrant_Is28000_WithInstructions()
    {
        var result = await Login(Alice, "demo", _aliceToken);
        Assert.Equal("28000", result.SqlState);
        Assert.Contains("/hoop request demo", result.Message, StringComparison.Ordinal);
        Assert.Contains("POST /api/requests", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoActiveGrant_ForSomeoneWhoMayNotRequest_Is28000_SayingWhoMay()
    {
        var result = await Login(Bob, "demo", await _gateway.CreateTokenAsync(Bob));
        Assert.Equal("28000", result.SqlState);
        Assert.Contains("is not in a group that may request it (engineering)", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/hoop request", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoActiveGrant_SuggestsTheConnectionsDefaultDuration()
    {
        var result = await Login(Alice, "prod2", _aliceToken);
        Assert.Contains("/hoop request prod2 30m [reason]", result.Message, StringComparison.Ordinal);
        Assert.Contains("\"duration\":\"30m\"", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownConnection_ForSomeoneWhoMayRequestNone_NamesNone()
    {
        var result = await Login(Bob, "nope", await _gateway.CreateTokenAsync(Bob));
        Assert.Equal("3D000", result.SqlState);
        Assert.Contains("may not request any", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("demo", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownConnection_Is3D000_NamingTheKnownOnes()
    {
        var result = await Login(Alice, "nope", _aliceToken);
        Assert.Equal("3D000", result.SqlState);
        Assert.Contains("demo", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ActiveGrant_LetsThePersonalTokenIn_UntilRevoked()
    {
        var id = await ActiveGrantAsync();
        var result = await Login(Alice, "demo", _aliceToken);
        Assert.NotNull(result.Access);
        Assert.Equal(id, result.Access.Grant.Id);
        Assert.Equal("demo_reader", result.Access.Connection.Upstream.User);

        await _alice.PostAsync($"api/requests/{id}/revoke", null, HttpStatusCode.OK);
        Assert.Equal("28000", (await Login(Alice, "demo", _aliceToken)).SqlState);
    }

    [Fact]
    public async Task GrantCredential_OpensOnlyItsGrant_AndDiesWithIt()
    {
        var id = await ActiveGrantAsync();
        var credentials = await _alice.PostAsync($"api/grants/{id}/credentials", null, HttpStatusCode.Created);
        var password = credentials.Str("password");

        Assert.Equal(id, (await Login(Alice, "demo", password)).Access?.Grant.Id);
        var elsewhere = await Login(Alice, "prod2", password);
        Assert.Equal("28000", elsewhere.SqlState);
        Assert.Contains($"this credential is for grant {id} on \"demo\", not \"prod2\"", elsewhere.Message, StringComparison.Ordinal);
        Assert.Equal("28P01", (await Login(Bob, "demo", password)).SqlState);

        await _bob.PostAsync($"api/requests/{id}/revoke", null, HttpStatusCode.OK);
        await ActiveGrantAsync(); // a new grant does not revive the old credential
        var revoked = await Login(Alice, "demo", password);
        Assert.Equal("28000", revoked.SqlState);
        Assert.Contains($"this credential is for grant {id}, which was revoked by bob@example.com", revoked.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepeatedFailures_AreRateLimited_EvenWithTheRightPasswordAfterwards()
    {
        await ActiveGrantAsync();
        for (var i = 0; i < AuthFailureLimiter.MaxFailures; i++)
        {
            Assert.Equal("28P01", (await Login(Alice, "demo", "apt_guess" + i, "10.9.9.9")).SqlState);
        }

        var limited = await Login(Alice, "demo", _aliceToken, "10.9.9.9");
        Assert.Null(limited.Access);
        Assert.Contains("too many failed login attempts", limited.Message, StringComparison.Ordinal);

        // Failures from one address do not lock the name's owner out elsewhere (probe AC).
        Assert.NotNull((await Login(Alice, "demo", _aliceToken, "10.9.9.10")).Access);
        Assert.NotNull((await Login(Alice.ToUpperInvariant(), "demo", _aliceToken, "10.9.9.11")).Access);
    }

    [Fact]
    public async Task ASprayOverManyNames_FromOneAddress_IsRateLimited_ThatAddressOnly()
    {
        await ActiveGrantAsync();
        for (var i = 0; i < AuthFailureLimiter.MaxFailuresPerAddress; i++)
        {
            // Each name fails fewer times than its own limit.
            Assert.Equal("28P01", (await Login($"spray{i % 10}@example.com", "demo", "apt_guess" + i, "10.7.7.7")).SqlState);
        }

        var limited = await Login(Alice, "demo", _aliceToken, "10.7.7.7");
        Assert.Null(limited.Access);
        Assert.Contains("too many failed login attempts", limited.Message, StringComparison.Ordinal);
        Assert.NotNull((await Login(Alice, "demo", _aliceToken, "10.7.7.8")).Access);
    }
}
