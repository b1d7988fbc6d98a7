namespace Appliance.Policy.Sql;

/// <summary>
/// Whether a statement's WHERE can limit the rows it touches. <c>missing: WHERE</c> rules exist
/// to catch writes to every row, and <c>WHERE true</c>, <c>WHERE 1 = 1</c> or
/// <c>WHERE id = 5 OR 'a' = 'a'</c> write every row as surely as no WHERE at all. A condition (or
/// a branch of its top-level OR) made of constants only (literals, parameters, operators, words
/// such as TRUE, NOT, IS, NULL, type names in casts, and functions called on constants such as
/// <c>now()</c>) counts as missing, and so does a column compared with itself
/// (<c>id = id</c>, true on every row where it is set). Anything else naming a column counts as
/// limiting: <c>id > 0</c> may well be every row, but only the table knows.
/// </summary>
internal static partial class SqlClassifier
{
    /// <summary>Words that keep a condition constant.</summary>
    private static readonly HashSet<string> ConstantConditionWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "TRUE", "FALSE", "NULL", "UNKNOWN", "NOT", "AND", "OR", "IS", "ISNULL", "NOTNULL", "IN", "BETWEEN",
        "SYMMETRIC", "LIKE", "ILIKE", "SIMILAR", "TO", "ESCAPE", "DISTINCT", "FROM", "CAST", "AS", "ANY", "ALL",
        "SOME", "ARRAY", "CASE", "WHEN", "THEN", "ELSE", "END", "PRECISION", "VARYING",

        // A subquery of constants is one: (SELECT true), EXISTS (SELECT 1), (VALUES (true)).
        "SELECT", "VALUES", "WHERE", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "ROW",

