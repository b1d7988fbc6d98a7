using System.Text.Json;
using Appliance.Gateway.Store;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// Reads an optional JSON body: an empty body is the default value (so <c>curl -X POST</c> works
/// for routes whose fields are all optional); malformed JSON is a 400 that says where it broke.
/// </summary>
internal static class RequestBody
{
    private const int MaxBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Options = new(StoreJson.Options)
    {
        Converters = { new NulCharacters.RefusingConverter() },
    };

    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && !request.Body.CanSeek && request.ContentType is null))
        {
            return (null, null);
        }

        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge());
        }

        try
        {
            using var buffer = new MemoryStream();
            // A chunked body has no Content-Length to check up front: stop reading past the limit.
            var chunk = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxBytes)
                {
                    return (null, TooLarge());
                }
            }

            if (buffer.Length == 0)
            {
                return (null, null);
            }

            buffer.Position = 0;
            return (await JsonSerializer.DeserializeAsync<T>(buffer, Options, request.HttpContext.RequestAborted), null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.Result(400, "bad-json", "Malformed JSON", ex is NulCharacters.RefusedValueException
                ? $"The request body is not valid for this route: {ex.Message}"
                : $"The request body is not valid JSON for this route, or a value in it has the wrong type (at {ex.Path ?? "$"}, line {ex.LineNumber ?? 0}, byte {ex.BytePositionInLine ?? 0})."));
        }
    }

    private static IResult TooLarge() =>
        Problems.Result(413, "body-too-large", "Body too large", $"Request bodies are limited to {MaxBytes} bytes.");
}
