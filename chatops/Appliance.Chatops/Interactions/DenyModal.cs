using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Chatops.Slack.BlockKit;

namespace Appliance.Chatops.Interactions;

/// <summary>
/// The modal a Deny click opens to ask why (views.open; submission arrives as
/// <c>view_submission</c> with <c>callback_id</c> <see cref="CallbackId"/>).
/// </summary>
internal static class DenyModal
{
    public const string CallbackId = "deny_reason";
    public const string ReasonBlock = "reason";
    public const string ReasonAction = "reason";

    /// <param name="extension">
    /// An extension's Deny: only the extension is denied and the grant runs on, which a form that
    /// said "Deny request" on an active grant did not tell (probe DL).
    /// </param>
    public static JsonObject Build(DenyContext context, bool extension = false) => new()
    {
        ["type"] = "modal",
        ["callback_id"] = CallbackId,
        // ≤ 3000 characters; carries what the submission needs to act and to answer.
        ["private_metadata"] = JsonSerializer.Serialize(context, DenyContextJson.Default.DenyContext),
        ["title"] = Blocks.PlainText(extension ? "Deny extension" : "Deny request"),
        ["submit"] = Blocks.PlainText("Deny"),
        ["close"] = Blocks.PlainText("Cancel"),
        ["blocks"] = new JsonArray(
            Blocks.Section(extension
                ? $"Deny the extension of {Mrkdwn.Code(context.Id)}? The grant keeps running until it ends as it is; the requester sees your reason."
                : $"Deny request {Mrkdwn.Code(context.Id)}? The requester sees your reason."),
            new JsonObject
            {
                ["type"] = "input",
                ["block_id"] = ReasonBlock,
                ["label"] = Blocks.PlainText("Reason"),
                ["element"] = new JsonObject
                {
                    ["type"] = "plain_text_input",
                    ["action_id"] = ReasonAction,
                    ["multiline"] = true,
                    ["max_length"] = 500,
                },
            }),
    };

    public static DenyContext? ReadContext(string? privateMetadata)
    {
        if (string.IsNullOrEmpty(privateMetadata))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(privateMetadata, DenyContextJson.Default.DenyContext);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What the Deny click knew, carried through the modal: the request, and where to answer.</summary>
/// <param name="Extension">Whether the card's button was the extension's Deny (null: a form of an earlier version, either).</param>
internal sealed record DenyContext(string Id, string? Channel, string? ResponseUrl, bool? Extension = null);

[System.Text.Json.Serialization.JsonSerializable(typeof(DenyContext))]
internal sealed partial class DenyContextJson : System.Text.Json.Serialization.JsonSerializerContext;
