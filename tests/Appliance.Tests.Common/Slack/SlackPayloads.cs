using System.Text.Json.Nodes;

namespace Appliance.Tests.Common.Slack;

/// <summary>
/// Slash command fields and interaction payloads in Slack's documented shapes, with
/// trigger ids and response_urls the emulator issued (so views.open and replies work).
/// </summary>
public static class SlackPayloads
{
    public const string TeamId = "T0EMULATOR";
    public const string CommandChannel = "C0COMMANDS";

    public static Dictionary<string, string> SlashCommand(SlackEmulator slack, string userId, string text, out Uri responseUrl, string command = "/hoop")
    {
        responseUrl = slack.NewResponseUrl();
        return new Dictionary<string, string>
        {
            ["token"] = "deprecated-verification-token",
            ["team_id"] = TeamId,
            ["team_domain"] = "emulator",
            ["channel_id"] = CommandChannel,
            ["channel_name"] = "general",
            ["user_id"] = userId,
            ["user_name"] = userId.ToLowerInvariant(),
            ["command"] = command,
            ["text"] = text,
            ["api_app_id"] = "A0EMULATOR",
            ["response_url"] = responseUrl.ToString(),
            ["trigger_id"] = slack.NewTriggerId(),
        };
    }

    /// <summary>The same fields as the JSON payload of a Socket Mode <c>slash_commands</c> envelope.</summary>
    public static JsonObject SlashCommandJson(SlackEmulator slack, string userId, string text, out Uri responseUrl)
    {
        var json = new JsonObject();
        foreach (var (key, value) in SlashCommand(slack, userId, text, out responseUrl))
        {
            json[key] = value;
        }

        return json;
    }

    /// <summary>A <c>block_actions</c> payload: <paramref name="userId"/> clicked a button on a message.</summary>
    public static JsonObject BlockAction(SlackEmulator slack, string userId, string actionId, string value, string channelId, string messageTs, out Uri responseUrl)
    {
        responseUrl = slack.NewResponseUrl();
        return new JsonObject
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = userId, ["username"] = userId.ToLowerInvariant(), ["team_id"] = TeamId },
            ["api_app_id"] = "A0EMULATOR",
            ["team"] = new JsonObject { ["id"] = TeamId, ["domain"] = "emulator" },
            ["trigger_id"] = slack.NewTriggerId(),
            ["response_url"] = responseUrl.ToString(),
            ["container"] = new JsonObject { ["type"] = "message", ["message_ts"] = messageTs, ["channel_id"] = channelId, ["is_ephemeral"] = false },
            ["channel"] = new JsonObject { ["id"] = channelId, ["name"] = "channel" },
            ["message"] = new JsonObject { ["type"] = "message", ["ts"] = messageTs, ["text"] = "card" },
            ["actions"] = new JsonArray(new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = actionId,
                ["block_id"] = "decision:" + value,
                ["value"] = value,
                ["action_ts"] = $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.000001",
            }),
            ["state"] = new JsonObject { ["values"] = new JsonObject() },
        };
    }

    /// <summary>A <c>view_submission</c> payload with one input value.</summary>
    public static JsonObject ViewSubmission(string userId, string callbackId, string privateMetadata, string blockId, string actionId, string? value) => new()
    {
        ["type"] = "view_submission",
        ["team"] = new JsonObject { ["id"] = TeamId, ["domain"] = "emulator" },
        ["user"] = new JsonObject { ["id"] = userId, ["username"] = userId.ToLowerInvariant(), ["team_id"] = TeamId },
        ["api_app_id"] = "A0EMULATOR",
        ["view"] = new JsonObject
        {
            ["id"] = "V0EMULATOR",
            ["type"] = "modal",
            ["callback_id"] = callbackId,
            ["private_metadata"] = privateMetadata,
            ["state"] = new JsonObject
            {
                ["values"] = new JsonObject
                {
                    [blockId] = new JsonObject { [actionId] = new JsonObject { ["type"] = "plain_text_input", ["value"] = value } },
                },
            },
        },
    };
}
