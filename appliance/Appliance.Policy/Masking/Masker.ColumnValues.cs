using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// A value a statement writes to a masked column, or compares with one, is that column's value:
/// the audit log and approvers see it as a result shows the column, <c>'****'</c> for a literal
/// and <c>****</c> for a parameter. The detectors miss many such values (an SSN without dashes,
/// any value of a column masked by name), so the column's name decides (probe BH1:
/// <c>WHERE ssn = '219099999'</c> and <c>INSERT INTO t (ssn) VALUES ($1)</c> were kept in clear
/// while the column read back as <c>****</c>).
/// </summary>
/// <remarks>
/// Read next to the column's name, written bare or qualified: a comparison on either side
/// (<c>=</c>, <c>&lt;&gt;</c>, <c>LIKE</c>, <c>IS DISTINCT FROM</c>, <c>BETWEEN … AND …</c>,
/// <c>IN (…)</c>, <c>= ANY (…)</c>), an assignment in an UPDATE's or an upsert's SET, and an
/// INSERT's VALUES rows by the position of the column in its column list. Not read: an INSERT
/// without a column list or from a query, and values inside a routine's or DO block's body.
/// </remarks>
internal sealed partial class Masker
{
    private const string MaskedLiteral = "'****'";

    /// <summary>Words of a comparison between a column and a value, after the column.</summary>
    private static readonly HashSet<string> ComparisonWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "LIKE", "ILIKE", "NOT", "SIMILAR", "TO", "IS", "DISTINCT", "FROM", "IN", "ANY", "SOME", "ALL", "BETWEEN", "SYMMETRIC",
    };

    /// <summary><paramref name="sql"/> with the literals given to masked columns shown as <c>'****'</c>.</summary>
    public string MaskColumnValues(string sql)
    {
        if (!MayNameMaskedColumn(sql))
        {
            return sql;
        }

        var tokens = Tokens(sql);
        var literals = new List<SqlToken>();
        ColumnValues(sql, tokens, literals, parameters: null);
        if (literals.Count == 0)
        {
            return sql;
        }

        literals.Sort((a, b) => a.Start.CompareTo(b.Start));
        var masked = new StringBuilder(sql.Length);
        var copied = 0;
        foreach (var literal in literals)
        {
            if (literal.Start >= copied)
            {
                masked.Append(sql, copied, literal.Start - copied).Append(MaskedLiteral);
                copied = literal.End;
            }
        }

        return masked.Append(sql, copied, sql.Length - copied).ToString();
    }

    /// <summary>The numbers of the parameters (<c>$n</c>) given to masked columns; null when none.</summary>
    public IReadOnlySet<int>? ColumnParameters(string sql)
    {
        if (!MayNameMaskedColumn(sql) || !sql.Contains('$', StringComparison.Ordinal))
        {
            return null;
        }

        var parameters = new HashSet<int>();
        ColumnValues(sql, Tokens(sql), literals: null, parameters);
        return parameters.Count > 0 ? parameters : null;
    }

    /// <summary>A quick test before the text is read: a masked column's name is in it, or a Unicode-escaped name may be.</summary>
    private bool MayNameMaskedColumn(string sql)
    {
        if (_columns.Count == 0)
        {
            return false;
        }

        foreach (var column in _columns)
        {
            if (sql.Contains(column, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return sql.Contains("U&", StringComparison.OrdinalIgnoreCase);
    }

    private void ColumnValues(string sql, List<SqlToken> tokens, List<SqlToken>? literals, HashSet<int>? parameters)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (IsWord(sql, tokens[i], "INSERT"))
            {
                InsertedValues(sql, tokens, i, literals, parameters);
            }

            if (!IsMaskedColumnName(sql, tokens, i))
            {
                continue;
            }

            // column [::type] op value
            var after = SkipCast(sql, tokens, i + 1);
            if (ComparisonAfter(sql, tokens, after) is var value && value > after)
            {
                MarkValue(sql, tokens, value, literals, parameters);
                if (value > 0 && IsWord(sql, tokens[value - 1], "BETWEEN") || value > 1 && IsWord(sql, tokens[value - 1], "SYMMETRIC"))
                {
                    var and = tokens.FindIndex(value, t => IsWord(sql, t, "AND"));
                    if (and > 0)
                    {
                        MarkValue(sql, tokens, and + 1, literals, parameters);
                    }
                }
            }

            // value op [qualifier.]column
            var start = i;
            while (start >= 2 && IsDot(sql, tokens[start - 1]) && tokens[start - 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
            {
                start -= 2;
            }

            var before = start - 1;
            while (before >= 0 && IsOperatorCharacter(sql, tokens[before]))
            {
                before--;
            }

            if (before < start - 1 && before >= 0)
            {
                // 'x'::text = ssn
                if (before >= 3 && tokens[before].Kind == SqlTokenKind.Word && IsColon(sql, tokens[before - 1]) && IsColon(sql, tokens[before - 2]))
                {
                    before -= 3;
                }

                Mark(sql, tokens[before], literals, parameters);
            }
        }
    }

    /// <summary>A masked column's name: a word or quoted name, not a function's (not followed by a parenthesis).</summary>
    private bool IsMaskedColumnName(string sql, List<SqlToken> tokens, int i) =>
        tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
        && (i + 1 >= tokens.Count || tokens[i + 1].Kind != SqlTokenKind.OpenParen)
        && _columns.Contains(SqlLiteral.Identifier(sql, tokens[i]));

    /// <summary>Past a cast (<c>::type</c>, <c>::varchar(9)</c>, <c>::text[]</c>) at <paramref name="i"/>.</summary>
    private static int SkipCast(string sql, List<SqlToken> tokens, int i)
    {
        while (i + 2 < tokens.Count && IsColon(sql, tokens[i]) && IsColon(sql, tokens[i + 1]) && tokens[i + 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            i += 3;
            if (i < tokens.Count && tokens[i].Kind == SqlTokenKind.OpenParen)
            {
                i = ClosingIndex(tokens, i) + 1;
            }

            while (i + 1 < tokens.Count && IsCharacter(sql, tokens[i], '[') && IsCharacter(sql, tokens[i + 1], ']'))
            {
                i += 2;
            }
        }

        return i;
    }

    /// <summary>The index of the value after a comparison starting at <paramref name="i"/>; <paramref name="i"/> when none starts there.</summary>
    private static int ComparisonAfter(string sql, List<SqlToken> tokens, int i)
    {
        var j = i;
        while (j < tokens.Count && (IsOperatorCharacter(sql, tokens[j]) || tokens[j].Kind == SqlTokenKind.Word && IsWordIn(sql, tokens[j], ComparisonWords)))
        {
            j++;
        }

        return j < tokens.Count ? j : i;
    }

    private static bool IsOperatorCharacter(string sql, SqlToken token) =>
        token.Kind == SqlTokenKind.Other && sql[token.Start] is '=' or '<' or '>' or '!' or '~';

    private static bool IsColon(string sql, SqlToken token) => IsCharacter(sql, token, ':');

    private static bool IsCharacter(string sql, SqlToken token, char c) => token.Kind == SqlTokenKind.Other && sql[token.Start] == c;

    /// <summary>
    /// The value at <paramref name="i"/>: a literal or parameter (signed, typed as <c>text '…'</c>,
    /// concatenated with more), or everything in the list or array that starts there.
    /// </summary>
    private static void MarkValue(string sql, List<SqlToken> tokens, int i, List<SqlToken>? literals, HashSet<int>? parameters)
    {
        while (i < tokens.Count)
        {
            while (i < tokens.Count && (IsCharacter(sql, tokens[i], '-') || IsCharacter(sql, tokens[i], '+')))
            {
                i++;
            }

            if (i + 1 < tokens.Count && tokens[i].Kind == SqlTokenKind.Word && IsWord(sql, tokens[i], "ARRAY"))
            {
                i++;
            }

            if (i >= tokens.Count)
            {
                return;
            }

            if (tokens[i].Kind == SqlTokenKind.OpenParen || IsCharacter(sql, tokens[i], '['))
            {
                var end = ClosingIndex(tokens, i, sql);
                for (var j = i + 1; j < end; j++)
                {
                    Mark(sql, tokens[j], literals, parameters);
                }

                i = end + 1;
            }
            else
            {
                // A typed literal: date '…', text '…'.
                if (tokens[i].Kind == SqlTokenKind.Word && i + 1 < tokens.Count && tokens[i + 1].IsStringLiteral)
                {
                    i++;
                }

                if (!Mark(sql, tokens[i], literals, parameters))
                {
                    return;
                }

                i = SkipCast(sql, tokens, i + 1);
            }

            // 'x' || 'y': each piece is part of the value.
            if (!(i + 1 < tokens.Count && IsCharacter(sql, tokens[i], '|') && IsCharacter(sql, tokens[i + 1], '|')))
            {
                return;
            }

            i += 2;
        }
    }

    /// <summary>Notes a literal or a parameter; false for any other token.</summary>
    private static bool Mark(string sql, SqlToken token, List<SqlToken>? literals, HashSet<int>? parameters)
    {
        switch (token.Kind)
        {
            case SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.DollarString or SqlTokenKind.Number:
                literals?.Add(token);
                return true;
            case SqlTokenKind.Parameter:
                if (int.TryParse(sql.AsSpan(token.Start + 1, token.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
                {
                    parameters?.Add(number);
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// <c>INSERT INTO name [[AS] alias] (columns) [OVERRIDING … VALUE] VALUES (…), (…)</c>: the values
    /// at the masked columns' positions in each row.
    /// </summary>
    private void InsertedValues(string sql, List<SqlToken> tokens, int insert, List<SqlToken>? literals, HashSet<int>? parameters)
    {
        var i = insert + 1;
        if (i >= tokens.Count || !IsWord(sql, tokens[i], "INTO"))
        {
            return;
        }

        i++;
        while (i < tokens.Count && tokens[i].Kind != SqlTokenKind.OpenParen && !IsWord(sql, tokens[i], "VALUES")
               && !IsWord(sql, tokens[i], "SELECT") && !IsWord(sql, tokens[i], "DEFAULT") && tokens[i].Kind != SqlTokenKind.Semicolon)
        {
            i++;
        }

        if (i >= tokens.Count || tokens[i].Kind != SqlTokenKind.OpenParen)
        {
            return;
        }

        var masked = new List<int>();
        var position = 0;
        var end = ClosingIndex(tokens, i, sql);
        foreach (var (first, _) in ListElements(sql, tokens, i, end))
        {
            if (IsMaskedColumnName(sql, tokens, first))
            {
                masked.Add(position);
            }

            position++;
        }

        if (masked.Count == 0)
        {
            return;
        }

        i = end + 1;
        while (i < tokens.Count && (IsWord(sql, tokens[i], "OVERRIDING") || IsWord(sql, tokens[i], "SYSTEM") || IsWord(sql, tokens[i], "USER") || IsWord(sql, tokens[i], "VALUE")))
        {
            i++;
        }

        if (i >= tokens.Count || !IsWord(sql, tokens[i], "VALUES"))
        {
            return;
        }

        for (i++; i < tokens.Count && tokens[i].Kind == SqlTokenKind.OpenParen; i += 2)
        {
            end = ClosingIndex(tokens, i, sql);
            position = 0;
            foreach (var (first, last) in ListElements(sql, tokens, i, end))
            {
                if (masked.Contains(position))
                {
                    for (var j = first; j <= last; j++)
                    {
                        Mark(sql, tokens[j], literals, parameters);
                    }
                }

                position++;
            }

            i = end;
            if (i + 1 >= tokens.Count || tokens[i + 1].Kind != SqlTokenKind.Comma)
            {
                return;
            }
        }
    }

    /// <summary>The elements (first and last token) of the list between <paramref name="open"/> and <paramref name="close"/>, split at its own commas.</summary>
    private static IEnumerable<(int First, int Last)> ListElements(string sql, List<SqlToken> tokens, int open, int close)
    {
        var depth = 0;
        var first = open + 1;
        for (var i = open + 1; i < close; i++)
        {
            if (tokens[i].Kind == SqlTokenKind.OpenParen || IsCharacter(sql, tokens[i], '['))
            {
                depth++;
            }
            else if (tokens[i].Kind == SqlTokenKind.CloseParen || IsCharacter(sql, tokens[i], ']'))
            {
                depth--;
            }
            else if (depth == 0 && tokens[i].Kind == SqlTokenKind.Comma)
            {
                if (i > first)
                {
                    yield return (first, i - 1);
                }

                first = i + 1;
            }
        }

        if (close > first)
        {
            yield return (first, close - 1);
        }
    }

    /// <summary>The index of what closes the parenthesis or bracket at <paramref name="open"/> (the last token when nothing does).</summary>
    private static int ClosingIndex(List<SqlToken> tokens, int open, string? sql = null)
    {
        var depth = 0;
        for (var i = open; i < tokens.Count; i++)
        {
            var opens = tokens[i].Kind == SqlTokenKind.OpenParen || sql is not null && IsCharacter(sql, tokens[i], '[');
            var closes = tokens[i].Kind == SqlTokenKind.CloseParen || sql is not null && IsCharacter(sql, tokens[i], ']');
            if (opens)
            {
                depth++;
            }
            else if (closes && --depth == 0)
            {
                return i;
            }
        }

        return tokens.Count - 1;
    }
}
