using System.Text.Json.Nodes;

namespace Appliance.Chatops.Slack.Inbound;

/// <summary>
/// A message for one person: the ephemeral answer to a command or a click, or a DM.
/// <see cref="Text"/> is mrkdwn, already escaped where it quotes user input.
/// </summary>
internal sealed record ChatReply(string Text, JsonArray? Blocks = null)
{
    /// <summary>
    /// As a slash-command acknowledgement or response_url body
    /// (<c>response_type: ephemeral</c>: only the person who typed it sees it).
    /// </summary>
    public JsonObject ToEphemeral(bool replaceOriginal = false)
    {
        var message = new JsonObject
        {
            ["response_type"] = "ephemeral",
            ["replace_original"] = replaceOriginal,
            ["text"] = Text,
        };
        if (Blocks is not null)
        {
            message["blocks"] = Blocks.DeepClone();
        }

        return message;
    }
}
