using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// Refuses U+0000 in what callers send. PostgreSQL cannot store it in <c>text</c> (SQLSTATE 22021),
/// so on that store it would be a 500 while SQLite took it: one clear 400 on both instead.
/// </summary>
internal static class NulCharacters
{
    public const string Message = "Text may not contain the NUL character (U+0000).";

    /// <summary>Answers 400 to a query string that decodes to a NUL; paths and headers cannot carry one.</summary>
    public static Task RejectInQuery(HttpContext context, RequestDelegate next)
    {
        foreach (var (_, values) in context.Request.Query)
        {
            if (values.Any(v => v is not null && v.Contains('\0')))
            {
                return Problems.Write(context, StatusCodes.Status400BadRequest, "bad-input", "Bad input", Message);
            }
        }

        return next(context);
    }

    /// <summary>Reads JSON strings of request bodies, refusing a NUL as malformed input.</summary>
    public sealed class RefusingConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new RefusedValueException($"Expected a string, not {Describe(reader.TokenType)}.");
            }

            var value = reader.GetString()!;
            return value.Contains('\0') ? throw new RefusedValueException(Message) : value;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "that value",
    };

    /// <summary>A value our converters refuse: its message is written for callers, unlike the JSON reader's own.</summary>
    public sealed class RefusedValueException(string message) : JsonException(message);
}
