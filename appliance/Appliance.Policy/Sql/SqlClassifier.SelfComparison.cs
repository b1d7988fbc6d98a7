namespace Appliance.Policy.Sql;

/// <summary>
/// Conditions that hold for every row whatever the table holds, for <c>missing: WHERE</c>: an
/// expression compared with itself, and a truth test of such a condition. Reading two sides as
/// the same when PostgreSQL would not (dropping its parentheses, casts and collations) only makes
/// more writes count as unbounded: more are held, none let through.
/// </summary>
internal static partial class SqlClassifier
{
    /// <summary>
    /// The same expression on both sides of a comparison: with <paramref name="equality"/>, one that
    /// holds for equal values (<c>a = a</c>, <c>t.a &gt;= t.a</c>, <c>a IS NOT DISTINCT FROM a</c>),
    /// otherwise one that fails for them (<c>a &lt;&gt; a</c>, <c>a != a</c>, <c>a IS DISTINCT FROM a</c>,
    /// <c>a &lt; a</c>: probe AC2, <c>NOT (id &lt; id)</c> is every row).
    /// </summary>
    private static bool ComparedWithItself(Statement statement, int from, int to, HashSet<string>? targets, bool equality)
    {
        for (var op = from; op < to - 1; op++)
        {
            if (statement.Tokens[op].Kind == SqlTokenKind.OpenParen && !(op > from && statement.IsKeyword(op - 1, "OPERATOR"))
                && statement.MatchingParen(op, to) is var close && close < to - 1)
            {
                // The comparison at this level, not one inside a side (probe AV2: (id = id) = (id = id)
                // was split at its first '='); OPERATOR(pg_catalog.=) holds this level's.
                op = close;
                continue;
            }

            if (op == from)
            {
                continue;
            }

            var length = equality ? EqualityLength(statement, op, to) : InequalityLength(statement, op, to);
            if (length > 0)
            {
                // id OPERATOR(pg_catalog.=) id (probe AD1): the sides are outside the call.
                var (leftTo, rightFrom) = (op, op + length);
                if (rightFrom < to && statement.Tokens[rightFrom].Kind == SqlTokenKind.CloseParen)
                {
                    var open = statement.Word(op - 1) is "." ? op - 3 : op - 1;
                    if (open - 1 >= from && statement.Tokens[open].Kind == SqlTokenKind.OpenParen && statement.IsKeyword(open - 1, "OPERATOR"))
                    {
                        (leftTo, rightFrom) = (open - 1, rightFrom + 1);
                    }
                }

                return SameExpression(statement, from, leftTo, rightFrom, to, targets);
            }
        }

        return false;
    }

    private static int EqualityLength(Statement statement, int op, int to) => statement.Word(op) switch
    {
        "=" => 1,
        "<" or ">" when op + 1 < to && statement.Word(op + 1) is "=" => 2,
        _ when statement.IsKeyword(op, "IS") && op + 4 < to && statement.IsKeyword(op + 1, "NOT")
            && statement.IsKeyword(op + 2, "DISTINCT") && statement.IsKeyword(op + 3, "FROM") => 4,
        _ => 0,
    };

    private static int InequalityLength(Statement statement, int op, int to) => statement.Word(op) switch
    {
        "<" when statement.Word(op + 1) is ">" => 2,
        "!" when statement.Word(op + 1) is "=" => 2,
        "<" or ">" when IsLoneOperator(statement, op, to) => 1,
        _ when statement.IsKeyword(op, "IS") && op + 3 < to && statement.IsKeyword(op + 1, "DISTINCT")
            && statement.IsKeyword(op + 2, "FROM") => 3,
        _ => 0,
    };

    /// <summary>A one-character operator, not part of <c>-&gt;</c>, <c>&lt;@</c>, <c>&gt;&gt;</c> or <c>&lt;=</c>.</summary>
    private static bool IsLoneOperator(Statement statement, int op, int to) =>
        (statement.Tokens[op - 1].Kind != SqlTokenKind.Other || statement.Word(op - 1) is ".") // OPERATOR(pg_catalog.<) (probe AG3)
        && (op + 1 >= to || statement.Tokens[op + 1].Kind != SqlTokenKind.Other);