        // SQL's value keywords, functions called without parentheses (reserved: never a column).
        "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP", "CURRENT_USER", "CURRENT_ROLE",
        "SESSION_USER", "USER", "CURRENT_CATALOG", "SYSTEM_USER",
    };

    /// <summary>Words that end a WHERE clause at its own level.</summary>
    private static readonly HashSet<string> AfterWhere = new(StringComparer.OrdinalIgnoreCase)
    {
        "RETURNING", "ORDER", "LIMIT", "OFFSET", "FETCH", "GROUP", "HAVING", "WINDOW", "FOR", "UNION",
        "INTERSECT", "EXCEPT", "DO",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> ConstantWordsLookup =
        ConstantConditionWords.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> AfterWhereLookup =
        AfterWhere.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The WHERE condition starting at <paramref name="from"/> (at this level) can limit rows.</summary>
    /// <param name="others">
    /// The names and aliases of the other relations a DELETE's USING or an UPDATE's FROM joins in:
    /// a condition on their columns alone (<c>DELETE FROM customers USING orders o WHERE o.id = 1</c>)
    /// does not limit the target's rows.
    /// </param>
    /// <param name="targets">The target's name and alias (<see cref="TargetNames"/>); null when not known.</param>
    private static bool WhereLimitsRows(Statement statement, int from, HashSet<string>? others = null, HashSet<string>? targets = null)
    {
        var end = from;
        for (var nesting = 0; end < statement.To; end++)
        {
            var token = statement.Tokens[end];
            if (token.Kind == SqlTokenKind.OpenParen)
            {
                nesting++;
            }
            else if (token.Kind == SqlTokenKind.CloseParen)
            {
                nesting--;
            }
            else if (nesting == 0 && token.IsWord && AfterWhereLookup.Contains(statement.Word(end)))
            {
                break;
            }
        }

        return ConditionLimitsRows(statement, from, end, depth: 0, others, targets);
    }

    /// <summary>
    /// Whether the condition can limit rows: an OR does only if each branch does, an AND if any
    /// part does, and a part of constants only does not, unless it is plainly false
    /// (<c>false</c>, <c>NULL</c>, <c>'a' = 'b'</c>: a write that touches nothing needs no review).
    /// Under a NOT the roles swap (<c>NOT (id = 5 AND false)</c> is every row), and only a
    /// plain <c>true</c> or a condition naming a column limits.
    /// </summary>
    private static bool ConditionLimitsRows(
        Statement statement, int from, int to, int depth, HashSet<string>? others, HashSet<string>? targets, bool negated = false)
    {
        // A parenthesized condition is read inside its parentheses: (id = 5 OR true); a subquery, (SELECT …), as a whole.
        while (to - from >= 2 && statement.Tokens[from].Kind == SqlTokenKind.OpenParen && !IsSubqueryAt(statement, from + 1)
            && statement.MatchingParen(from, to) == to - 1 && depth++ < MaxDepth)
        {
            from++;
            to--;
        }

        if (depth >= MaxDepth)
        {
            return !IsConstant(statement, from, to, others, targets);
        }

        if (Split(statement, from, to, "OR") is { Count: > 1 } branches)
        {
            return negated
                ? branches.Any(b => ConditionLimitsRows(statement, b.From, b.To, depth + 1, others, targets, negated))
                : branches.All(b => ConditionLimitsRows(statement, b.From, b.To, depth + 1, others, targets, negated));
        }

        if (Split(statement, from, to, "AND") is { Count: > 1 } parts)
        {
            return negated
                ? parts.All(p => ConditionLimitsRows(statement, p.From, p.To, depth + 1, others, targets, negated))
                : parts.Any(p => ConditionLimitsRows(statement, p.From, p.To, depth + 1, others, targets, negated));
        }

        if (to - from >= 2 && statement.IsKeyword(from, "NOT"))
        {
            return ConditionLimitsRows(statement, from + 1, to, depth + 1, others, targets, !negated);
        }

        // (c) IS TRUE, c = true, CASE WHEN c THEN true END: c itself; (c) IS FALSE: NOT c (probe AC1).
        if (TruthTestOf(statement, from, to) is { } test)
        {
            return ConditionLimitsRows(statement, test.From, test.To, depth + 1, others, targets, negated ^ test.Negates);
        }

        if (negated)
        {
            // NOT (id <> id), NOT (id IS DISTINCT FROM id): every row where it is set.
            return (!IsConstant(statement, from, to, others, targets) && !ComparedWithItself(statement, from, to, targets, equality: false))
                || (to - from == 1 && statement.IsKeyword(from, "TRUE"));
        }

        return (!IsConstant(statement, from, to, others, targets) && !ComparedWithItself(statement, from, to, targets, equality: true)) || IsPlainlyFalse(statement, from, to);
    }

    /// <summary>The parts of the condition between <paramref name="keyword"/>s at its own level.</summary>
    private static List<(int From, int To)> Split(Statement statement, int from, int to, string keyword)
    {
        var parts = new List<(int, int)>();
        var start = from;
        var nesting = 0;
        var between = false;
        for (var i = from; i < to; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting != 0)
            {
                continue;
            }

            if (statement.IsKeyword(i, "CASE"))
            {
                // A CASE's WHEN … AND … is inside it (probe AG3).
                i = CaseEnd(statement, i, to);
            }
            else if (statement.IsKeyword(i, "BETWEEN"))
            {
                between = true;
            }
            else if (between && statement.IsKeyword(i, "AND"))
            {
                // x BETWEEN a AND b: one condition.
                between = false;
            }
            else if (statement.IsKeyword(i, keyword))
            {
                parts.Add((start, i));
                start = i + 1;
            }
        }

        parts.Add((start, to));
        return parts;
    }

    /// <summary>
    /// <c>false</c>, <c>NULL</c>, or two different plain strings compared with
    /// <c>=</c>. Not numbers: verdicts are shared by texts that differ only in their integers
    /// (GuardrailEngine), so <c>1 = 0</c> must be judged as <c>1 = 1</c> is.
    /// </summary>
    private static bool IsPlainlyFalse(Statement statement, int from, int to) => (to - from) switch
    {
        1 => statement.IsKeyword(from, "FALSE") || statement.IsKeyword(from, "NULL"),
        3 => statement.Word(from + 1) is "=" && statement.Tokens[from].Kind == SqlTokenKind.String
            && statement.Tokens[from + 2].Kind == SqlTokenKind.String && !statement.Word(from).SequenceEqual(statement.Word(from + 2)),
        _ => false,
    };

    /// <param name="others">Relations whose qualified columns (<c>o.id</c>) count as constants here: they are not the target's.</param>
    /// <param name="targets">
    /// The target's name and alias, when known: outside a subquery's own from-items a DELETE or
    /// UPDATE names no columns but the target's and its joined relations', so any other qualified
    /// name is a variable, a parameter or a rule's NEW, one value for every row (probe AZ2: in a
    /// loop, <c>DELETE FROM t WHERE r.id &gt; 0</c> emptied t unreviewed).
    /// </param>
    private static bool IsConstant(Statement statement, int from, int to, HashSet<string>? others, HashSet<string>? targets = null)
    {
        for (var i = from; i < to; i++)
        {
            var token = statement.Tokens[i];
            switch (token.Kind)
            {
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when targets is not null && DottedNameEnd(statement, i, to) is var last && last > i
                    && !targets.Contains(SqlLiteral.Identifier(statement.Source, statement.Tokens[last - 2])):
                    i = last;
                    continue;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when others is not null && targets is not null
                    && others.Contains(SqlLiteral.Identifier(statement.Source, token)) && !targets.Contains(SqlLiteral.Identifier(statement.Source, token)):
                    // A joined relation's or NEW's whole row (new IS NOT NULL, new.*, (new).id: probe AZ1).
                    continue;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when i > from && statement.Word(i - 1) is "." && statement.Tokens[i - 2].Kind == SqlTokenKind.CloseParen:
                    // A field of a row in parentheses, (new).id: the row decides, before it.
                    continue;
                case SqlTokenKind.OpenParen when IsSubqueryAt(statement, i + 1) && statement.MatchingParen(i, to) is var close && close < to
                    && IsUncorrelated(statement, i + 1, close, others):
                    i = close;
                    continue;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when i + 3 < to && statement.Word(i + 1) is "."
                    && statement.Tokens[i + 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && statement.Tokens[i + 3].Kind == SqlTokenKind.OpenParen:
                    // pg_catalog.now(): a function as now() is (probe AG2); its arguments are judged as the rest is.
                    i += 2;
                    continue;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when QualifiedColumnEnd(statement, i, to, others) is var end and >= 0:
                    i = end;
                    continue;
                case SqlTokenKind.Word when statement.IsKeyword(i, "COLLATE") && i + 1 < to:
                    // 'a' COLLATE "C", COLLATE pg_catalog."C": a collation's name is no column.
                    i = DottedNameEnd(statement, i + 1, to);
                    continue;
                case SqlTokenKind.Word when ConstantWordsLookup.Contains(statement.Word(i)) || IsCastType(statement, i, from)
                    || IsFunctionName(statement, i, to) || IsLiteralType(statement, i, to) || IsSyntaxWord(statement, i, from, to):
                case SqlTokenKind.Number or SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.DollarString:
                case SqlTokenKind.Parameter or SqlTokenKind.Other or SqlTokenKind.OpenParen or SqlTokenKind.CloseParen:
                case SqlTokenKind.Comma:
                    continue;
                default:
                    return false;
            }
        }

        return true;
    }

    /// <summary>
/// A word called as a function, <c>now()</c>: its arguments are judged as the rest of the
/// condition is (a subquery's SELECT is called so too, and its FROM and table keep it limiting).
/// </summary>
    private static bool IsFunctionName(Statement statement, int i, int to) =>
        i + 1 < to && statement.Tokens[i + 1].Kind == SqlTokenKind.OpenParen;

    /// <summary>The type of a typed literal, <c>date '2020-01-01'</c>, <c>interval '1 day'</c>: a word right before a string.</summary>
    private static bool IsLiteralType(Statement statement, int i, int to) =>
        i + 1 < to && statement.Tokens[i + 1].Kind is SqlTokenKind.String or SqlTokenKind.EscapeString;

    /// <summary>A type name in a cast: after <c>::</c>, or after AS (in <c>CAST(… AS type)</c>).</summary>
    private static bool IsCastType(Statement statement, int i, int from) =>
        (i - 2 >= from && statement.Word(i - 1) is ":" && statement.Word(i - 2) is ":")
        || (i - 1 >= from && statement.IsKeyword(i - 1, "AS"));
}
