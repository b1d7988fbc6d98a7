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
    private static bool ComparedWithItself(Statement statement, int from, int to, bool equality)
    {
        for (var op = from + 1; op < to - 1; op++)
        {
            var length = equality ? EqualityLength(statement, op, to) : InequalityLength(statement, op, to);
            if (length > 0)
            {
                return SameExpression(statement, from, op, op + length, to);
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
        statement.Tokens[op - 1].Kind != SqlTokenKind.Other && (op + 1 >= to || statement.Tokens[op + 1].Kind != SqlTokenKind.Other);

    /// <summary>
    /// Whether two sides are the same expression, read as <see cref="Comparable"/> writes them: the
    /// same tokens, or one column with and without its qualifier (<c>customers.id = id</c>;
    /// <c>a.id = b.id</c> is two columns). Numbers are compared as written (verdicts of UPDATE and
    /// DELETE are never shared by texts that differ only in their integers: GuardrailEngine.Shapes.cs).
    /// </summary>
    private static bool SameExpression(Statement statement, int leftFrom, int leftTo, int rightFrom, int rightTo)
    {
        var left = Comparable(statement, leftFrom, leftTo);
        var right = Comparable(statement, rightFrom, rightTo);
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
            && longer.Skip(longer.Count - shorter.Count).SequenceEqual(shorter, StringComparer.Ordinal);
    }

    /// <summary>
    /// One side's tokens as compared: identifiers folded as PostgreSQL folds them (<c>"id"</c> is
    /// <c>id</c>), and parentheses, a <c>pg_catalog.</c> qualifier, casts (<c>::int</c>), COLLATE
    /// clauses and a leading unary plus left out (probe AC2: <c>id = (id)</c>, <c>lower(v) =
    /// pg_catalog.lower(v)</c>, <c>id = id::int</c>, <c>v = v COLLATE "C"</c>, <c>+id = id</c>).
    /// </summary>
    private static List<string> Comparable(Statement statement, int from, int to)
    {
        var tokens = new List<string>(to - from);
        for (var i = from; i < to; i++)
        {
            var token = statement.Tokens[i];
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

        return tokens;
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
    /// A condition tested for truth: <c>(c) IS TRUE</c>, <c>IS NOT FALSE</c>, <c>= true</c>,
    /// <c>&lt;&gt; false</c>, <c>true = (c)</c> and <c>CASE WHEN c THEN true [ELSE false] END</c>
    /// are <c>c</c>; <c>IS FALSE</c>, <c>IS NOT TRUE</c>, <c>= false</c> and <c>&lt;&gt; true</c> are
    /// <c>NOT c</c> (probe AC1: <c>WHERE (id = 5 OR true) IS TRUE</c> deleted every row). Null when it is none.
    /// </summary>
    private static (int From, int To, bool Negates)? TruthTestOf(Statement statement, int from, int to)
    {
        if (to - from >= 3 && statement.IsKeyword(to - 2, "IS") && (statement.IsKeyword(to - 1, "TRUE") || statement.IsKeyword(to - 1, "FALSE")))
        {
            return (from, to - 2, statement.IsKeyword(to - 1, "FALSE"));
        }

        if (to - from >= 4 && statement.IsKeyword(to - 3, "IS") && statement.IsKeyword(to - 2, "NOT")
            && (statement.IsKeyword(to - 1, "TRUE") || statement.IsKeyword(to - 1, "FALSE")))
        {
            return (from, to - 3, statement.IsKeyword(to - 1, "TRUE"));
        }

        if (to - from >= 3 && (statement.IsKeyword(to - 1, "TRUE") || statement.IsKeyword(to - 1, "FALSE"))
            && ComparisonBefore(statement, to - 1, from) is { Length: > 0 } comparison)
        {
            return (from, to - 1 - comparison.Length, comparison.IsEquality == statement.IsKeyword(to - 1, "FALSE"));
        }

        if (to - from >= 3 && (statement.IsKeyword(from, "TRUE") || statement.IsKeyword(from, "FALSE")) && statement.Word(from + 1) is "=")
        {
            return (from + 2, to, statement.IsKeyword(from, "FALSE"));
        }

        return CaseWhenTrue(statement, from, to);
    }

    /// <summary>The length of <c>=</c>, <c>&lt;&gt;</c> or <c>!=</c> right before <paramref name="at"/>, and whether it is <c>=</c>; 0 for none.</summary>
    private static (int Length, bool IsEquality) ComparisonBefore(Statement statement, int at, int from) =>
        statement.Word(at - 1) is "=" && !(at - 2 >= from && statement.Word(at - 2) is "<" or ">" or "!") ? (1, true)
        : at - 2 >= from && (statement.Word(at - 2) is "<" && statement.Word(at - 1) is ">" || statement.Word(at - 2) is "!" && statement.Word(at - 1) is "=") ? (2, false)
        : (0, false);

    /// <summary><c>CASE WHEN c THEN TRUE [ELSE FALSE | ELSE NULL] END</c>: c.</summary>
    private static (int From, int To, bool Negates)? CaseWhenTrue(Statement statement, int from, int to)
    {
        if (to - from < 6 || !statement.IsKeyword(from, "CASE") || !statement.IsKeyword(from + 1, "WHEN") || !statement.IsKeyword(to - 1, "END"))
        {
            return null;
        }

        var then = -1;
        for (var i = from + 2; i < to && then < 0; i++)
        {
            if (statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
            {
                i = statement.MatchingParen(i, to);
            }
            else if (statement.IsKeyword(i, "CASE") || statement.IsKeyword(i, "WHEN"))
            {
                return null;
            }
            else if (statement.IsKeyword(i, "THEN"))
            {
                then = i;
            }
        }

        var rest = to - 1 - (then + 1);
        var onlyTrue = then > from + 2 && statement.IsKeyword(then + 1, "TRUE")
            && (rest == 1 || (rest == 3 && statement.IsKeyword(then + 2, "ELSE") && (statement.IsKeyword(then + 3, "FALSE") || statement.IsKeyword(then + 3, "NULL"))));
        return onlyTrue ? (from + 2, then, false) : null;
    }
}