    /// <summary>
    /// Whether two sides are the same expression, read as <see cref="Comparable"/> writes them: the
    /// same tokens, or one column with and without its qualifier (<c>customers.id = id</c>;
    /// <c>a.id = b.id</c> is two columns; so is <c>id = r.id</c> when <paramref name="targets"/> are
    /// known and <c>r</c> is none of them). Numbers are compared as written (verdicts of UPDATE and
    /// DELETE are never shared by texts that differ only in their integers: GuardrailEngine.Shapes.cs).
    /// </summary>
    private static bool SameExpression(Statement statement, int leftFrom, int leftTo, int rightFrom, int rightTo, HashSet<string>? targets)
    {
        var left = Comparable(statement, leftFrom, leftTo, targets);
        var right = Comparable(statement, rightFrom, rightTo, targets);
        if (left.Count == 0 || right.Count == 0)
        {
            return false;
        }

        if (left.Count == right.Count)
        {
            return left.SequenceEqual(right, StringComparer.Ordinal);
        }

        // Only a qualified and an unqualified reference to one column differ in length.
        var (longer, shorter) = left.Count > right.Count ? (left, right) : (right, left);
        return IsColumnReference(longer) && IsColumnReference(shorter)
            && longer.Skip(longer.Count - shorter.Count).SequenceEqual(shorter, StringComparer.Ordinal)
            // An unqualified column is the target's only where the other side's table is the target
            // (probe AP1: public.t1.id = t1.id is one column, and was read as two by its schema).
            && (targets is null || shorter.Count > 1 || targets.Contains(longer[^3]));
    }

    /// <summary>
    /// One side's tokens as compared: identifiers folded as PostgreSQL folds them (<c>"id"</c> is
    /// <c>id</c>), and parentheses, a <c>pg_catalog.</c> qualifier, casts (<c>::int</c>), COLLATE
    /// clauses and a leading unary plus left out (probe AC2: <c>id = (id)</c>, <c>lower(v) =
    /// pg_catalog.lower(v)</c>, <c>id = id::int</c>, <c>v = v COLLATE "C"</c>, <c>+id = id</c>).
    /// </summary>
    /// <param name="targets">
    /// The target's name and alias, when known: a column they qualify is written without them
    /// (probe AS2: <c>coalesce(t1.id, 0) = coalesce(id, 0)</c>, <c>-t1.id = -id</c> read as two columns).
    /// </param>
    private static List<string> Comparable(Statement statement, int from, int to, HashSet<string>? targets)
    {
        var tokens = new List<string>(to - from);
        AddComparable(statement, from, to, tokens, targets);
        return tokens;
    }

    /// <summary>Type names PostgreSQL also has as functions that cast (<c>int4(id)</c>): left out with the parentheses.</summary>
    private static readonly HashSet<string> CastFunctions = new(StringComparer.Ordinal)
    {
        "int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar", "bpchar", "bool", "name", "date",
        "timestamp", "timestamptz", "time", "timetz", "interval", "char", "oid",
    };

