using System.Text.Json.Nodes;

namespace Appliance.Chatops.Slack.BlockKit;

/// <summary>
/// Block Kit builders (api.slack.com/reference/block-kit). Texts given here are already
/// mrkdwn (escaped by the caller through <see cref="Mrkdwn"/>); plain_text fields are not
/// parsed for markup by Slack, so they are passed as they are.
/// </summary>
internal static class Blocks
{
    public static JsonObject Header(string plainText) => new()
    {
        ["type"] = "header",
        ["text"] = PlainText(Limit(plainText, 150)),
    };

    public static JsonObject Section(string mrkdwn) => new()
    {
        ["type"] = "section",
        ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = Limit(mrkdwn, Mrkdwn.MaxSectionText) },
    };

    /// <summary>A section of two-column fields (at most 10, each up to 2000 characters).</summary>
    public static JsonObject Fields(params string[] mrkdwnFields)
    {
        var fields = new JsonArray();
        foreach (var field in mrkdwnFields.Take(10))
        {
            fields.Add(new JsonObject { ["type"] = "mrkdwn", ["text"] = Limit(field, 2000) });
        }

        return new JsonObject { ["type"] = "section", ["fields"] = fields };
    }

    public static JsonObject Context(string mrkdwn) => new()
    {
        ["type"] = "context",
        ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = Limit(mrkdwn, 3000) }),
    };

    public static JsonObject Actions(string blockId, params JsonObject[] elements) => new()
    {
        ["type"] = "actions",
        ["block_id"] = blockId,
        ["elements"] = new JsonArray(elements),
    };

    /// <summary>A button; <paramref name="style"/> is <c>primary</c>, <c>danger</c> or null.</summary>
    public static JsonObject Button(string actionId, string text, string value, string? style)
    {
        var button = new JsonObject
        {
            ["type"] = "button",
            ["action_id"] = actionId,
            ["text"] = PlainText(Limit(text, 75)),
            ["value"] = Limit(value, 2000),
        };
        if (style is not null)
        {
            button["style"] = style;
        }

        return button;
    }

    /// <summary>A button that asks before it acts (Block Kit's confirmation dialog).</summary>
    public static JsonObject ConfirmedButton(string actionId, string text, string value, string style, string title, string question, string confirm)
    {
        var button = Button(actionId, text, value, style);
        button["confirm"] = new JsonObject
        {
            ["title"] = PlainText(Limit(title, 100)),
            ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = Limit(question, 300) },
            ["confirm"] = PlainText(Limit(confirm, 30)),
            ["deny"] = PlainText("Cancel"),
            ["style"] = style,
        };
        return button;
    }

    public static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = true };

    public static JsonArray List(params JsonObject?[] blocks)
    {
        var list = new JsonArray();
        foreach (var block in blocks)
        {
            if (block is not null)
            {
                list.Add(block);
            }
        }

        return list;
    }

    private static string Limit(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
