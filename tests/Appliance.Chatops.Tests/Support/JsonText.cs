using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Chatops.Tests.Support;

internal static class JsonText
{
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>JSON as Slack reads it: &lt; &gt; &amp; as themselves, not \u003C escapes.</summary>
    public static string Of(JsonNode? node) => node?.ToJsonString(Readable) ?? string.Empty;
}
