using System.Net;
using System.Text;
using Appliance.Gateway.Configuration;
using Appliance.Gateway.Tests.Store;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Access;

/// <summary>Input a person with curl could send: a clear 4xx on both stores, never a 500, nothing changed.</summary>
public sealed class BadInputTests
{
    [Theory]
    [MemberData(nameof(TestStore.Kinds), MemberType = typeof(TestStore))]
    public async Task NulCharacter_InABodyOrAQuery_IsA400_OnBothStores(string kind)
    {
        await using var database = kind == "postgres" ? await TestPostgres.CreateDatabaseAsync("badinput") : null;
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(database?.ConnectionString));
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));
        using var bob = gateway.Client(await gateway.CreateTokenAsync(Bob));

        // PostgreSQL refuses U+0000 in text (22021): before, this was a 500 there and a 201 on SQLite.
        var wrongType = await PostRawAsync(alice, "api/requests", """{"connection":["demo"],"duration":"1h","reason":"x"}""");
        Assert.Equal("bad-json", wrongType.Rule());
        Assert.Contains("Expected a string, not an array", wrongType.Str("detail"), StringComparison.Ordinal);

        var created = await PostRawAsync(alice, "api/requests", """{"connection":"demo","duration":"1h","reason":"nul \u0000 here"}""");
        Assert.Equal("bad-json", created.Rule());
        Assert.Contains("NUL", created.Str("detail"), StringComparison.Ordinal);

        var id = (await alice.RequestAsync("demo", "1h", "fine")).Str("id");
        var denied = await PostRawAsync(bob, $"api/requests/{id}/deny", """{"reason":"\u0000"}""");
        Assert.Equal("bad-json", denied.Rule());
        Assert.Equal("pending", (await alice.GetJsonAsync($"api/requests/{id}")).Str("status"));

        using var admin = gateway.AdminClient();
        var token = await PostRawAsync(admin, $"api/users/{Alice}/tokens", """{"name":"laptop\u0000"}""");
        Assert.Equal("bad-json", token.Rule());

        var listed = await alice.GetJsonAsync("api/requests?user=a%00b", HttpStatusCode.BadRequest);
        Assert.Equal("bad-input", listed.Rule());
        var sessions = await alice.GetJsonAsync("api/sessions?connection=demo%00", HttpStatusCode.BadRequest);
        Assert.Equal("bad-input", sessions.Rule());
    }

    [Theory]
    [InlineData("api/requests?limit=abc", "limit")]
    [InlineData("api/grants?limit=1e9", "limit")]
    [InlineData("api/sessions?from=yesterday", "from")]
    public async Task QueryParameter_OfTheWrongType_IsA400_NamingIt(string path, string parameter)
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var admin = gateway.AdminClient();

        var problem = await admin.GetJsonAsync(path, HttpStatusCode.BadRequest);

        Assert.Equal("bad-request", problem.Rule());
        Assert.StartsWith($"The query parameter {parameter} cannot be read from", problem.Str("detail"), StringComparison.Ordinal);
        Assert.DoesNotContain("Nullable", problem.Str("detail"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/sessions?user=")]
    [InlineData("api/sessions?connection=%20")]
    [InlineData("api/sessions?text=")]
    public async Task AnEmptySessionFilter_IsA400_NotAnEmptyList(string path)
    {
        // Probe AF: it matched nothing and read as "no sessions".
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var admin = gateway.AdminClient();

        var problem = await admin.GetJsonAsync(path, HttpStatusCode.BadRequest);

        Assert.Equal("bad-request", problem.Rule());
        Assert.Contains("need a value", problem.Str("detail"), StringComparison.Ordinal);
    }

    /// <summary>An unknown filter is refused: ignored, it returned every session, which read as a filtered list (probe UC3).</summary>
    [Theory]
    [InlineData("api/sessions?q=DROP", "q")]
    [InlineData("api/sessions?user=alice@example.com&sql=DROP", "sql")]
    public async Task AnUnknownSessionFilter_IsA400_NotTheWholeList(string path, string filter)
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var admin = gateway.AdminClient();

        var problem = await admin.GetJsonAsync(path, HttpStatusCode.BadRequest);

        Assert.Equal("bad-request", problem.Rule());
        Assert.Equal($"{filter}= is not a filter of sessions; they are connection, from, limit, text, to, user.", problem.Str("detail"));
        Assert.Equal(System.Text.Json.JsonValueKind.Array, (await admin.GetJsonAsync("api/sessions?USER=alice@example.com&limit=5")).ValueKind);
    }

    /// <summary>A filter given twice is refused: bound as one value joined with a comma ("wb,w"), it matched nothing (probe ZC1).</summary>
    [Theory]
    [InlineData("api/sessions?connection=wb&connection=w", "connection")]
    [InlineData("api/sessions?user=alice@example.com&USER=bob@example.com", "USER")]
    // Typed filters fail to bind first: the message quoted a value joined with a comma (probe AL5).
    [InlineData("api/sessions?limit=1&limit=2", "limit")]
    [InlineData("api/sessions?from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z", "from")]
    public async Task ARepeatedSessionFilter_IsA400_NotAnEmptyList(string path, string filter)
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var admin = gateway.AdminClient();

        var problem = await admin.GetJsonAsync(path, HttpStatusCode.BadRequest);

        Assert.Equal("bad-request", problem.Rule());
        Assert.Equal($"{filter}= is given more than once; give each filter once.", problem.Str("detail"));
        Assert.Equal("Repeated filter", problem.Str("title"));
    }

    [Fact]
    public async Task UnknownRouteAndWrongMethod_AreProblems_WithARule()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var admin = gateway.AdminClient();

        var missing = await admin.GetJsonAsync("api/nothing-here", HttpStatusCode.NotFound);
        Assert.Equal("not-found", missing.Rule());

        using var put = await admin.PutAsync("api/requests", new StringContent("{}", Encoding.UTF8, "application/json"));
        var wrongMethod = await Api.ExpectAsync(put, HttpStatusCode.MethodNotAllowed);
        Assert.Equal("method-not-allowed", wrongMethod.Rule());
    }

    [Fact]
    public async Task ChunkedBody_OverTheLimit_IsRefusedWithoutReadingItAll()
    {
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir());
        using var alice = gateway.Client(await gateway.CreateTokenAsync(Alice));

        // No Content-Length: the size is only known by reading, which must stop at the limit.
        var json = "{\"connection\":\"demo\",\"reason\":\"" + new string('x', 200_000) + "\"}";
        using var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await alice.PostAsync("api/requests", content);
        Assert.Null(response.RequestMessage!.Content!.Headers.ContentLength);
        var problem = await Api.ExpectAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("body-too-large", problem.Rule());
    }

    private static async Task<System.Text.Json.JsonElement> PostRawAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content);
        return await Api.ExpectAsync(response, HttpStatusCode.BadRequest);
    }

    /// <summary>A body HttpClient cannot measure, so it is sent chunked.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
