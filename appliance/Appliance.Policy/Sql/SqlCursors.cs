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
    public static List<(string Name, string Query, bool WithHold)> Declared(string sql) =>
        [.. Changes(sql).Where(c => c.Kind == CursorChangeKind.Declare).Select(c => (c.Name!, c.Query!, c.WithHold))];

    /// <summary>
    /// What the statements of <paramref name="sql"/> may do to the cursors a session knows, in
    /// order. A name's query is known only while nothing else could have closed the cursor and
    /// opened another portal under its name: CLOSE, a rollback, a failed COMMIT, and any code a
    /// statement runs (a DO block's OPEN, a function, a trigger, a view's function) may, so every
    /// statement but these forgets every name: DECLARE, FETCH and MOVE (which forget the other
    /// names: a cursor's query may run such code, at FETCH or, for a WITH HOLD cursor declared
    /// outside a transaction, at the DECLARE itself, probe GB1), BEGIN, START, SAVEPOINT, RELEASE and SHOW
    /// (probe FB1: a WITH HOLD cursor closed by a protocol Close, CLOSE ALL or ROLLBACK left its
    /// harmless query planning the rows of a new portal of the same name, which came out whole).
    /// </summary>
    public static List<CursorChange> Changes(string sql)
    {
        var changes = new List<CursorChange>();
        foreach (var (tokens, text) in Statements(sql))
        {
            if (tokens.Count == 0)
            {
                continue;
            }

            if (tokens.Count >= 2 && IsWord(text, tokens[0], "DECLARE") && IsName(tokens[1]))
            {
                var query = tokens.FindIndex(2, t => IsWord(text, t, "FOR")) is var @for and >= 0 && @for + 1 < tokens.Count
                    ? text[tokens[@for + 1].Start..]
                    : text;
                changes.Add(new(CursorChangeKind.Fetch, Name(text, tokens[1]), null, false));
                changes.Add(new(CursorChangeKind.Declare, Name(text, tokens[1]), query, WithHold(text, tokens)));
            }
            else if ((IsWord(text, tokens[0], "FETCH") || IsWord(text, tokens[0], "MOVE")) && tokens.Count >= 2 && IsName(tokens[^1]))
            {
                changes.Add(new(CursorChangeKind.Fetch, Name(text, tokens[^1]), null, false));
            }
            else if (!(IsWord(text, tokens[0], "BEGIN") || IsWord(text, tokens[0], "START") || IsWord(text, tokens[0], "SAVEPOINT")
                || IsWord(text, tokens[0], "RELEASE") || IsWord(text, tokens[0], "SHOW")))
            {
                changes.Add(new(CursorChangeKind.ForgetAll, null, null, false));
            }
        }

        return changes;
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

internal enum CursorChangeKind : byte
{
    /// <summary>A cursor declared: its name and query.</summary>
    Declare,

    /// <summary>A FETCH or MOVE: the cursor's query runs, and may run code that closes the others.</summary>
    Fetch,

    /// <summary>A statement that may close cursors or open portals under their names.</summary>
    ForgetAll,
}

/// <summary>One step of <see cref="SqlCursors.Changes"/>.</summary>
internal readonly record struct CursorChange(CursorChangeKind Kind, string? Name, string? Query, bool WithHold);
