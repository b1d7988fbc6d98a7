using System.Text.RegularExpressions;

namespace Appliance.Policy.Configuration;

/// <summary><c>guardrails:</c>.</summary>
internal sealed partial class PolicyReader
{
    private static readonly string[] GuardrailKeys = ["name", "match", "action", "message", "hold"];
    private static readonly string[] MatchKeys = ["statements", "missing", "regex"];

    private NamedEntries<GuardrailRule> ReadGuardrails(ConfigMap root)
    {
        var guardrails = new NamedEntries<GuardrailRule>(reader, "guardrail");
        foreach (var item in root.Items("guardrails", "name", GuardrailKeys))
        {
            var name = item.Name();
            var match = item.Map("match", MatchKeys, required: true);
            var statements = match is null ? [] : ReadStatements(match);
            var missing = match?.Scalar("missing") is { } clause && ConfigWords.MissingClause.TryRead(reader, clause, out var word) ? word : null;
            var regex = match is null ? null : ReadRegex(match, "regex");
            if (match is not null && !match.Has("statements") && !match.Has("regex"))
            {
                reader.Report(match.Node, match.Path, ConfigErrorKind.MissingValue, "a match needs 'statements', 'regex' or both");
            }

            var action = item.Option("action", ConfigWords.Action, required: true);
            var message = item.Text("message");
            var hold = item.Duration("hold");
            if (hold is not null && action is not null and not GuardrailAction.Review)
            {
                item.Report("hold", ConfigErrorKind.InvalidValue, "'hold' applies only to action: review");
            }

            if (name is null)
            {
                continue;
            }

            if (Guardrails.BuiltInGuardrails.Names.Contains(name.Value, StringComparer.OrdinalIgnoreCase))
            {
                item.Report("name", ConfigErrorKind.InvalidValue,
                    $"'{name.Value}' is the name of a built-in rule of the gateway (role and database administration and signalling "
                    + "other sessions are refused on every connection); choose another");
            }

            var rule = action is not { } act ? null : new GuardrailRule
            {
                Name = name.Value,
                Statements = statements,
                Missing = missing,
                Regex = regex,
                Action = act,
                Message = message,
            };
            guardrails.Add(name, hold is { } h && rule is not null ? rule with { Hold = h } : rule);
        }

        return guardrails;
    }

    /// <summary>Statement kinds as the SQL classifier names them: upper case keywords (<c>DROP</c>, <c>ALTER TABLE</c>).</summary>
    private static List<string> ReadStatements(ConfigMap match)
    {
        var statements = new List<string>();
        foreach (var scalar in match.List("statements"))
        {
            if (!StatementPattern().IsMatch(scalar.Value))
            {
                match.Reader.Report(scalar.Node, scalar.Path, ConfigErrorKind.InvalidValue,
                    $"'{scalar.Shown}' is not a statement keyword such as DROP, DELETE or ALTER TABLE");
                continue;
            }

            var kind = string.Join(' ', scalar.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant();
            if (!statements.Contains(kind))
            {
                statements.Add(kind);
            }
        }

        return statements;
    }

    /// <summary>Compiles the regex now, so a bad one stops the start instead of the first query.</summary>
    private static string? ReadRegex(ConfigMap map, string key)
    {
        var scalar = map.Scalar(key);
        if (scalar is null)
        {
            return null;
        }

        if (scalar.Value.Length == 0)
        {
            map.Reader.Report(scalar.Node, scalar.Path, ConfigErrorKind.InvalidRegex, "the regex is empty");
            return null;
        }

        try
        {
            _ = new Regex(scalar.Value, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            return scalar.Value;
        }
        catch (RegexParseException e)
        {
            // Built from the error code, not e.Message: the message quotes the pattern, which may
            // have come from the environment.
            map.Reader.Report(scalar.Node, scalar.Path, ConfigErrorKind.InvalidRegex,
                $"invalid regex '{scalar.Shown}': {Words(e.Error.ToString())} at offset {e.Offset}");
            return null;
        }
    }

    /// <summary><c>InsufficientClosingParentheses</c> → <c>insufficient closing parentheses</c>.</summary>
    private static string Words(string pascalCase) => CapitalPattern().Replace(pascalCase, " $0").Trim().ToLowerInvariant();

    [GeneratedRegex("^ *[A-Za-z]+( +[A-Za-z]+)* *$", RegexOptions.CultureInvariant)]
    private static partial Regex StatementPattern();

    [GeneratedRegex("[A-Z]", RegexOptions.CultureInvariant)]
    private static partial Regex CapitalPattern();
}
