using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace Appliance.Chatops.Slack.Inbound;

/// <summary>
/// A slash command invocation, from the signed form body (HTTP mode) or a Socket Mode
/// envelope's payload; both carry the same fields
/// (docs.slack.dev/interactivity/implementing-slash-commands).
/// </summary>
internal sealed record SlashCommand(string UserId, string? ChannelId, string Command, string Text, Uri? ResponseUrl, string? TriggerId)
{
    public static SlashCommand? FromForm(IReadOnlyDictionary<string, StringValues> form) =>
        Create(name => form.TryGetValue(name, out var value) ? value.ToString() : null);

    public static SlashCommand? FromJson(JsonElement payload) =>
        Create(name => payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null);

    private static SlashCommand? Create(Func<string, string?> field)
    {
        if (field("user_id") is not { Length: > 0 } user)
        {
            return null;
        }

        var responseUrl = Uri.TryCreate(field("response_url"), UriKind.Absolute, out var url) ? url : null;
        return new SlashCommand(user, field("channel_id"), field("command") ?? "/hoop", field("text") ?? string.Empty, responseUrl, field("trigger_id"));
    }
}
