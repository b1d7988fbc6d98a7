using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Appliance.Gateway.Tests.Support;

/// <summary>Small helpers for reading the gateway's JSON answers in tests.</summary>
internal static class Api
{
    public static async Task<JsonElement> PostAsync(this HttpClient client, string path, object? body, HttpStatusCode expected)
    {
        using var response = body is null
            ? await client.PostAsync(path, null)
            : await client.PostAsJsonAsync(path, body);
        return await ExpectAsync(response, expected);
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        return await ExpectAsync(response, expected);
    }

    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected} but got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static DateTimeOffset Time(this JsonElement e, string name) => e.GetProperty(name).GetDateTimeOffset();

    /// <summary>A problem+json answer's <c>rule</c>.</summary>
    public static string Rule(this JsonElement e) => e.GetProperty("rule").GetString()!;

    public static async Task<JsonElement> RequestAsync(this HttpClient client, string connection, string? duration, string? reason)
        => await client.PostAsync("api/requests", new { connection, duration, reason }, HttpStatusCode.Created);
}
