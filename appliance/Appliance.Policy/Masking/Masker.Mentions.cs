using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// Whether a statement may carry a masked column's values into something computed, so that
/// computed results, error texts and notices of the statement are masked whole (failing closed).
/// A masked column can be reached without its name: a column alias list renames a table's
/// columns (<c>FROM customers t(id, n, e, p, s)</c>, also on a subquery), a WITH query's column
/// list does the same, and a Unicode-escaped identifier (<c>U&amp;"\0073sn"</c>) spells the name
/// in other bytes; text handed to something that runs it (<c>query_to_xml('select ssn …')</c>)
/// names it inside a string. Each of these counts as naming a masked column.
/// </summary>
internal sealed partial class Masker
{
    private const int MaxStringDepth = 4;

    internal bool MentionsMaskedColumn(string statement) => HasColumnRules && Mentions(statement, depth: 0, lookInStrings: true);

    /// <summary>
    /// As <see cref="MentionsMaskedColumn"/>, but a masked column named only in a WHERE clause
    /// does not count: a filter decides which rows come back, no value of it reaches a result
    /// column, so <c>SELECT count(*) … WHERE ssn IS NOT NULL</c> keeps its count. (Errors and
    /// stored values are judged by <see cref="MentionsMaskedColumn"/>: a WHERE can raise or store.)
    /// </summary>
    internal bool MentionsMaskedColumnInResults(string statement) =>
        HasColumnRules && Mentions(statement, depth: 0, lookInStrings: true, ignoreFilters: true);

