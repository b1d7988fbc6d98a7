using System.Text.Json;
using Appliance.Gateway.Hosting;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.ChatopsState;

/// <summary>
/// A small key-value store and claim set for the chatops service, so chatops keeps nothing in
/// memory that a restart or a second replica would lose: card message references, rendered
/// versions, processed event ids. Only the chatops service token may use it.
/// </summary>
internal static class ChatopsStateApi
{
    private const int MaxValueBytes = 16 * 1024;
    private const int MaxKeyLength = 200;

    public static RouteGroupBuilder MapChatopsStateApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/chatops").AddEndpointFilter(async (context, next) =>
            context.HttpContext.GetCaller().Method == AuthMethod.Chatops
                ? await next(context)
                : Problems.Result(403, "chatops-only", "Chatops only", "This route is for the chatops service token."));
        group.MapPut("/state/{key}", PutAsync);
        group.MapGet("/state/{key}", GetAsync);
        group.MapPost("/claims/{key}", ClaimAsync);
        group.MapDelete("/claims/{key}", ReleaseAsync);
        return api;
    }

    private static async Task<IResult> PutAsync(HttpContext context, string key, StoreDatabase database, TimeProvider time)
    {
        if (BadKey(key) is { } bad)
        {
            return bad;
        }

        using var reader = new StreamReader(context.Request.Body);
        var buffer = new char[MaxValueBytes + 1];
        var length = await reader.ReadBlockAsync(buffer, context.RequestAborted);
        if (length > MaxValueBytes)
        {
            return Problems.Result(413, "value-too-large", "Value too large", $"State values are limited to {MaxValueBytes} bytes.");
        }

        var value = new string(buffer, 0, length);
        try
        {
            using var _ = JsonDocument.Parse(value);
        }
        catch (JsonException ex)
        {
            return Problems.Result(400, "bad-json", "Malformed JSON", $"State values must be JSON: {ex.Message}");
        }

        await using var connection = await database.OpenAsync(context.RequestAborted);
        await connection.ExecuteAsync(
            "INSERT INTO chatops_state (key, value, updated_at) VALUES (@key, @value, @now) " +
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            new { key, value, now = time.GetUtcNow().ToUnixMs() });
        return TypedResults.NoContent();
    }

    private static async Task<IResult> GetAsync(HttpContext context, string key, StoreDatabase database)
    {
        if (BadKey(key) is { } bad)
        {
            return bad;
        }

        await using var connection = await database.OpenAsync(context.RequestAborted);
        var value = await connection.QuerySingleOrDefaultAsync<string>("SELECT value FROM chatops_state WHERE key = @key", new { key });
        return value is null
            ? Problems.Result(404, "not-found", "Not found", $"No state under {key}.")
            : TypedResults.Text(value, "application/json");
    }

    private static async Task<IResult> ClaimAsync(HttpContext context, string key, StoreDatabase database, TimeProvider time)
    {
        if (BadKey(key) is { } bad)
        {
            return bad;
        }

        await using var connection = await database.OpenAsync(context.RequestAborted);
        var inserted = await connection.ExecuteAsync(
            "INSERT INTO chatops_claims (key, created_at) VALUES (@key, @now) ON CONFLICT (key) DO NOTHING",
            new { key, now = time.GetUtcNow().ToUnixMs() });
        return inserted == 1
            ? TypedResults.Created($"/api/chatops/claims/{key}")
            : Problems.Result(409, "already-claimed", "Already claimed", $"{key} was claimed before.");
    }

    private static async Task<IResult> ReleaseAsync(HttpContext context, string key, StoreDatabase database)
    {
        if (BadKey(key) is { } bad)
        {
            return bad;
        }

        await using var connection = await database.OpenAsync(context.RequestAborted);
        await connection.ExecuteAsync("DELETE FROM chatops_claims WHERE key = @key", new { key });
        return TypedResults.NoContent();
    }

    private static IResult? BadKey(string key) =>
        key.Length is 0 or > MaxKeyLength
            ? Problems.Result(400, "bad-key", "Bad key", $"Keys are 1 to {MaxKeyLength} characters.")
            : null;
}
