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
    /// a set operation adds rows to it (<c>VALUES (0, 'x') UNION ALL SELECT …</c>, probe VA6) or a row
    /// calls a function not known to return one value: <c>VALUES (generate_series(1, 1000), 'x')</c>
    /// is a thousand rows (probe UB1), and so may be any function of the database's own (VA7, VA8).
    /// </summary>
    private static void ClassifyConflictUpdate(Context context, Statement statement, int first, int depth)
    {
        var nesting = 0;
        var fromValues = false;
        var conflict = false;
        var source = SourceStart(statement, first);
        for (var i = first + 1; i < statement.To; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (fromValues && !conflict && kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && i + 1 < statement.To
                && statement.Tokens[i + 1].Kind == SqlTokenKind.OpenParen && !OneValueCalls.Contains(SqlLiteral.Identifier(statement.Source, statement.Tokens[i])))
            {
                fromValues = false;
            }

            if (nesting != 0)
            {
                continue;
            }

            if (fromValues && !conflict && (statement.IsKeyword(i, "UNION") || statement.IsKeyword(i, "INTERSECT") || statement.IsKeyword(i, "EXCEPT")))
            {
                fromValues = false;
            }

            if (i == source && (statement.IsKeyword(i, "VALUES") || statement.IsKeyword(i, "DEFAULT")))
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
                    context.Add(statement.Text, "UPDATE", "UPDATE", ActionWhereLimitsRows(statement, first, i + 2), SqlStatementOrigin.ConflictAction, depth);
                }

                return;
            }
        }
    }

    /// <summary>
    /// What a VALUES row may call and stay one row: SQL's own forms with parentheses (CAST, COALESCE,
    /// a subquery's EXISTS or IN), type names with a modifier (<c>varchar(20)</c>), and the scalar
    /// functions upserts use. Any other call may return a set, and the upsert is judged as the
    /// UPDATE of every key it makes (fail closed: it is held for review, not refused).
    /// </summary>
    private static readonly HashSet<string> OneValueCalls = new(StringComparer.Ordinal)
    {
        // SQL forms and keywords before a parenthesis.
        "cast", "coalesce", "nullif", "greatest", "least", "extract", "position", "substring", "trim", "overlay", "normalize",
        "row", "array", "exists", "in", "any", "all", "some", "values", "select", "and", "or", "not", "is", "then", "else", "when", "case",
        "as", "from", "where", "on", "using", "over", "filter", "within", "distinct", "collate", "treat", "xmlelement", "xmlforest",
        // Type names with a modifier.
        "varchar", "char", "character", "bpchar", "numeric", "decimal", "timestamp", "timestamptz", "time", "timetz", "interval",
        "bit", "varbit", "float", "double", "precision", "varying",
        // Scalar functions.
        "now", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v1",
        "uuid_generate_v4", "lower", "upper", "initcap", "btrim", "ltrim", "rtrim", "length", "char_length", "octet_length", "concat",
        "concat_ws", "format", "replace", "substr", "left", "right", "lpad", "rpad", "repeat", "reverse", "split_part", "strpos",
        "translate", "regexp_replace", "md5", "sha224", "sha256", "sha384", "sha512", "encode", "decode", "convert_to", "convert_from",
        "to_char", "to_date", "to_timestamp", "to_number", "date_trunc", "date_part", "date_bin", "make_date", "make_time",
        "make_timestamp", "make_timestamptz", "make_interval", "age", "timezone", "abs", "round", "trunc", "floor", "ceil", "ceiling",
        "mod", "power", "sqrt", "random", "nextval", "currval", "to_json", "to_jsonb", "json_build_object", "jsonb_build_object",
        "json_build_array", "jsonb_build_array", "jsonb_set", "jsonb_insert", "jsonb_strip_nulls", "row_to_json", "array_to_json",
        "array_append", "array_prepend", "array_cat", "array_remove", "array_replace", "array_length", "cardinality", "array_to_string",
        "string_to_array", "quote_literal", "quote_ident", "quote_nullable", "current_setting", "crypt", "gen_salt", "digest", "hmac",
        "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange", "inet", "cidr", "host", "text", "ascii", "chr", "to_hex",
    };

    /// <summary>
    /// Where an INSERT's rows start: after INTO, the target (schema-qualified), its AS alias, its
    /// column list and an OVERRIDING clause. Only a VALUES there is the source: a word VALUES
    /// elsewhere may be an alias (probe WA2: <c>SELECT … FROM kv AS values</c> read as a VALUES list).
    /// </summary>
    private static int SourceStart(Statement statement, int first)
    {
        var i = first + 1;
        if (!statement.IsKeyword(i, "INTO"))
        {
            return -1;
        }

        i++;
        if (i < statement.To && statement.Tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            i++;
        }

        while (i + 1 < statement.To && statement.Tokens[i].Kind == SqlTokenKind.Other && statement.Source[statement.Tokens[i].Start] == '.'
            && statement.Tokens[i + 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            i += 2;
        }

        if (statement.IsKeyword(i, "AS"))
        {
            i += 2;
        }

        if (i < statement.To && statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
        {
            i = statement.MatchingParen(i, statement.To) + 1;
        }

        return statement.IsKeyword(i, "OVERRIDING") ? i + 3 : i;
    }

    /// <summary>
    /// The DO UPDATE's own WHERE (after its SET list, before RETURNING) limits rows: <c>excluded</c>
    /// is the row proposed, one value per conflict like a joined relation's (probe AZ3: <c>WHERE
    /// excluded.id &gt; 0</c> passed for a bound and rewrote every row a query hit).
    /// </summary>
    private static bool ActionWhereLimitsRows(Statement statement, int first, int from)
    {
        HashSet<string>? targets = null;
        if (statement.IsKeyword(first + 1, "INTO") && first + 2 < statement.To
            && statement.Tokens[first + 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            // INSERT INTO [schema.]t [AS alias]
            // Its alias, which hides its name, or its name.
            var name = DottedNameEnd(statement, first + 2, statement.To);
            var alias = statement.IsKeyword(name + 1, "AS") && name + 2 < statement.To ? name + 2 : name;
            targets = new HashSet<string>(StringComparer.Ordinal) { SqlLiteral.Identifier(statement.Source, statement.Tokens[alias]) };
        }

        var excluded = RowsThatFired(targets);
        excluded.Add("excluded");
        excluded.ExceptWith(targets ?? []);

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
                return WhereLimitsRows(statement, i + 1, excluded, targets);
            }
        }

        return false;
    }
}
