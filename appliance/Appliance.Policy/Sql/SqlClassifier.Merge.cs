namespace Appliance.Policy.Sql;

internal static partial class SqlClassifier
{
    /// <summary>
    /// <c>MERGE … WHEN [NOT] MATCHED [AND cond] THEN DELETE | UPDATE SET … | INSERT … | DO NOTHING</c>:
    /// each action is a statement of its own kind. A MERGE action has no WHERE (its condition
    /// only filters the join), and a MERGE can touch every row of its target, so DELETE and
    /// UPDATE actions count as having none: rules on writes without WHERE apply to them.
    /// </summary>
    private static void ClassifyMergeActions(Context context, Statement statement, int first, int depth)
    {
        var action = -1;
        var nesting = 0;
        var cases = 0;
        for (var i = first + 1; i < statement.To; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting != 0 || !statement.Tokens[i].IsWord)
            {
                continue;
            }

            // CASE … WHEN … THEN … END in a condition, SET or VALUES is no clause of the MERGE.
            cases += statement.IsKeyword(i, "CASE") ? 1 : statement.IsKeyword(i, "END") && cases > 0 ? -1 : 0;
            if (cases > 0)
            {
                continue;
            }

            if (statement.IsKeyword(i, "WHEN"))
            {
                AddMergeAction(context, statement, action, i, depth);
                action = -1;
            }
            else if (statement.IsKeyword(i, "THEN") && i + 1 < statement.To
                && (statement.IsKeyword(i + 1, "DELETE") || statement.IsKeyword(i + 1, "UPDATE") || statement.IsKeyword(i + 1, "INSERT")))
            {
                action = i + 1;
            }
        }

        AddMergeAction(context, statement, action, statement.To, depth);
    }

    private static void AddMergeAction(Context context, Statement statement, int action, int end, int depth)
    {
        if (action >= 0)
        {
            var kind = SqlKeywords.ToUpper(statement.Word(action));
            context.Add(statement.Slice(action, end).Text, kind, kind, hasWhere: false, SqlStatementOrigin.MergeAction, depth);
        }
    }

    /// <summary>
    /// <c>INSERT … ON CONFLICT … DO UPDATE SET …</c> updates each existing row whose key the
    /// inserted rows hit: with a query as the source (<c>INSERT INTO t SELECT * FROM t …</c>) that
    /// is every row of the table, so the action is judged as an UPDATE, whose WHERE is the action's
    /// own. A VALUES list (or DEFAULT VALUES) bounds it by its rows, as the text shows them, unless
    /// a row calls a set-returning function PostgreSQL ships: <c>VALUES (generate_series(1, 1000),
    /// 'x')</c> is a thousand rows (probe UB1: every row rewritten unreviewed). One of the database's
    /// own is not known here.
    /// </summary>
    private static void ClassifyConflictUpdate(Context context, Statement statement, int first, int depth)
    {
        var nesting = 0;
        var fromValues = false;
        var conflict = false;
        for (var i = first + 1; i < statement.To; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (fromValues && !conflict && kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && i + 1 < statement.To
                && statement.Tokens[i + 1].Kind == SqlTokenKind.OpenParen && SetReturning.Contains(SqlLiteral.Identifier(statement.Source, statement.Tokens[i])))
            {
                fromValues = false;
            }

            if (nesting != 0)
            {
                continue;
            }

            if (!conflict && statement.IsKeyword(i, "VALUES"))
            {
                fromValues = true;
            }
            else if (statement.IsKeyword(i, "ON") && statement.IsKeyword(i + 1, "CONFLICT"))
            {
                conflict = true;
            }
            else if (conflict && statement.IsKeyword(i, "DO") && statement.IsKeyword(i + 1, "UPDATE"))
            {
                if (!fromValues)
                {
                    context.Add(statement.Text, "UPDATE", "UPDATE", ActionWhereLimitsRows(statement, i + 2), SqlStatementOrigin.ConflictAction, depth);
                }

                return;
            }
        }
    }

    /// <summary>The set-returning functions PostgreSQL ships that make rows from one value.</summary>
    private static readonly HashSet<string> SetReturning = new(StringComparer.Ordinal)
    {
        "generate_series", "generate_subscripts", "unnest", "regexp_matches", "regexp_split_to_table", "string_to_table",
        "json_array_elements", "json_array_elements_text", "jsonb_array_elements", "jsonb_array_elements_text",
        "json_each", "json_each_text", "jsonb_each", "jsonb_each_text", "json_object_keys", "jsonb_object_keys",
        "json_populate_recordset", "jsonb_populate_recordset", "json_to_recordset", "jsonb_to_recordset", "jsonb_path_query",
        "pg_ls_dir", "ts_stat", "ts_parse", "txid_snapshot_xip", "pg_snapshot_xip", "aclexplode", "pg_options_to_table",
    };

    /// <summary>The DO UPDATE's own WHERE (after its SET list, before RETURNING) limits rows.</summary>
    private static bool ActionWhereLimitsRows(Statement statement, int from)
    {
        var nesting = 0;
        for (var i = from; i < statement.To; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting == 0 && statement.IsKeyword(i, "RETURNING"))
            {
                return false;
            }

            if (nesting == 0 && statement.IsKeyword(i, "WHERE"))
            {
                return WhereLimitsRows(statement, i + 1);
            }
        }

        return false;
    }
}
