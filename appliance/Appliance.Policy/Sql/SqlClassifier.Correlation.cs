namespace Appliance.Policy.Sql;

/// <summary>
/// Conditions that cannot tell the target's rows apart although they name columns: a subquery that
/// does not refer to the target (<c>WHERE EXISTS (SELECT 1 FROM orders)</c>, the correlation
/// forgotten) is one value for every row, and so are the columns of the other relations a
/// DELETE's USING or an UPDATE's FROM joins in (<c>USING orders o WHERE o.id = 1</c>). Both
/// count as constants in SqlClassifier.Where.cs. A column written without its relation's name
/// could be the target's (PostgreSQL looks outwards for names a subquery's relations lack), so
/// it always counts as limiting: only what is certainly not the target's is a constant.
/// </summary>
internal static partial class SqlClassifier
{
    /// <summary>
    /// Words of a subquery's clauses besides those of <see cref="ConstantConditionWords"/>: only
    /// PostgreSQL's reserved words and those that cannot name a column. Unreserved ones (KEY, FIRST,
    /// SYSTEM, ROWS…) can be a column's name, so they count as keywords only where the syntax puts
    /// them (<see cref="IsClauseWord"/>).
    /// </summary>
    private static readonly HashSet<string> SubqueryWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "FROM", "JOIN", "ON", "USING", "GROUP", "ORDER", "HAVING", "ASC", "DESC", "INNER", "LEFT", "RIGHT", "FULL", "OUTER",
        "CROSS", "NATURAL", "LATERAL", "ONLY", "FETCH", "WITH", "TABLE", "FOR", "WINDOW", "TABLESAMPLE", "COLLATE",
    };

    /// <summary>
    /// An unreserved word in the place its clause gives it: <c>GROUP BY</c>, <c>NULLS FIRST</c>,
    /// <c>FETCH NEXT 1 ROWS ONLY</c>, <c>WITH TIES</c>, <c>FOR NO KEY UPDATE OF o SKIP LOCKED</c>,
    /// <c>NOWAIT</c>, <c>TABLESAMPLE SYSTEM (…) REPEATABLE (…)</c>, <c>WITH RECURSIVE</c>,
    /// <c>AS MATERIALIZED</c>, a window's frame inside <c>OVER (…)</c> or <c>WINDOW w AS (…)</c>.
    /// </summary>
    private static bool IsClauseWord(Statement statement, int i, int from, bool inWindow)
    {
        bool After(params string[] words) => i > from && words.Any(w => statement.IsKeyword(i - 1, w));
        bool Before(params string[] words) => words.Any(w => statement.IsKeyword(i + 1, w));
        var word = statement.Word(i);
        return word.ToString().ToUpperInvariant() switch
        {
            "BY" => After("GROUP", "ORDER", "PARTITION"),
            "NULLS" => Before("FIRST", "LAST"),
            "FIRST" or "LAST" => After("NULLS", "FETCH"),
            "NEXT" => After("FETCH"),
            "ROW" or "ROWS" => (i > from && statement.Tokens[i - 1].Kind == SqlTokenKind.Number) || After("FIRST", "NEXT") || Before("ONLY") || inWindow,
            "TIES" => After("WITH"),
            "UPDATE" or "SHARE" => After("FOR", "KEY"),
            "NO" => After("FOR") && Before("KEY"),
            "KEY" => After("NO", "FOR"),
            "OF" => After("UPDATE", "SHARE"),
            "SKIP" => Before("LOCKED"),
            "LOCKED" => After("SKIP"),
            "NOWAIT" => After("UPDATE", "SHARE") || i + 1 >= statement.To || statement.Tokens[i + 1].Kind == SqlTokenKind.CloseParen,
            "SYSTEM" or "BERNOULLI" => After("TABLESAMPLE"),
            "REPEATABLE" => i + 1 < statement.To && statement.Tokens[i + 1].Kind == SqlTokenKind.OpenParen,
            "RECURSIVE" => After("WITH"),
            "MATERIALIZED" => After("AS", "NOT"),
            "OVER" => i + 1 < statement.To && (statement.Tokens[i + 1].Kind == SqlTokenKind.OpenParen || statement.Tokens[i + 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier),
            "PARTITION" or "RANGE" or "GROUPS" or "UNBOUNDED" or "PRECEDING" or "FOLLOWING" or "CURRENT" or "EXCLUDE" or "OTHERS" => inWindow,
            _ => false,
        };
    }

    /// <summary>Words after a from-item that are no alias of it.</summary>
    private static readonly HashSet<string> NotFromItemAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        "WHERE", "JOIN", "ON", "USING", "CROSS", "INNER", "LEFT", "RIGHT", "FULL", "NATURAL", "GROUP", "ORDER", "LIMIT",
        "HAVING", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "OFFSET", "FETCH", "FOR", "TABLESAMPLE", "RETURNING", "SET",
    };

    private static bool IsSubqueryAt(Statement statement, int i) =>
        statement.IsKeyword(i, "SELECT") || statement.IsKeyword(i, "VALUES") || statement.IsKeyword(i, "WITH") || statement.IsKeyword(i, "TABLE");

    /// <summary>
    /// A column qualified by one of <paramref name="names"/> at <paramref name="i"/>: <c>o.id</c>,
    /// or with its schema and database, <c>public.orders.id</c>. The index of its last token, or -1.
    /// </summary>
    private static int QualifiedColumnEnd(Statement statement, int i, int to, HashSet<string>? names)
    {
        if (names is null)
        {
            return -1;
        }

        // The identifiers joined by dots from i: the one before the last is the relation.
        var last = DottedNameEnd(statement, i, to);
        return last > i && names.Contains(SqlLiteral.Identifier(statement.Source, statement.Tokens[last - 2])) ? last : -1;
    }

    /// <summary>
    /// The subquery between <paramref name="from"/> and <paramref name="to"/> refers to no column
    /// outside itself: every name in it is one of its own from-items, a column qualified by one
    /// of them (or by one of <paramref name="others"/>), a function, a type or a keyword; a
    /// subquery nested in it is judged so too, with its own from-items (which hide the outer ones).
    /// </summary>
    private static bool IsUncorrelated(Statement statement, int from, int to, HashSet<string>? others, int depth = 0)
    {
        var items = new HashSet<int>();
        var inner = FromItemNames(statement, from, to, items);
        if (others is not null)
        {
            inner.UnionWith(others);
        }

        // Whether each open parenthesis holds a window's definition: OVER (…), WINDOW w AS (…).
        var windows = new Stack<bool>();
        for (var i = from; i < to; i++)
        {
            var token = statement.Tokens[i];
            if (token.Kind == SqlTokenKind.CloseParen && windows.Count > 0)
            {
                windows.Pop();
                continue;
            }

            if (token.Kind == SqlTokenKind.OpenParen)
            {
                // The matching parenthesis only where it is needed: a scan per '(' would make nesting quadratic.
                if (IsSubqueryAt(statement, i + 1))
                {
                    var close = statement.MatchingParen(i, to);
                    if (depth >= MaxDepth || !IsUncorrelated(statement, i + 1, close, inner, depth + 1))
                    {
                        return false;
                    }

                    i = close;
                }
                else if (i > from && statement.IsKeyword(i - 1, "USING"))
                {
                    // JOIN … USING (id): the joined relations' own columns.
                    i = statement.MatchingParen(i, to);
                }
                else
                {
                    windows.Push(i > from && (statement.IsKeyword(i - 1, "OVER") || (statement.IsKeyword(i - 1, "AS") && IsWindowName(statement, i - 2))));
                }

                continue;
            }

            if (token.Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier) || items.Contains(i))
            {
                continue;
            }

            if (QualifiedColumnEnd(statement, i, to, inner) is var end and >= 0)
            {
                i = end;
                continue;
            }

            if ((statement.IsKeyword(i, "SEARCH") || statement.IsKeyword(i, "CYCLE")) && i > from && statement.Tokens[i - 1].Kind == SqlTokenKind.CloseParen)
            {
                // WITH RECURSIVE r AS (…) SEARCH DEPTH FIRST BY n SET ord / CYCLE n SET c USING p: the
                // WITH query's own columns and the ones the clause adds, up to the next query or WITH query.
                while (i + 1 < to && statement.Tokens[i + 1].Kind != SqlTokenKind.Comma
                    && !(statement.IsKeyword(i + 1, "SELECT") || statement.IsKeyword(i + 1, "TABLE") || statement.IsKeyword(i + 1, "VALUES")))
                {
                    i++;
                }

                continue;
            }

            if (i > from && statement.IsKeyword(i - 1, "COLLATE"))
            {
                // A collation's name, maybe with its schema: pg_catalog."C".
                i = DottedNameEnd(statement, i, to);
                continue;
            }

            var known = inner.Contains(SqlLiteral.Identifier(statement.Source, token)) || IsWindowName(statement, i)
                || (token.Kind == SqlTokenKind.Word && (ConstantWordsLookup.Contains(statement.Word(i)) || SubqueryWords.Contains(statement.Word(i).ToString())
                    || IsClauseWord(statement, i, from, windows.Count > 0 && windows.Peek())
                    || IsCastType(statement, i, from) || IsFunctionName(statement, i, to) || IsLiteralType(statement, i, to)));
            if (!known)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The last token of the name joined by dots that starts at <paramref name="i"/>.</summary>
    private static int DottedNameEnd(Statement statement, int i, int to)
    {
        while (i + 2 < to && statement.Word(i + 1) is "." && statement.Tokens[i + 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            i += 2;
        }

        return i;
    }

    /// <summary>A window's name: <c>WINDOW w AS (…)</c>, <c>OVER w</c>.</summary>
    private static bool IsWindowName(Statement statement, int i) =>
        i > 0 && statement.Tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
        && (statement.IsKeyword(i - 1, "WINDOW") || statement.IsKeyword(i - 1, "OVER"));

    /// <summary>
    /// The names by which the from-items after each FROM and JOIN between <paramref name="from"/>
    /// and <paramref name="to"/> are referred to: the alias where there is one (it hides the
    /// relation's own name), else the relation's name.
    /// </summary>
    /// <param name="items">Where the from-items' names and aliases stand.</param>
    private static HashSet<string> FromItemNames(Statement statement, int from, int to, HashSet<int>? items = null)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var nesting = 0;
        for (var i = from; i < to; i++)
        {
            var kind = statement.Tokens[i].Kind;
            if (kind == SqlTokenKind.OpenParen && IsSubqueryAt(statement, i + 1))
            {
                // A nested subquery's from-items are its own.
                i = statement.MatchingParen(i, to);
                continue;
            }

            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;

            // A from-list starts at this level's FROM (not IS DISTINCT FROM, not substring(… FROM …)),
            // at a JOIN (also of a parenthesized join), and after TABLE.
            if ((nesting == 0 && (statement.IsKeyword(i, "TABLE") || (statement.IsKeyword(i, "FROM") && !(i > from && statement.IsKeyword(i - 1, "DISTINCT")))))
                || statement.IsKeyword(i, "JOIN"))
            {
                AddFromItems(statement, i + 1, to, names, items);
            }
            else if (nesting == 0 && kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && IsWithQueryName(statement, i, to, out var columnsEnd))
            {
                // WITH t(a) AS (…) TABLE t: the subquery's own WITH queries, and the columns they name.
                for (var part = i; part < columnsEnd; part++)
                {
                    items?.Add(part);
                }

                names.Add(SqlLiteral.Identifier(statement.Source, statement.Tokens[i]));
                i = columnsEnd - 1;
            }
            else if (statement.IsKeyword(i, "USING") && i + 1 < to && statement.Tokens[i + 1].Kind == SqlTokenKind.OpenParen)
            {
                // JOIN … USING (id) AS j: j names the join.
                var close = statement.MatchingParen(i + 1, to);
                if (statement.IsKeyword(close + 1, "AS") && close + 2 < to && statement.Tokens[close + 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
                {
                    items?.Add(close + 2);
                    names.Add(SqlLiteral.Identifier(statement.Source, statement.Tokens[close + 2]));
                }
            }
        }

        return names;
    }

    /// <summary><c>name [(a, b)] AS [[NOT] MATERIALIZED] (</c>: a WITH query's name.</summary>
    /// <param name="columnsEnd">Where its name and column list end (at AS).</param>
    private static bool IsWithQueryName(Statement statement, int i, int to, out int columnsEnd)
    {
        columnsEnd = i + 1;
        if (!(i > 0 && (statement.IsKeyword(i - 1, "WITH") || statement.IsKeyword(i - 1, "RECURSIVE") || statement.Tokens[i - 1].Kind == SqlTokenKind.Comma)))
        {
            return false;
        }

        if (columnsEnd < to && statement.Tokens[columnsEnd].Kind == SqlTokenKind.OpenParen)
        {
            columnsEnd = statement.MatchingParen(columnsEnd, to) + 1;
        }

        var next = columnsEnd;
        if (!statement.IsKeyword(next, "AS"))
        {
            return false;
        }

        next++;
        next += statement.IsKeyword(next, "NOT") ? 1 : 0;
        next += statement.IsKeyword(next, "MATERIALIZED") ? 1 : 0;
        return next < to && statement.Tokens[next].Kind == SqlTokenKind.OpenParen;
    }

    /// <summary>
    /// The from-items of a DELETE's USING or an UPDATE's FROM list starting at <paramref name="i"/>,
    /// up to its WHERE: the list itself and what it JOINs, read as a subquery's are.
    /// </summary>
    private static HashSet<string> JoinedRelations(Statement statement, int i)
    {
        var end = i;
        for (var nesting = 0; end < statement.To && !(nesting == 0 && (statement.IsKeyword(end, "WHERE") || statement.IsKeyword(end, "RETURNING"))); end++)
        {
            var kind = statement.Tokens[end].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
        }

        var names = FromItemNames(statement, i, end);
        AddFromItems(statement, i, end, names);
        return names;
    }

    /// <summary>Reads <c>item [[AS] alias] [, item …]</c> from <paramref name="i"/> and adds how each is referred to.</summary>
    /// <returns>Where the list ends.</returns>
    private static int AddFromItems(Statement statement, int i, int to, HashSet<string> names, HashSet<int>? items = null)
    {
        while (i < to)
        {
            while (statement.IsKeyword(i, "ONLY") || statement.IsKeyword(i, "LATERAL"))
            {
                i++;
            }

            string? name = null;
            if (i < to && statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
            {
                var close = statement.MatchingParen(i, to);
                if (!IsSubqueryAt(statement, i + 1))
                {
                    // (a CROSS JOIN b): the join's first item; its JOINs are read where they stand.
                    AddFromItems(statement, i + 1, close, names, items);
                }

                i = close + 1;
            }
            else if (i < to && statement.Tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
            {
                // schema.relation: the relation's name is the last part.
                var last = DottedNameEnd(statement, i, to);
                for (; i < last; i += 2)
                {
                    items?.Add(i);
                }

                items?.Add(i);
                name = SqlLiteral.Identifier(statement.Source, statement.Tokens[i]);
                i++;
                if (i < to && statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
                {
                    // A function's arguments.
                    i = statement.MatchingParen(i, to) + 1;
                }
            }
            else
            {
                return i;
            }

            if (statement.IsKeyword(i, "AS"))
            {
                i++;
            }

            if (i < to && statement.Tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && !(statement.Tokens[i].IsWord && NotFromItemAliases.Contains(statement.Word(i).ToString())))
            {
                items?.Add(i);
                name = SqlLiteral.Identifier(statement.Source, statement.Tokens[i]);
                i++;
                if (i < to && statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
                {
                    // The alias's column list: names it defines.
                    var close = statement.MatchingParen(i, to);
                    for (; i < close; i++)
                    {
                        items?.Add(i);
                    }

                    i = close + 1;
                }
            }

            if (name is not null)
            {
                names.Add(name);
            }

            if (i < to && statement.Tokens[i].Kind == SqlTokenKind.Comma)
            {
                i++;
                continue;
            }

            return i;
        }

        return i;
    }
}
