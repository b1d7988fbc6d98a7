namespace Appliance.Policy.Sql;

/// <summary>
/// SQL cursors in a query string: the ones it declares (<c>DECLARE name … CURSOR … FOR query</c>)
/// and the ones it fetches from (<c>FETCH … [FROM | IN] name</c>). A FETCH's result is described
/// by the cursor's query, not by the FETCH's own text, which names no column: masking reads the
/// DECLARE in its place. psql's <c>FETCH_COUNT</c> runs every query this way.
/// </summary>
internal static class SqlCursors
{
    /// <summary>
    /// Each DECLAREd cursor's name with its query (the text after its FOR; the whole DECLARE when
    /// there is none to find), and whether it outlives its transaction. The query alone, so that
    /// the cursor's own name is no word of the text its rows are planned with.
    /// </summary>
    public static List<(string Name, string Query, bool WithHold)> Declared(string sql)
    {
        var found = new List<(string, string, bool)>();
        foreach (var (tokens, text) in Statements(sql))
        {
            if (tokens.Count >= 2 && IsWord(text, tokens[0], "DECLARE") && IsName(tokens[1]))
            {
                var query = tokens.FindIndex(2, t => IsWord(text, t, "FOR")) is var @for and >= 0 && @for + 1 < tokens.Count
                    ? text[tokens[@for + 1].Start..]
                    : text;
                found.Add((Name(text, tokens[1]), query, WithHold(text, tokens)));
            }
        }

        return found;
    }

    /// <summary>The statements of <paramref name="sql"/> other than FETCH and MOVE, which name no column (their rows are their cursors').</summary>
    public static string WithoutFetches(string sql)
    {
        var kept = new System.Text.StringBuilder(sql.Length);
        foreach (var (tokens, text) in Statements(sql))
        {
            if (tokens.Count > 0 && !IsWord(text, tokens[0], "FETCH") && !IsWord(text, tokens[0], "MOVE"))
            {
                kept.Append(text).Append(";\n");
            }
        }

        return kept.ToString();
    }

    /// <summary><c>WITH HOLD</c> before the cursor's FOR.</summary>
    private static bool WithHold(string text, List<SqlToken> tokens)
    {
        for (var i = 2; i + 1 < tokens.Count && !IsWord(text, tokens[i], "FOR"); i++)
        {
            if (IsWord(text, tokens[i], "WITH") && IsWord(text, tokens[i + 1], "HOLD"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The names of the cursors FETCHed from (or MOVEd in), or null when a FETCH's cursor cannot be read
    /// (the caller then knows nothing of its result and fails closed).
    /// </summary>
    public static List<string>? Fetched(string sql)
    {
        var names = new List<string>();
        foreach (var (tokens, text) in Statements(sql))
        {
            // MOVE runs the cursor's query as FETCH does, and its errors quote the same values.
            if (tokens.Count == 0 || !(IsWord(text, tokens[0], "FETCH") || IsWord(text, tokens[0], "MOVE")))
            {
                continue;
            }

            // The cursor's name ends the statement: FETCH [direction [count]] [FROM | IN] name.
            var last = tokens[^1];
            if (tokens.Count < 2 || !IsName(last))
            {
                return null;
            }

            names.Add(Name(text, last));
        }

        return names;
    }

    /// <summary>
    /// A cursor's name as PostgreSQL keeps it: unquoted names folded to lower case, then cut to
    /// 63 bytes at a character boundary (NAMEDATALEN - 1), so two spellings PostgreSQL takes
    /// for one cursor are one here too.
    /// </summary>
    public static string Name(string text, SqlToken token)
    {
        var name = SqlLiteral.Identifier(text, token);
        if (System.Text.Encoding.UTF8.GetByteCount(name) <= MaxNameBytes)
        {
            return name;
        }

        var bytes = 0;
        var end = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > MaxNameBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            end += rune.Utf16SequenceLength;
        }

        return name[..end];
    }

    private const int MaxNameBytes = 63;

    private static bool IsName(SqlToken token) => token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier;

    private static bool IsWord(string text, SqlToken token, string keyword) =>
        token.Kind == SqlTokenKind.Word && SqlKeywords.Is(text.AsSpan(token.Start, token.Length), keyword);

    private static IEnumerable<(List<SqlToken> Tokens, string Text)> Statements(string sql)
    {
        foreach (var span in SqlSplitter.Split(sql))
        {
            var text = sql[span.Start..span.End];
            var tokens = new List<SqlToken>();
            var lexer = new SqlLexer(text);
            for (var token = lexer.Next(); token.Kind is not (SqlTokenKind.End or SqlTokenKind.Semicolon); token = lexer.Next())
            {
                tokens.Add(token);
            }

            yield return (tokens, text);
        }
    }
}