    /// <param name="lookInStrings">Whether text in string literals counts (it may be SQL something runs); a write of text that merely contains a column's name is no copy.</param>
    /// <param name="ignoreFilters">Whether what stands in a WHERE clause (and its subqueries) is left out.</param>
    private bool Mentions(string text, int depth, bool lookInStrings, bool ignoreFilters = false)
    {
        var tokens = Tokens(text);
        var inFrom = new Stack<bool>();
        var inWhere = new Stack<bool>();
        inFrom.Push(false);
        inWhere.Push(false);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var counts = !(ignoreFilters && inWhere.Peek());
            switch (token.Kind)
            {
                case SqlTokenKind.QuotedIdentifier when counts && token.Length > 1 && text[token.Start] is 'u' or 'U':
                    return true;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when counts && _columns.Contains(SqlLiteral.Identifier(text, token)):
                    return true;
                case SqlTokenKind.Word when counts && i + 1 < tokens.Count && tokens[i + 1].Kind == SqlTokenKind.OpenParen
                    && DumpFunctions.Contains(Word(text, token).ToString()):
                    return true;
                case SqlTokenKind.Word:
                    UpdateClause(inFrom, Word(text, token));
                    UpdateFilter(inWhere, Word(text, token));
                    break;
                case SqlTokenKind.OpenParen:
                    if (counts && ((inFrom.Peek() && IsAliasColumnList(text, tokens, i)) || IsWithColumnList(text, tokens, i)))
                    {
                        return true;
                    }

                    inFrom.Push(false);
                    inWhere.Push(inWhere.Peek());
                    break;
                case SqlTokenKind.CloseParen when inFrom.Count > 1:
                    inFrom.Pop();
                    inWhere.Pop();
                    break;
                case SqlTokenKind.Semicolon:
                    inWhere.Pop();
                    inWhere.Push(false);
                    break;
                case SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.DollarString when counts && lookInStrings && depth < MaxStringDepth:
                    if (SqlLiteral.TryGetContent(text, token, out var body, out var start, out var end)
                        && LooksLikeSql(body.AsSpan(start, end - start))
                        && Mentions(body.Substring(start, end - start), depth + 1, lookInStrings))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    private static readonly string[] FilterEnds =
        ["GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "RETURNING", "FOR"];

    /// <summary>WHERE opens a filter at this parenthesis depth; the clauses that may follow it close it.</summary>
    private static void UpdateFilter(Stack<bool> inWhere, ReadOnlySpan<char> word)
    {
        if (word.Equals("WHERE", StringComparison.OrdinalIgnoreCase))
        {
            inWhere.Pop();
            inWhere.Push(true);
            return;
        }

        foreach (var end in FilterEnds)
        {
            if (word.Equals(end, StringComparison.OrdinalIgnoreCase))
            {
                inWhere.Pop();
                inWhere.Push(false);
                return;
            }
        }
    }

    private static ReadOnlySpan<char> Word(string text, SqlToken token) => text.AsSpan(token.Start, token.Length);

    /// <summary>Functions that return whole tables, schemas or query results as one value: no column of theirs can be followed.</summary>
    private static readonly HashSet<string> DumpFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema", "query_to_xml", "query_to_xmlschema",
        "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema", "schema_to_xml", "schema_to_xmlschema",
        "schema_to_xml_and_xmlschema", "database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema",
    };

    private static readonly string[] QueryWords = ["SELECT", "TABLE", "FROM", "WITH", "VALUES", "EXECUTE", "RETURNING"];

    /// <summary>
    /// Text something may run as a query (<c>query_to_xml('select …')</c>, dynamic SQL), as opposed
    /// to a label or a value that happens to contain a column's name.
    /// </summary>
    private static bool LooksLikeSql(ReadOnlySpan<char> content)
    {
        foreach (var range in content.SplitAny(" \t\r\n(),;"))
        {
            var word = content[range];
            foreach (var query in QueryWords)
            {
                if (word.Equals(query, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>FROM and JOIN open a from-list at this parenthesis depth; the clauses after it close it.</summary>
    private static void UpdateClause(Stack<bool> inFrom, ReadOnlySpan<char> word)
    {
        if (word.Equals("FROM", StringComparison.OrdinalIgnoreCase) || word.Equals("JOIN", StringComparison.OrdinalIgnoreCase))
        {
            inFrom.Pop();
            inFrom.Push(true);
        }
        else if (IsClauseEnd(word))
        {
            inFrom.Pop();
            inFrom.Push(false);
        }
    }

    private static bool IsClauseEnd(ReadOnlySpan<char> word)
    {
        foreach (var end in ClauseEnds)
        {
            if (word.Equals(end, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Keywords a parenthesis follows in a from-list that are not an alias: <c>FROM (</c>, <c>JOIN LATERAL (</c>, <c>ON (</c>…</summary>
    private static readonly HashSet<string> NotAnAlias = new(StringComparer.OrdinalIgnoreCase)
    {
        "FROM", "JOIN", "LATERAL", "ONLY", "ON", "USING", "IN", "EXISTS", "ANY", "ALL", "SOME", "AS", "NOT", "AND", "OR",
        "WHERE", "SELECT", "VALUES", "ROWS", "CROSS", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "NATURAL", "WITH", "UNION",
        "EXCEPT", "INTERSECT", "CASE", "WHEN", "THEN", "ELSE", "ARRAY", "ROW", "FILTER", "OVER", "WITHIN", "TABLESAMPLE", "ORDINALITY",
    };

    private static readonly string[] ClauseEnds =
        ["WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "SELECT", "RETURNING", "SET", "VALUES", "ON", "USING", "FOR", "FETCH"];

    /// <summary>
    /// <c>rel alias (</c> or <c>rel AS alias (</c> in a from-list: the parenthesis renames columns.
    /// A function in the from-list (<c>FROM f(1)</c>, <c>, f(1)</c>, <c>LATERAL f(1)</c>) is not one.
    /// </summary>
    private static bool IsAliasColumnList(string text, List<SqlToken> tokens, int open)
    {
        if (open < 2 || tokens[open - 1].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
            || (tokens[open - 1].Kind == SqlTokenKind.Word && NotAnAlias.Contains(Word(text, tokens[open - 1]).ToString())))
        {
            return false;
        }

        // Only what starts a from-item or qualifies a name makes the parenthesis a function's:
        // FROM f(…), , f(…), LATERAL f(…), schema.f(…). After anything else (a relation's name, its
        // alias, `*`, a closing parenthesis) it is a column alias list.
        var before = tokens[open - 2];
        return before.Kind switch
        {
            SqlTokenKind.Comma or SqlTokenKind.OpenParen => false,
            SqlTokenKind.Other => !text.AsSpan(before.Start, before.Length).SequenceEqual("."),
            SqlTokenKind.Word => !IsFromItemStart(Word(text, before)),
            _ => true,
        };
    }

    private static bool IsFromItemStart(ReadOnlySpan<char> word) =>
        word.Equals("FROM", StringComparison.OrdinalIgnoreCase) || word.Equals("JOIN", StringComparison.OrdinalIgnoreCase)
        || word.Equals("LATERAL", StringComparison.OrdinalIgnoreCase) || word.Equals("ONLY", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>WITH name (a, b) AS (…)</c>: the parenthesis after a WITH query's name renames its columns.</summary>
    private static bool IsWithColumnList(string text, List<SqlToken> tokens, int open)
    {
        if (open < 1 || tokens[open - 1].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return false;
        }

        var depth = 0;
        for (var j = open; j < tokens.Count; j++)
        {
            depth += tokens[j].Kind switch
            {
                SqlTokenKind.OpenParen => 1,
                SqlTokenKind.CloseParen => -1,
                _ => 0,
            };
            if (depth == 0)
            {
                return j + 2 < tokens.Count && tokens[j + 1].Kind == SqlTokenKind.Word
                    && Word(text, tokens[j + 1]).Equals("AS", StringComparison.OrdinalIgnoreCase)
                    && (tokens[j + 2].Kind == SqlTokenKind.OpenParen
                        || Word(text, tokens[j + 2]).Equals("MATERIALIZED", StringComparison.OrdinalIgnoreCase)
                        || Word(text, tokens[j + 2]).Equals("NOT", StringComparison.OrdinalIgnoreCase));
            }
        }

        return false;
    }
}
