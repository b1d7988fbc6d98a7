using System.Text.RegularExpressions;
using Appliance.Chatops.Slack.BlockKit;

namespace Appliance.Chatops.Commands;

/// <summary>
/// Parses the text after <c>/hoop</c>. Pure: no I/O, so every form and every mistake is
/// tested directly. Reasons keep the user's spacing; Slack's escaping of &amp; &lt; &gt; is undone.
/// </summary>
internal static partial class CommandParser
{
    public const string RequestUsage = "`/hoop request <connection> [duration] [reason…]`, e.g. `/hoop request db-prod 1h investigating order 4411`";
    public const string ApproveUsage = "`/hoop approve <id> [comment]`";
    public const string DenyUsage = "`/hoop deny <id> [reason]`";
    public const string DoneUsage = "`/hoop done [id]`";
    public const string RevokeUsage = "`/hoop revoke <id> [reason]`";
    public const string ExtendUsage = "`/hoop extend <id> <duration>`, e.g. `/hoop extend k7m2q9xa 30m`";

    public static HoopCommand Parse(string? text)
    {
        var words = new Words(Mrkdwn.Unescape(text ?? string.Empty));
        var verb = words.Next()?.ToLowerInvariant();
        return verb switch
        {
            null or "help" or "-h" or "--help" => new HelpCommand(),
            "request" => ParseRequest(words),
            "list" => NoArguments(words, "list", new ListCommand()),
            "status" => NoArguments(words, "status", new StatusCommand()),
            "approve" => ParseDecision(words, approve: true),
            "deny" => ParseDecision(words, approve: false),
            "done" => ParseDone(words),
            "revoke" => ReadId(words, RevokeUsage, out var id) is { } invalid ? invalid : new RevokeCommand(id, words.Rest()),
            "extend" => ParseExtend(words),
            _ => new InvalidCommand($"{Mrkdwn.Code(verb)} is not a /hoop command.", "`/hoop help` lists them all; to ask for access: " + RequestUsage),
        };
    }

    private static HoopCommand ParseRequest(Words words)
    {
        var connection = words.Next();
        if (connection is null)
        {
            return new InvalidCommand("Which connection? `/hoop list` shows the ones you can request.", RequestUsage);
        }

        string? duration = null;
        var second = words.Peek();
        if (second is not null && Durations.IsDuration(second))
        {
            duration = words.Next()!.ToLowerInvariant();
        }
        else if (second is not null && Durations.LooksLikeDuration(second))
        {
            return new InvalidCommand($"{Mrkdwn.Code(second)} is not a duration: write {Durations.Examples}.", RequestUsage);
        }

        return new RequestCommand(connection, duration, words.Rest());
    }

    private static HoopCommand ParseDecision(Words words, bool approve)
    {
        var usage = approve ? ApproveUsage : DenyUsage;
        return ReadId(words, usage, out var id) is { } invalid ? invalid : new DecideCommand(approve, id, words.Rest());
    }

    private static HoopCommand ParseDone(Words words)
    {
        if (words.Peek() is null)
        {
            return new DoneCommand(null);
        }

        if (ReadId(words, DoneUsage, out var id) is { } invalid)
        {
            return invalid;
        }

        return words.Rest() is { } extra
            ? new InvalidCommand($"`/hoop done` takes at most an id, not {Mrkdwn.Code(extra)}.", DoneUsage)
            : new DoneCommand(id);
    }

    private static HoopCommand ParseExtend(Words words)
    {
        if (ReadId(words, ExtendUsage, out var id) is { } invalid)
        {
            return invalid;
        }

        var duration = words.Next();
        if (duration is null)
        {
            return new InvalidCommand("How much longer? Give a duration.", ExtendUsage);
        }

        return Durations.IsDuration(duration)
            ? new ExtendCommand(id, duration.ToLowerInvariant(), words.Rest())
            : new InvalidCommand($"{Mrkdwn.Code(duration)} is not a duration: write {Durations.Examples}.", ExtendUsage);
    }

    private static InvalidCommand? ReadId(Words words, string usage, out string id)
    {
        var token = words.Next();
        id = token?.ToLowerInvariant() ?? string.Empty;
        if (token is null)
        {
            return new InvalidCommand("Which request? Give its id (`/hoop status` lists yours).", usage);
        }

        return RequestId().IsMatch(id)
            ? null
            : new InvalidCommand($"{Mrkdwn.Code(token)} is not a request id: ids are 8 letters and digits, like `k7m2q9xa`.", usage);
    }

    private static HoopCommand NoArguments(Words words, string verb, HoopCommand command) =>
        words.Rest() is { } extra
            ? new InvalidCommand($"`/hoop {verb}` takes no arguments, not {Mrkdwn.Code(extra)}.", $"`/hoop {verb}`")
            : command;

    [GeneratedRegex("^[a-z0-9]{8}$", RegexOptions.CultureInvariant)]
    private static partial Regex RequestId();

    /// <summary>Whitespace-separated words, with the untouched remainder available as free text.</summary>
    private sealed class Words(string text)
    {
        private int _position;

        public string? Peek()
        {
            var saved = _position;
            var word = Next();
            _position = saved;
            return word;
        }

        public string? Next()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }

            if (_position >= text.Length)
            {
                return null;
            }

            var start = _position;
            while (_position < text.Length && !char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }

            return text[start.._position];
        }

        public string? Rest()
        {
            var rest = text[_position..].Trim();
            _position = text.Length;
            return rest.Length == 0 ? null : rest;
        }
    }
}
