using System.Text.Json;

namespace Appliance.Chatops.Slack.Inbound;

/// <summary>Reads a string at a property path of a Slack payload, or null when any step is missing.</summary>
internal static class JsonPath
{
    public static string? String(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }
}
