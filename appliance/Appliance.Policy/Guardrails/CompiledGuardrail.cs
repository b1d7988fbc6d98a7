using System.Text.RegularExpressions;
using Appliance.Policy.Configuration;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Guardrails;

/// <summary>
/// One rule ready to match statements. Its conditions all have to hold: the statement's kind or
/// command is listed (<c>DROP</c> matches every DROP, <c>DROP TABLE</c> only that), the WHERE
/// clause is missing (for the listed kinds, or DELETE and UPDATE when none are listed), and the
/// regular expression matches the statement's text. A rule with only a regular expression is
/// run on each top-level statement's raw text, comments included, on what an EXECUTE runs and on
/// dynamic SQL's decoded strings; it matches every unknown statement (fail closed).
/// </summary>
internal sealed class CompiledGuardrail
{
    private static readonly string[] MissingWhereDefaultKinds = ["DELETE", "UPDATE"];

    private readonly string[] _kinds;
    private readonly bool _missingWhere;
    private readonly Regex? _regex;

    /// <summary>
    /// The same expression with four times the time, tried once after a timeout. The limit is wall
    /// time: a thread descheduled on a busy machine ran out of it on a harmless statement, which
    /// was then refused (seen under load in the test suite); a runaway expression still stops.
    /// </summary>
    private readonly Regex? _patient;

    public CompiledGuardrail(GuardrailRule rule, TimeSpan regexTimeout)
    {
        Rule = rule;
        _kinds = [.. rule.Statements.Select(NormalizeKind).Where(k => k.Length > 0)];
        _missingWhere = rule.Missing is not null;
        if (_missingWhere && !string.Equals(rule.Missing!.Trim(), "WHERE", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Guardrail '{rule.Name}': missing must be WHERE, not '{rule.Missing}'.", nameof(rule));
        }

        if (_missingWhere && _kinds.Length == 0)
        {
            _kinds = MissingWhereDefaultKinds;
        }

        if (!string.IsNullOrEmpty(rule.Regex))
        {
            _regex = new Regex(rule.Regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, regexTimeout);
            _patient = new Regex(rule.Regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, regexTimeout * 4);
        }

        if (_kinds.Length == 0 && _regex is null)
        {
            throw new ArgumentException($"Guardrail '{rule.Name}' has no condition: give statements, missing or regex.", nameof(rule));
        }

        Message = string.IsNullOrWhiteSpace(rule.Message) ? DefaultMessage(rule) : rule.Message;
    }

    public GuardrailRule Rule { get; }

    public string Message { get; }

    public bool HasRegex => _regex is not null;

    /// <summary>
    /// Whether the rule's regular expression may match <paramref name="text"/>: true on a match and
    /// on a timeout (which the caller must then judge the long way), false for a rule without one.
    /// </summary>
    public bool MayMatchText(ReadOnlySpan<char> text)
    {
        try
        {
            return _regex is not null && IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return true;
        }
    }

    private bool IsMatch(ReadOnlySpan<char> text)
    {
        try
        {
            return _regex!.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return _patient!.IsMatch(text);
        }
    }

    /// <summary>Only a regular expression: judged on top-level statements' raw text.</summary>
    public bool IsTextOnly => _kinds.Length == 0;

    /// <summary>Null when the rule does not match the statement; why it matched otherwise.</summary>
    public GuardrailMatchReason? Match(SqlStatement statement)
    {
        var reason = GuardrailMatchReason.Matched;
        if (_kinds.Length > 0)
        {
            if (statement.IsUnknown)
            {
                reason = GuardrailMatchReason.UnknownStatement;
            }
            else if (!MatchesKind(statement) || (_missingWhere && statement.HasWhere))
            {
                return null;
            }
        }
        else if (statement.IsUnknown)
        {
            // What runs is not this text (SQL computed at run time, a U&"…" name): no regex can be enforced on it.
            return GuardrailMatchReason.UnknownStatement;
        }

        if (_regex is null)
        {
            return reason;
        }

        try
        {
            return IsMatch(statement.Text.Span) ? reason : null;
        }
        catch (RegexMatchTimeoutException)
        {
            return GuardrailMatchReason.RegexTimeout;
        }
    }

    private bool MatchesKind(SqlStatement statement)
    {
        foreach (var kind in _kinds)
        {
            if (ReferenceEquals(kind, statement.Kind)
                || string.Equals(kind, statement.Kind, StringComparison.Ordinal)
                || string.Equals(kind, statement.Command, StringComparison.Ordinal)
                || (statement.Command.Length > kind.Length
                    && statement.Command.StartsWith(kind, StringComparison.Ordinal)
                    && statement.Command[kind.Length] == ' ')
                || (string.Equals(kind, "SELECT", StringComparison.Ordinal) && IsQueryInAllButName(statement.Kind)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>TABLE orders</c> is <c>SELECT * FROM orders</c>, and <c>VALUES …</c> a query too: a rule on
    /// SELECT covers them (probe AI: a block on SELECT let <c>TABLE orders</c> through).
    /// </summary>
    private static bool IsQueryInAllButName(string kind) =>
        string.Equals(kind, "TABLE", StringComparison.Ordinal) || string.Equals(kind, "VALUES", StringComparison.Ordinal);

    /// <summary>Upper case, single spaces; known keywords interned so most compares are by reference.</summary>
    private static string NormalizeKind(string kind)
    {
        var words = kind.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return words.Length == 1 ? SqlKeywords.ToUpper(words[0]) : string.Join(' ', words).ToUpperInvariant();
    }

    private static string DefaultMessage(GuardrailRule rule) => rule.Action switch
    {
        GuardrailAction.Review => $"Held for review by guardrail '{rule.Name}'.",
        GuardrailAction.Alert => $"Guardrail '{rule.Name}' raised an alert.",
        _ => $"Blocked by guardrail '{rule.Name}'.",
    };
}
