namespace Appliance.Policy.Sql;

internal static partial class SqlClassifier
{
    /// <summary>
    /// EXPLAIN runs its statement only with ANALYZE: <c>EXPLAIN ANALYZE [VERBOSE] stmt</c> or
    /// <c>EXPLAIN (ANALYZE [value], …) stmt</c>. Any ANALYZE value other than false/off/0 counts
    /// as true, as PostgreSQL's defGetBoolean would read it or fail.
    /// </summary>
    private static void ClassifyExplain(Context context, Statement statement, int first, SqlStatementOrigin origin, int depth)
    {
        var analyze = false;
        var i = first + 1;
        if (i < statement.To && statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
        {
            var close = statement.MatchingParen(i, statement.To);
            for (var option = i + 1; option < close; option = NextOption(statement, option, close))
            {
                if (statement.IsKeyword(option, "ANALYZE") || statement.IsKeyword(option, "ANALYSE"))
                {
                    analyze |= !IsFalse(statement, option + 1, close);
                }
            }

            i = close + 1;
        }
        else
        {
            while (statement.IsKeyword(i, "ANALYZE") || statement.IsKeyword(i, "ANALYSE") || statement.IsKeyword(i, "VERBOSE"))
            {
                analyze |= !statement.IsKeyword(i, "VERBOSE");
                i++;
            }
        }

        context.Add(statement.Text, "EXPLAIN", analyze ? "EXPLAIN ANALYZE" : "EXPLAIN", hasWhere: false, origin, depth);
        if (analyze && i < statement.To)
        {
            ClassifyTokens(context, statement.Slice(i, statement.To), SqlStatementOrigin.ExplainAnalyze, depth + 1);
        }
    }

    /// <summary>The token after the next top-level comma of an option list.</summary>
    private static int NextOption(Statement statement, int i, int close)
    {
        var nesting = 0;
        for (; i < close; i++)
        {
            var kind = statement.Tokens[i].Kind;
            if (kind == SqlTokenKind.OpenParen)
            {
                nesting++;
            }
            else if (kind == SqlTokenKind.CloseParen)
            {
                nesting--;
            }
            else if (kind == SqlTokenKind.Comma && nesting == 0)
            {
                return i + 1;
            }
        }

        return close;
    }

    private static bool IsFalse(Statement statement, int i, int close)
    {
        if (i >= close || statement.Tokens[i].Kind is SqlTokenKind.Comma)
        {
            return false;
        }

        var value = statement.Word(i);
        if (statement.Tokens[i].Kind == SqlTokenKind.String && value.Length >= 2)
        {
            value = value[1..^1];
        }

        return value.Equals("false", StringComparison.OrdinalIgnoreCase)
            || value.Equals("off", StringComparison.OrdinalIgnoreCase)
            || value.SequenceEqual("0");
    }

    /// <summary><c>PREPARE name [(types)] AS stmt</c>: the statement is classified now and remembered for EXECUTE.</summary>
    private static void ClassifyPrepare(Context context, Statement statement, int first, SqlStatementOrigin origin, int depth)
    {
        // PREPARE TRANSACTION 'gid' (two-phase commit, as XA clients send it) prepares no
        // statement; the literal tells it from a statement named "transaction" (probe AL).
        if (statement.IsKeyword(first + 1, "TRANSACTION") && first + 3 == statement.To
            && statement.Tokens[first + 2].Kind is SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.DollarString)
        {
            context.Add(statement.Text, "PREPARE", "PREPARE TRANSACTION", hasWhere: false, origin, depth);
            return;
        }

        context.DependsOnSession = true;
        var nameIndex = first + 1;
        if (nameIndex >= statement.To || statement.Tokens[nameIndex].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            context.AddUnknown(statement.Text, origin, depth);
            return;
        }

        var i = nameIndex + 1;
        if (i < statement.To && statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
        {
            i = statement.MatchingParen(i, statement.To) + 1;
        }

        if (statement.IsKeyword(i, "AS"))
        {
            i++;
        }

        context.Add(statement.Text, "PREPARE", "PREPARE", hasWhere: false, origin, depth);
        var before = context.Output.Count;
        ClassifyTokens(context, statement.Slice(i, statement.To), SqlStatementOrigin.Prepare, depth + 1);
        if (context.MutatesSession && context.Session is not null)
        {
            var name = SqlLiteral.Identifier(statement.Source, statement.Tokens[nameIndex]);
            context.Session.Define(name, [.. context.Output.Skip(before)]);
        }
    }

    /// <summary><c>EXECUTE name [(args)]</c>: judged by every definition the session holds for the name.</summary>
    private static void ClassifyExecute(Context context, Statement statement, int first, SqlStatementOrigin origin, int depth)
    {
        context.DependsOnSession = true;
        context.Add(statement.Text, "EXECUTE", "EXECUTE", hasWhere: false, origin, depth);
        var nameIndex = first + 1;
        if (nameIndex < statement.To
            && statement.Tokens[nameIndex].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
            && context.Session is not null
            && context.Session.TryResolve(SqlLiteral.Identifier(statement.Source, statement.Tokens[nameIndex]), out var definitions))
        {
            foreach (var definition in definitions)
            {
                foreach (var prepared in definition)
                {
                    context.Output.Add(prepared with
                    {
                        Origin = SqlStatementOrigin.Execute,
                        TopLevelIndex = context.TopLevelIndex,
                        Depth = depth + 1 + prepared.Depth - definition[0].Depth,
                    });
                }
            }

            return;
        }

        context.AddUnknown(statement.Text, SqlStatementOrigin.Execute, depth + 1);
    }

    /// <summary><c>DEALLOCATE [PREPARE] name | ALL</c> and <c>DISCARD ALL</c> forget prepared statements.</summary>
    private static void ClassifyDeallocate(Context context, Statement statement, int first, string kind, SqlStatementOrigin origin, int depth)
    {
        context.DependsOnSession = true;
        context.Add(statement.Text, kind, kind, hasWhere: false, origin, depth);
        var i = first + 1;
        if (kind == "DEALLOCATE" && statement.IsKeyword(i, "PREPARE"))
        {
            i++;
        }

        // Only a statement that surely runs forgets: one in a body or in dynamic SQL may never be
        // reached (IF false, after RETURN, in a handled exception), and a Parse runs nothing
        // until its Execute (probe AA1: either left an approved DELETE judged as what came after).
        if (!context.MutatesSession || context.Session is not { Parsing: false } || i >= statement.To
            || origin != SqlStatementOrigin.TopLevel || depth > 0)
        {
            return;
        }

        if (statement.IsKeyword(i, "ALL"))
        {
            context.Session.Reset();
        }
        else if (kind == "DEALLOCATE" && statement.Tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            context.Session.Deallocate(SqlLiteral.Identifier(statement.Source, statement.Tokens[i]));
        }
    }

    /// <summary>
    /// <c>WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (query) [SEARCH …] [CYCLE …], … main</c>:
    /// every WITH query and the main statement are classified. Text that does not have this shape
    /// is still searched for data-modifying statements in parentheses.
    /// </summary>
    private static void ClassifyWith(Context context, Statement statement, int first, SqlStatementOrigin origin, int depth)
    {
        var i = first + 1;
        if (statement.IsKeyword(i, "RECURSIVE"))
        {
            i++;
        }

        var main = FindWithQueries(statement, i, out var queries);
        if (main < 0)
        {
            context.Add(statement.Text, "WITH", "WITH", HasTopLevelWhere(statement, first, context.BodyNames), origin, depth);
            ScanParenthesizedWrites(context, statement, first + 1, statement.To, depth + 1);
            return;
        }

        var mainStatement = statement.Slice(main, statement.To);
        context.Add(statement.Text, "WITH", "WITH", HasTopLevelWhere(mainStatement, main, context.BodyNames), origin, depth);
        foreach (var (open, close) in queries)
        {
            ClassifyTokens(context, statement.Slice(open + 1, close), SqlStatementOrigin.With, depth + 1);
        }

        if (main < statement.To)
        {
            ClassifyTokens(context, mainStatement, SqlStatementOrigin.With, depth + 1);
        }
    }

    /// <summary>The WITH queries' parentheses and the index of the main statement, or -1 when the shape is unexpected.</summary>
    private static int FindWithQueries(Statement statement, int i, out List<(int Open, int Close)> queries)
    {
        queries = [];
        while (i < statement.To)
        {
            if (statement.Tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                return -1;
            }

            i++;
            if (i < statement.To && statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
            {
                i = statement.MatchingParen(i, statement.To) + 1;
            }

            if (!statement.IsKeyword(i, "AS"))
            {
                return -1;
            }

            i++;
            if (statement.IsKeyword(i, "NOT"))
            {
                i++;
            }

            if (statement.IsKeyword(i, "MATERIALIZED"))
            {
                i++;
            }

            if (i >= statement.To || statement.Tokens[i].Kind != SqlTokenKind.OpenParen)
            {
                return -1;
            }

            var close = statement.MatchingParen(i, statement.To);
            queries.Add((i, close));
            i = close + 1;

            // SEARCH … SET col and CYCLE … USING col run until the comma or the main statement.
            while (i < statement.To && statement.Tokens[i].Kind != SqlTokenKind.Comma)
            {
                var token = statement.Tokens[i];
                if (token.Kind == SqlTokenKind.OpenParen
                    || (token.IsWord && SqlKeywords.AsKeyword(statement.Word(i)) is "SELECT" or "INSERT" or "UPDATE"
                        or "DELETE" or "MERGE" or "VALUES" or "TABLE" or "WITH"))
                {
                    return i;
                }

                i++;
            }

            i++;
        }

        return statement.To;
    }

    /// <summary><c>DECLARE name … CURSOR … FOR query</c>: the query runs as the cursor is fetched.</summary>
    private static void ClassifyCursor(Context context, Statement statement, int first, SqlStatementOrigin origin, int depth)
    {
        context.Add(statement.Text, "DECLARE", "DECLARE", hasWhere: false, origin, depth);
        for (var i = first + 1; i < statement.To - 1; i++)
        {
            if (statement.IsKeyword(i, "CURSOR"))
            {
                for (var j = i + 1; j < statement.To; j++)
                {
                    if (statement.IsKeyword(j, "FOR"))
                    {
                        ClassifyTokens(context, statement.Slice(j + 1, statement.To), SqlStatementOrigin.Cursor, depth + 1);
                        return;
                    }
                }
            }
        }

        ScanParenthesizedWrites(context, statement, first + 1, statement.To, depth + 1);
    }

    /// <summary><c>COPY table [(cols)] FROM|TO …</c> or <c>COPY (query) TO …</c>: the command says the direction.</summary>
    private static void ClassifyCopy(Context context, Statement statement, int first, SqlStatementOrigin origin, int depth)
    {
        var i = first + 1;
        (int Open, int Close)? query = null;
        if (i < statement.To && statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
        {
            var close = statement.MatchingParen(i, statement.To);
            query = (i, close);
            i = close + 1;
        }

        var command = "COPY";
        var serverSide = false;
        for (var nesting = 0; i < statement.To; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting == 0 && (statement.IsKeyword(i, "FROM") || statement.IsKeyword(i, "TO")))
            {
                command = statement.IsKeyword(i, "FROM") ? "COPY FROM" : "COPY TO";
                serverSide = CopiesServerSide(statement, i);
                break;
            }
        }

        context.Add(statement.Text, "COPY", command, hasWhere: false, origin, depth);
        if (command == "COPY FROM")
        {
            // It inserts rows as INSERT does: a rule on INSERT covers it (probe AC4).
            context.Add(statement.Text, "INSERT", command, hasWhere: false, origin, depth);
        }

        if (serverSide)
        {
            context.Add(statement.Text, ServerFiles, ServerFiles, hasWhere: false, origin, depth);
        }

        if (query is var (open, end))
        {
            ClassifyTokens(context, statement.Slice(open + 1, end), SqlStatementOrigin.Copy, depth + 1);
        }
    }
}
