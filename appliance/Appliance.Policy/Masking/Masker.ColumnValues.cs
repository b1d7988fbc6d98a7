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
/// Read around each mention of the column's name (bare, qualified, in parentheses, in a function
/// call): every literal and parameter of the expression it stands in, up to what separates
/// expressions (<c>AND</c>, <c>OR</c>, <c>WHERE</c>, <c>SET</c>, <c>WHEN</c>, a list's comma, a
/// subquery's parenthesis…): <c>lower(ssn) = lower($1)</c>, <c>(name, ssn) = ('a', 'b')</c>,
/// <c>position('9' in ssn) &gt; 0</c>. An INSERT's VALUES rows (a MERGE's too) are read by the
/// column's place in the column list; an SQL-level <c>EXECUTE</c>'s arguments are all masked, as the
/// prepared statement's text is not at hand. Not read: an INSERT without a column list or from a
/// query, and values inside a routine's or DO block's body. Numbers are shown as <c>****</c>, strings
/// as <c>'****'</c>.
/// </remarks>
internal sealed partial class Masker
{
    private const string MaskedLiteral = "'****'";

    /// <summary>Words that end an expression around a column: clauses, boolean connectives, CASE's parts, set operations.</summary>
    private static readonly HashSet<string> ExpressionBoundaries = new(StringComparer.OrdinalIgnoreCase)
    {
        "AND", "OR", "WHERE", "ON", "HAVING", "WHEN", "THEN", "ELSE", "END", "SELECT", "SET", "VALUES", "FROM", "USING",
        "RETURNING", "LIMIT", "OFFSET", "GROUP", "ORDER", "BY", "INTO", "UPDATE", "DELETE", "INSERT", "MERGE", "JOIN",
        "UNION", "EXCEPT", "INTERSECT", "WINDOW", "FETCH", "FOR", "DO", "CASE", "AS",
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
                masked.Append(sql, copied, literal.Start - copied).Append(literal.Kind == SqlTokenKind.Number ? "****" : MaskedLiteral);
                copied = literal.End;
            }
        }

        var result = masked.Append(sql, copied, sql.Length - copied).ToString();
        if (!sql.Contains(MaskedLiteral, StringComparison.Ordinal))
        {
            ColumnMasksOnly.AddOrUpdate(result, MaskedLiteral);
        }

        return result;
    }

    /// <summary>
    /// Texts whose every <c>'****'</c> is a masked column's value: a <c>'****'</c> written before
    /// (a password, an escaped card) makes the gateway keep none of a statement's parameters and
    /// sample values, and a column's value is no reason to (probe BL1: every sample of a query
    /// filtering on ssn was recorded as ****). Known by the string itself; a copy is not known,
    /// and then counts as holding a secret.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, object> ColumnMasksOnly = [];

    /// <summary>Whether every <c>'****'</c> in <paramref name="sql"/> was written by <see cref="MaskColumnValues"/>.</summary>
    public static bool HasOnlyColumnMasks(string sql) => ColumnMasksOnly.TryGetValue(sql, out _);

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

        // EXECUTE name(…): the prepared statement's text, which may give them to a masked column, is not at hand.
        return sql.Contains("U&", StringComparison.OrdinalIgnoreCase) || sql.Contains("EXECUTE", StringComparison.OrdinalIgnoreCase);
    }

    private void ColumnValues(string sql, List<SqlToken> tokens, List<SqlToken>? literals, HashSet<int>? parameters)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (IsWord(sql, tokens[i], "INSERT"))
            {
                InsertedValues(sql, tokens, i, literals, parameters);
            }
            else if (IsWord(sql, tokens[i], "EXECUTE") && i + 2 < tokens.Count && tokens[i + 2].Kind == SqlTokenKind.OpenParen)
            {
                var close = ClosingIndex(tokens, i + 2, sql);
                for (var j = i + 3; j < close; j++)
                {
                    Mark(sql, tokens[j], literals, parameters);
                }
            }

            if (IsMaskedColumnName(sql, tokens, i))
            {
                var (from, to) = ExpressionAround(sql, tokens, i);
                for (var j = from; j <= to; j++)
                {
                    Mark(sql, tokens[j], literals, parameters);
                }
            }
        }
    }

    /// <summary>
    /// The first and last token of the expression <paramref name="mention"/> stands in: out of the
    /// parentheses around it (a call, a row, a grouping) but not out of a subquery's, up to an
    /// <see cref="ExpressionBoundaries"/> word, a semicolon, or a comma of the subquery's own list.
    /// </summary>
    private static (int From, int To) ExpressionAround(string sql, List<SqlToken> tokens, int mention)
    {
        var depths = new int[tokens.Count];
        for (int i = 0, depth = 0; i < tokens.Count; i++)
        {
            if (IsClosing(sql, tokens[i]))
            {
                depth--;
            }

            depths[i] = depth;
            if (IsOpening(sql, tokens[i]))
            {
                depth++;
            }
        }

        // The list level: inside the innermost subquery around the mention, or the statement's.
        var level = int.MinValue;
        for (int i = mention - 1, nesting = 0; i >= 0; i--)
        {
            if (IsClosing(sql, tokens[i]))
            {
                nesting++;
            }
            else if (IsOpening(sql, tokens[i]) && nesting-- == 0)
            {
                nesting = 0;
                if (IsSubquery(sql, tokens, i))
                {
                    level = depths[i] + 1;
                    break;
                }
            }
        }

        if (level == int.MinValue)
        {
            level = depths.Length == 0 ? 0 : depths.Min();
        }

        var from = mention;
        while (from > 0 && !EndsExpression(sql, tokens, from - 1, depths, level, leftward: true))
        {
            from--;
        }

        // BETWEEN's AND joins its bounds, and IS DISTINCT FROM's FROM is an operator's.
        var to = mention;
        var between = false;
        while (to + 1 < tokens.Count
               && (!EndsExpression(sql, tokens, to + 1, depths, level, leftward: false)
                   || between && IsWord(sql, tokens[to + 1], "AND") || IsWord(sql, tokens[to + 1], "FROM") && IsWord(sql, tokens[to], "DISTINCT")))
        {
            to++;
            between = IsWord(sql, tokens[to], "BETWEEN") || between && !IsWord(sql, tokens[to], "AND");
        }

        return (from, to);
    }

    private static bool EndsExpression(string sql, List<SqlToken> tokens, int i, int[] depths, int level, bool leftward)
    {
        var token = tokens[i];
        if (depths[i] < level || token.Kind == SqlTokenKind.Semicolon)
        {
            return true;
        }

        if (leftward ? IsOpening(sql, token) && IsSubquery(sql, tokens, i) : IsClosing(sql, token) && depths[i] <= level - 1)
        {
            return true;
        }

        return token.Kind == SqlTokenKind.Comma && depths[i] == level || token.Kind == SqlTokenKind.Word && IsWordIn(sql, token, ExpressionBoundaries);
    }

    /// <summary>A parenthesis that opens a query: <c>(SELECT</c>, <c>(WITH</c>, <c>(VALUES</c>, <c>(TABLE</c>.</summary>
    private static bool IsSubquery(string sql, List<SqlToken> tokens, int open) =>
        tokens[open].Kind == SqlTokenKind.OpenParen && open + 1 < tokens.Count
        && (IsWord(sql, tokens[open + 1], "SELECT") || IsWord(sql, tokens[open + 1], "WITH") || IsWord(sql, tokens[open + 1], "VALUES") || IsWord(sql, tokens[open + 1], "TABLE"));

    private static bool IsOpening(string sql, SqlToken token) => token.Kind == SqlTokenKind.OpenParen || IsCharacter(sql, token, '[');

    private static bool IsClosing(string sql, SqlToken token) => token.Kind == SqlTokenKind.CloseParen || IsCharacter(sql, token, ']');

    /// <summary>A masked column's name: a word or quoted name, not a function's (not followed by a parenthesis).</summary>
    private bool IsMaskedColumnName(string sql, List<SqlToken> tokens, int i) =>
        tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
        && (i + 1 >= tokens.Count || tokens[i + 1].Kind != SqlTokenKind.OpenParen)
        && _columns.Contains(SqlLiteral.Identifier(sql, tokens[i]));

    private static bool IsCharacter(string sql, SqlToken token, char c) => token.Kind == SqlTokenKind.Other && sql[token.Start] == c;

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
    /// <c>INSERT INTO name [[AS] alias] (columns) [OVERRIDING … VALUE] VALUES (…), (…)</c>, and a MERGE's
    /// <c>INSERT (columns) VALUES (…)</c>: the values
    /// at the masked columns' positions in each row.
    /// </summary>
    private void InsertedValues(string sql, List<SqlToken> tokens, int insert, List<SqlToken>? literals, HashSet<int>? parameters)
    {
        // MERGE's WHEN NOT MATCHED THEN INSERT (columns) VALUES (…) names no table.
        var i = insert + 1;
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
