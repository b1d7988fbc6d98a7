using System.Text;

namespace Appliance.Chatops.Slack.BlockKit;

/// <summary>
/// Slack's mrkdwn control sequences all start with <c>&lt;</c> (<c>&lt;!channel&gt;</c>,
/// <c>&lt;@U123&gt;</c>, <c>&lt;http://x|label&gt;</c>), and Slack asks apps to escape exactly
/// <c>&amp; &lt; &gt;</c> in text they did not write (api.slack.com/reference/surfaces/formatting#escaping).
/// Every user-supplied string passes through here before it reaches a message.
/// </summary>
internal static class Mrkdwn
{
    /// <summary>Longest text Slack accepts in a section block.</summary>
    public const int MaxSectionText = 3000;

    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }

    /// <summary>
    /// A fenced code block of user text (SQL): escaped, and with any fence inside broken up so
    /// the statement cannot close the block and format what follows.
    /// </summary>
    public static string CodeBlock(string? text, int maxLength = 2500)
    {
        var body = Truncate(text ?? string.Empty, maxLength).Replace("`", "`\u200B", StringComparison.Ordinal);
        return "```" + Escape(body) + "```";
    }

    /// <summary>
    /// The whole of <paramref name="text"/> as code blocks that each fit a section, or null when
    /// it needs more than <paramref name="maxBlocks"/>: what an approver decides on is shown whole
    /// or not offered (probe EG1: a statement cut at 2,500 characters hid its last assignments).
    /// </summary>
    public static List<string>? CodeBlocks(string? text, int maxBlocks)
    {
        var escaped = Escape((text ?? string.Empty).Replace("`", "`\u200B", StringComparison.Ordinal));
        var blocks = new List<string>();
        var budget = MaxSectionText - 6;
        for (var start = 0; start < escaped.Length || blocks.Count == 0;)
        {
            if (blocks.Count == maxBlocks)
            {
                return null;
            }

            var length = Math.Min(budget, escaped.Length - start);
            // Not inside an entity (&amp;) or between a surrogate pair.
            var entity = escaped.LastIndexOf('&', start + length - 1, length);
            if (start + length < escaped.Length && entity >= 0 && escaped.IndexOf(';', entity) >= start + length)
            {
                length = entity - start;
            }

            if (start + length < escaped.Length && char.IsHighSurrogate(escaped[start + length - 1]))
            {
                length--;
            }

            blocks.Add("```" + escaped.Substring(start, length) + "```");
            start += length;
        }

        return blocks;
    }

    /// <summary>Inline code of user text (an id, a connection name); backticks cannot end it early.</summary>
    public static string Code(string? text) => "`" + Escape((text ?? string.Empty).Replace('`', '\'')) + "`";

    /// <summary>Bold user text; asterisks inside would end the bold early, so they become lookalikes.</summary>
    public static string Bold(string? text) => "*" + Escape((text ?? string.Empty).Replace('*', '∗')) + "*";

    /// <summary>
    /// A time rendered in each reader's own time zone by Slack
    /// (api.slack.com/reference/surfaces/formatting#date-formatting), with a UTC fallback.
    /// </summary>
    public static string Time(DateTimeOffset time) =>
        $"<!date^{time.ToUnixTimeSeconds()}^{{date_short_pretty}} {{time}}|{time.UtcDateTime:yyyy-MM-dd HH:mm} UTC>";

    /// <summary>Slack's slash-command text arrives with <c>&amp; &lt; &gt;</c> escaped; undo that before the gateway sees it.</summary>
    public static string Unescape(string text) =>
        text.Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal);

    private static string Truncate(string text, int maxLength) =>
        text.Length <= maxLength ? text : text[..maxLength] + $"… ({text.Length - maxLength} more characters)";
}