    private static void AddComparable(Statement statement, int from, int to, List<string> tokens, HashSet<string>? targets)
    {
        for (var i = from; i < to; i++)
        {
            var token = statement.Tokens[i];
            if (targets is not null && token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && DottedNameEnd(statement, i, to) is var last && last > i
                && targets.Contains(SqlLiteral.Identifier(statement.Source, statement.Tokens[last - 2])))
            {
                // [catalog.][schema.]target.column: the column.
                tokens.Add(SqlLiteral.Identifier(statement.Source, statement.Tokens[last]));
                i = last;
                continue;
            }

            if (targets is not null && token.Kind == SqlTokenKind.OpenParen && i + 4 < to
                && statement.Tokens[i + 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && statement.Tokens[i + 2].Kind == SqlTokenKind.CloseParen && statement.Word(i + 3) is "."
                && statement.Tokens[i + 4].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && targets.Contains(SqlLiteral.Identifier(statement.Source, statement.Tokens[i + 1])))
            {
                // (target).column, a field of the target's row: the column (probe AV1).
                tokens.Add(SqlLiteral.Identifier(statement.Source, statement.Tokens[i + 4]));
                i += 4;
                continue;
            }

            if (statement.IsKeyword(i, "CAST") && i + 1 < to && statement.Tokens[i + 1].Kind == SqlTokenKind.OpenParen
                && statement.MatchingParen(i + 1, to) is var close && close < to && TopLevelKeyword(statement, i + 2, close, "AS") is var asAt and >= 0)
            {
                // CAST(x AS t) is x (probe AD1).
                AddComparable(statement, i + 2, asAt, tokens, targets);
                i = close;
                continue;
            }

            if (token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && i + 1 < to && statement.Tokens[i + 1].Kind == SqlTokenKind.OpenParen
                && CastFunctions.Contains(SqlLiteral.Identifier(statement.Source, token)))
            {
                continue;
            }

            if (token.Kind is SqlTokenKind.OpenParen or SqlTokenKind.CloseParen || (tokens.Count == 0 && statement.Word(i) is "+"))
            {
                continue;
            }

            if (token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && i + 1 < to && statement.Word(i + 1) is "."
                && SqlLiteral.Identifier(statement.Source, token) == "pg_catalog")
            {
                i++;
                continue;
            }

            if (statement.Word(i) is ":" && i + 1 < to && statement.Word(i + 1) is ":")
            {
                i = CastTypeEnd(statement, i + 2, to) - 1;
                continue;
            }

            if (statement.IsKeyword(i, "COLLATE") && i + 1 < to)
            {
                i = DottedNameEnd(statement, i + 1, to);
                continue;
            }

            tokens.Add(token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                ? SqlLiteral.Identifier(statement.Source, token)
                : statement.Word(i).ToString());
        }
    }

    /// <summary>The index of <paramref name="keyword"/> outside parentheses in [from, to); -1 if none.</summary>
    private static int TopLevelKeyword(Statement statement, int from, int to, string keyword)
    {
        for (var i = from; i < to; i++)
        {
            if (statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
            {
                i = statement.MatchingParen(i, to);
            }
            else if (statement.IsKeyword(i, keyword))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Past a cast's type: its words (<c>double precision</c>), dots, modifiers in parentheses and array brackets.</summary>
    private static int CastTypeEnd(Statement statement, int i, int to)
    {
        while (i < to)
        {
            var kind = statement.Tokens[i].Kind;
            if (kind == SqlTokenKind.OpenParen)
            {
                i = statement.MatchingParen(i, to) + 1;
            }
            else if (kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier || statement.Word(i) is "." or "[" or "]")
            {
                i++;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    /// <summary><c>c</c>, <c>t.c</c>, <c>s.t.c</c>: identifiers joined by dots.</summary>
    private static bool IsColumnReference(List<string> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (i % 2 == 1 ? tokens[i] != "." : tokens[i] == "." || !IsIdentifierText(tokens[i]))
            {
                return false;
            }
        }

        return tokens.Count % 2 == 1;
    }

    private static bool IsIdentifierText(string text) => text.Length > 0 && (char.IsLetter(text[0]) || text[0] == '_');

    /// <summary>
    /// A condition tested for truth, however the truth value is written (<c>true</c>, <c>(true)</c>,
    /// <c>'t'</c>, <c>'true'::bool</c>, <c>NOT false</c>): <c>(c) IS TRUE</c>, <c>IS NOT FALSE</c>,
    /// <c>c = true</c>, <c>true = c</c>, <c>c &lt;&gt; false</c>, <c>c IS NOT DISTINCT FROM true</c>,
    /// <c>(c)::bool</c>, <c>CAST(c AS boolean)</c> and <c>CASE WHEN c THEN true ELSE false END</c> are
    /// <c>c</c>; their opposites are <c>NOT c</c> (probes AC1, AD2, AD3: <c>WHERE (id = 5 OR true) =
    /// (true)</c> updated every row). A CASE whose every branch is true is <c>true</c> (From == To).
    /// Null when it is none.
    /// </summary>
    private static (int From, int To, bool Negates)? TruthTestOf(Statement statement, int from, int to)
    {
        if (to - from >= 3 && statement.IsKeyword(to - 2, "IS") && TruthValue(statement, to - 1, to) is { } isValue)
        {
            return (from, to - 2, !isValue);
        }

        if (to - from >= 4 && statement.IsKeyword(to - 3, "IS") && statement.IsKeyword(to - 2, "NOT") && TruthValue(statement, to - 1, to) is { } isNotValue)
        {
            return (from, to - 3, isNotValue);
        }

        if (to - from >= 4 && statement.Word(to - 3) is ":" && statement.Word(to - 2) is ":" && IsBooleanType(statement, to - 1))
        {
            return (from, to - 3, false);
        }

        if (IsBooleanType(statement, from) && from + 1 < to && statement.Tokens[from + 1].Kind == SqlTokenKind.OpenParen
            && statement.MatchingParen(from + 1, to) == to - 1)
        {
            // bool(c) (probe AG3).
            return (from + 2, to - 1, false);
        }

        if (statement.IsKeyword(from, "CAST") && from + 1 < to && statement.Tokens[from + 1].Kind == SqlTokenKind.OpenParen
            && statement.MatchingParen(from + 1, to) == to - 1 && TopLevelKeyword(statement, from + 2, to - 1, "AS") is var asAt and >= 0
            && asAt + 2 == to - 1 && IsBooleanType(statement, asAt + 1))
        {
            return (from + 2, asAt, false);
        }

        if (statement.IsKeyword(from, "CASE") && CaseEnd(statement, from, to) == to - 1)
        {
            return CaseTruthTest(statement, from, to);
        }

        for (var op = from; op < to - 1; op++)
        {
            if (statement.Tokens[op].Kind == SqlTokenKind.OpenParen)
            {
                op = statement.MatchingParen(op, to);
                continue;
            }

            if (statement.IsKeyword(op, "CASE"))
            {
                op = CaseEnd(statement, op, to);
                continue;
            }

            if (op == from)
            {
                continue;
            }

            var (length, isEquality) = ComparisonAt(statement, op, to);
            if (length == 0)
            {
                continue;
            }

            if (TruthValue(statement, op + length, to) is { } right)
            {
                return (from, op, isEquality != right);
            }

            return TruthValue(statement, from, op) is { } left ? (op + length, to, isEquality != left) : null;
        }

        return null;
    }

    /// <summary>The END of the CASE at <paramref name="i"/> (nested ones counted); the last index when it has none.</summary>
    private static int CaseEnd(Statement statement, int i, int to)
    {
        for (var depth = 0; i < to; i++)
        {
            if (statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
            {
                i = statement.MatchingParen(i, to);
            }
            else if (statement.IsKeyword(i, "CASE"))
            {
                depth++;
            }
            else if (statement.IsKeyword(i, "END") && --depth == 0)
            {
                return i;
            }
        }

        return to - 1;
    }

    /// <summary><c>=</c>, <c>&lt;&gt;</c>, <c>!=</c>, <c>IS [NOT] DISTINCT FROM</c> at <paramref name="op"/>: its length and whether it is an equality.</summary>
    private static (int Length, bool IsEquality) ComparisonAt(Statement statement, int op, int to) => statement.Word(op) switch
    {
        "=" when statement.Tokens[op - 1].Kind != SqlTokenKind.Other && statement.Tokens[op + 1].Kind != SqlTokenKind.Other => (1, true),
        "<" when statement.Word(op + 1) is ">" => (2, false),
        "!" when statement.Word(op + 1) is "=" => (2, false),
        _ when statement.IsKeyword(op, "IS") && op + 3 < to && statement.IsKeyword(op + 1, "DISTINCT") && statement.IsKeyword(op + 2, "FROM") => (3, false),
        _ when statement.IsKeyword(op, "IS") && op + 4 < to && statement.IsKeyword(op + 1, "NOT") && statement.IsKeyword(op + 2, "DISTINCT")
            && statement.IsKeyword(op + 3, "FROM") => (4, true),
        _ => (0, false),
    };

    private static bool IsBooleanType(Statement statement, int i) => statement.IsKeyword(i, "BOOL") || statement.IsKeyword(i, "BOOLEAN");

    /// <summary>
    /// The truth value [from, to) stands for, however written: <c>true</c>, <c>(false)</c>, <c>'t'</c>,
    /// <c>'yes'</c>, <c>'on'::bool</c>, <c>bool 'f'</c>, <c>CAST('1' AS boolean)</c>, <c>NOT false</c>; null for anything else.
    /// </summary>
    private static bool? TruthValue(Statement statement, int from, int to)
    {
        while (to - from >= 2 && statement.Tokens[from].Kind == SqlTokenKind.OpenParen && statement.MatchingParen(from, to) == to - 1)
        {
            from++;
            to--;
        }

        if (to - from >= 4 && statement.Word(to - 3) is ":" && statement.Word(to - 2) is ":" && IsBooleanType(statement, to - 1))
        {
            return TruthValue(statement, from, to - 3);
        }

        if (to - from >= 2 && statement.IsKeyword(from, "NOT"))
        {
            return !TruthValue(statement, from + 1, to);
        }

        if (to - from == 2 && IsBooleanType(statement, from))
        {
            return TruthValue(statement, from + 1, to);
        }

        if (statement.IsKeyword(from, "CAST") && to - from >= 6 && statement.Tokens[from + 1].Kind == SqlTokenKind.OpenParen
            && statement.MatchingParen(from + 1, to) == to - 1 && statement.IsKeyword(to - 3, "AS") && IsBooleanType(statement, to - 2))
        {
            return TruthValue(statement, from + 2, to - 3);
        }

        if (to - from != 1)
        {
            return null;
        }

        if (statement.IsKeyword(from, "TRUE") || statement.IsKeyword(from, "FALSE"))
        {
            return statement.IsKeyword(from, "TRUE");
        }

        if (statement.Tokens[from].Kind == SqlTokenKind.Number && statement.Word(from) is "1" or "0")
        {
            // 1::bool (probe AG3); a bare 1 compared with a boolean is PostgreSQL's error anyway.
            return statement.Word(from) is "1";
        }

        return statement.Tokens[from].Kind == SqlTokenKind.String
            && SqlLiteral.TryGetContent(statement.Source, statement.Tokens[from], out var text, out var start, out var end)
            ? text.AsSpan(start, end - start).Trim().ToString().ToLowerInvariant() switch
            {
                "t" or "tr" or "tru" or "true" or "y" or "ye" or "yes" or "on" or "1" => true,
                "f" or "fa" or "fal" or "fals" or "false" or "n" or "no" or "of" or "off" or "0" => false,
                _ => null,
            }
            : null;
    }

    /// <summary>
    /// <c>CASE WHEN c THEN true [ELSE false | NULL] END</c> is c, <c>CASE WHEN c THEN false ELSE true
    /// END</c> NOT c, <c>CASE x WHEN true THEN true END</c> x; one whose every branch is true is true
    /// (returned as an empty span).
    /// </summary>
    private static (int From, int To, bool Negates)? CaseTruthTest(Statement statement, int from, int to)
    {
        if (to - from < 5 || !statement.IsKeyword(from, "CASE") || !statement.IsKeyword(to - 1, "END"))
        {
            return null;
        }

        // The clauses' keywords at this CASE's own level.
        var marks = new List<int>();
        for (var i = from + 1; i < to - 1; i++)
        {
            if (statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
            {
                i = statement.MatchingParen(i, to);
            }
            else if (statement.IsKeyword(i, "CASE"))
            {
                return null;
            }
            else if (statement.IsKeyword(i, "WHEN") || statement.IsKeyword(i, "THEN") || statement.IsKeyword(i, "ELSE"))
            {
                marks.Add(i);
            }
        }

        var branches = new List<bool?>();
        for (var m = 0; m < marks.Count; m++)
        {
            if (statement.IsKeyword(marks[m], "THEN") || statement.IsKeyword(marks[m], "ELSE"))
            {
                branches.Add(TruthValue(statement, marks[m] + 1, m + 1 < marks.Count ? marks[m + 1] : to - 1));
            }
        }

        var hasElse = marks.Count > 0 && statement.IsKeyword(marks[^1], "ELSE");
        if (hasElse && branches.Count > 0 && branches.TrueForAll(b => b == true))
        {
            return (from, from, false);
        }

        // One WHEN: its condition, or x = v for CASE x WHEN v.
        if (marks.Count is < 2 or > 3 || !statement.IsKeyword(marks[0], "WHEN") || !statement.IsKeyword(marks[1], "THEN"))
        {
            return null;
        }

        var then = branches[0];
        var otherwise = hasElse ? branches[1] : false;
        var elseIsNull = hasElse && marks[2] + 2 == to && statement.IsKeyword(marks[2] + 1, "NULL");
        var negates = (then, elseIsNull ? false : otherwise) switch
        {
            (true, false) => false,
            (false, true) => true,
            _ => (bool?)null,
        };
        if (negates is null)
        {
            return null;
        }

        if (marks[0] == from + 1)
        {
            return (marks[0] + 1, marks[1], negates.Value);
        }

        // CASE x WHEN v THEN …: the condition is x = v, that is x when v is true.
        return TruthValue(statement, marks[0] + 1, marks[1]) is { } value ? (from + 1, marks[0], negates.Value == value) : null;
    }
}
