using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// Which mentions of a masked column in an INSERT, UPDATE or MERGE give their value to the row
/// written. The statement is read clause by clause at its top level (parentheses and
/// <c>CASE … END</c> nest, and a nested mention belongs to the clause around it):
/// <list type="bullet">
/// <item>the relation written and its column lists are targets, not values;</item>
/// <item>WHERE, RETURNING, HAVING, ON, a MERGE's WHEN condition, an ON CONFLICT's inference, and
/// the clauses that only order or count (GROUP, ORDER, LIMIT) filter the rows written: a value
/// read there is not written (returned columns are masked like any result);</item>
/// <item>a SET item whose target is a masked column keeps the value under a masked name:
/// <c>SET ssn = upper(ssn)</c>, <c>SET ssn = EXCLUDED.ssn</c>, <c>SET info.ssn = …</c>;</item>
/// <item>everything else (a query, VALUES, FROM, USING, another SET item) is a source.</item>
/// </list>
/// A clause that starts a source ends a filter: the index predicate of <c>ON CONFLICT (id) WHERE
/// true DO UPDATE SET …</c> and the WHERE of a set operation's first branch had made every later
/// clause a filter, and a masked column was copied through them (probe CB1, CB2).
/// </summary>
internal sealed partial class Masker
{
    private enum WritePart : byte
    {
        /// <summary>The relation written (INSERT INTO t, UPDATE t, MERGE INTO t) and an INSERT's column list.</summary>
        Target,
        Source,
        Filter,
        /// <summary>A join's ON condition: a filter that a comma or the next join ends.</summary>
        JoinFilter,
        /// <summary>A SET item's target, judged at its <c>=</c>.</summary>
        SetTarget,
        SetValue,
        /// <summary>The value of a SET item whose target is a masked column.</summary>
        InPlaceValue,
        /// <summary>A MERGE action's <c>INSERT (…)</c> column list.</summary>
        ColumnList,
    }

    /// <summary>What <see cref="FirstSource"/> answers when it cannot read the write around a masked column: fails closed, saying so.</summary>
    private const char UnreadableMark = '\0';

    private static string Unreadable(string column) => UnreadableMark + column;

    /// <summary>The first masked column <paramref name="named"/> whose value goes into the row written, if any.</summary>
    private string? FirstSource(string text, List<SqlToken> tokens, List<int> named)
    {
        if (tokens.Exists(t => t.Kind == SqlTokenKind.Number && !NumericLiteral().IsMatch(text.AsSpan(t.Start, t.Length))))
        {
            // A number with letters glued to it: PostgreSQL 15 and later refuse it, and 14 and
            // before read 1union as 1 UNION and 0x1Fwhere as 0 AS x1Fwhere. Read either way, one
            // of them hides a clause (review M2): fail closed.
            return Unreadable(Identifier(text, tokens[named[0]]));
        }

        var mentioned = new HashSet<int>(named);
        var merge = IsWordAt(text, tokens, 0, "MERGE");
        var update = IsWordAt(text, tokens, 0, "UPDATE");
        var part = WritePart.Target;
        // What is open. Every CASE word opens a level, and only its END closes it: a column label may
        // be called case or end (SELECT true AS case), and a label case that opened a level nothing
        // closed had hidden the clauses after it (probe CE1). So a level closed by another's closer,
        // or anything left open, fails closed. Brackets nest too: tags[ssn::int] reads the value.
        var open = new Stack<Opener>();
        var itemStart = 0;
        var columnListNext = false;
        var targetMentions = new List<int>();
        var assignment = -1;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var depth = open.Count;
            // t.case, AS end: a name, not a CASE's (probe CI1: t.case … u.end balanced around a UNION).
            var caseWord = token.Kind == SqlTokenKind.Word && !IsLabelOrAttribute(text, tokens, i);
            if (token.Kind == SqlTokenKind.OpenParen || IsOther(text, token, '[') || caseWord && IsWord(text, token, "CASE"))
            {
                if (depth == 0 && token.Kind == SqlTokenKind.OpenParen)
                {
                    if (columnListNext)
                    {
                        part = WritePart.ColumnList;
                    }
                    else if (part == WritePart.Target && StartsQuery(text, tokens, i + 1))
                    {
                        // INSERT INTO t (SELECT …): a parenthesized query, not a column list.
                        part = WritePart.Source;
                    }
                }

                columnListNext = false;
                open.Push(caseWord ? Opener.Case : token.Kind == SqlTokenKind.OpenParen ? Opener.Parenthesis : Opener.Bracket);
                continue;
            }

            columnListNext = false;
            var closer = token.Kind == SqlTokenKind.CloseParen ? Opener.Parenthesis
                : IsOther(text, token, ']') ? Opener.Bracket
                : caseWord && IsWord(text, token, "END") && open.TryPeek(out var inner) && inner == Opener.Case ? Opener.Case
                : (Opener?)null;
            if (closer is { } closing)
            {
                if (!open.TryPop(out var opened) || opened != closing)
                {
                    // Not nested as PostgreSQL would read it: fail closed.
                    return Unreadable(Identifier(text, tokens[named[0]]));
                }

                if (open.Count == 0 && part == WritePart.ColumnList)
                {
                    part = WritePart.Source;
                }

                continue;
            }

            if (depth == 0)
            {
                if (token.Kind == SqlTokenKind.Word)
                {
                    var next = NextWritePart(text, tokens, i, part, merge, update);
                    if (part == WritePart.SetTarget && next != part && targetMentions.Count > 0)
                    {
                        // A SET item left before its "=": no target was read, so its masked names may be values.
                        return Unreadable(Identifier(text, tokens[targetMentions[0]]));
                    }

                    if (next == WritePart.SetTarget && part != WritePart.SetTarget)
                    {
                        itemStart = i + 1;
                    }

                    // A MERGE action's THEN INSERT (id, ssn) VALUES …: its parentheses name targets
                    // (elsewhere insert(…) may be a function's call).
                    columnListNext = merge && IsWord(text, token, "INSERT") && IsClauseWordAt(text, tokens, i - 1, "THEN")
                        && i + 1 < tokens.Count && tokens[i + 1].Kind == SqlTokenKind.OpenParen;
                    part = next;
                }
                else if (token.Kind == SqlTokenKind.Comma && part is WritePart.SetValue or WritePart.InPlaceValue)
                {
                    part = WritePart.SetTarget;
                    itemStart = i + 1;
                }
                else if (token.Kind == SqlTokenKind.Comma && part == WritePart.JoinFilter)
                {
                    part = WritePart.Source;
                }
                else if (part == WritePart.SetTarget && IsEquals(text, tokens, i))
                {
                    // Names only (SET ssn, SET info.ssn, SET (a, ssn)) are targets; a subscript is
                    // an expression: SET tags[length(ssn)] = … sizes an array by the value.
                    var plain = PlainTarget(text, tokens, itemStart, i, out var single);
                    if (!plain && targetMentions.Count > 0)
                    {
                        return Identifier(text, tokens[targetMentions[0]]);
                    }

                    targetMentions.Clear();
                    assignment = i;
                    part = single && mentioned.Contains(i - 1) && _columns.Contains(Identifier(text, tokens[i - 1]))
                        ? WritePart.InPlaceValue
                        : WritePart.SetValue;
                    continue;
                }
            }

            if (!mentioned.Contains(i))
            {
                continue;
            }

            switch (part)
            {
                case WritePart.SetTarget:
                    targetMentions.Add(i);
                    break;
                case WritePart.Target or WritePart.ColumnList when open.Count > 1:
                    // Inside a column list's item, not the item: a subscript's expression,
                    // INSERT INTO t (tags[(SELECT … ssn …)]) sizes the array by the value (review H2, H3).
                    return Identifier(text, tokens[i]);
                case WritePart.Source or WritePart.SetValue when !Compared(text, tokens, i, assignment):
                    return Identifier(text, tokens[i]);
            }
        }

        // Something left open (a label called case) may have hidden a clause, and a SET item with
        // no "=" read no target: fail closed.
        return open.Count == 0 && targetMentions.Count == 0 ? null : Unreadable(Identifier(text, tokens[named[0]]));
    }

    /// <summary>
    /// Where the top-level word <paramref name="i"/> takes the statement. A word leads to a part
    /// whose mentions are not read (a filter, a SET target, a column list) only where it can be
    /// that clause: after AS any keyword is a column label, after a dot an attribute, and several
    /// are labels or aliases even without AS (SELECT 'x' when, FROM t conflict); DISTINCT ON and
    /// WITHIN GROUP are no ON or GROUP clause (probe CG1–CG4: each hid the copy after it). A word
    /// that starts a source can only make more of the statement read.
    /// </summary>
    private static WritePart NextWritePart(string text, List<SqlToken> tokens, int i, WritePart part, bool merge, bool update)
    {
        if (IsLabelOrAttribute(text, tokens, i) || IsDistinctFrom(text, tokens, i))
        {
            return part;
        }

        if (part == WritePart.Target && update)
        {
            // UPDATE t [alias] SET: the alias may be a keyword (UPDATE clean values SET v = ssn
            // read values as a source, missed the SET list, and took = ssn for a comparison: probe CS1).
            return IsWord(text, tokens[i], "SET") ? WritePart.SetTarget : part;
        }

        var word = Word(text, tokens[i]);
        var when = word.Equals("WHEN", StringComparison.OrdinalIgnoreCase);
        if (part is WritePart.SetTarget or WritePart.SetValue or WritePart.InPlaceValue)
        {
            // Inside a SET list only the clauses that end it count: a value's own words do not
            // start one; a CASE's WHEN is nested.
            return word.Equals("FROM", StringComparison.OrdinalIgnoreCase) ? WritePart.Source
                : IsOneOf(word, SetListEnds) || when && merge ? WritePart.Filter
                : part;
        }

        return IsOneOf(word, FilterClauses) ? WritePart.Filter
            : word.Equals("GROUP", StringComparison.OrdinalIgnoreCase) ? (IsWordAt(text, tokens, i - 1, "WITHIN") ? part : WritePart.Filter)
            : when ? (merge ? WritePart.Filter : part)
            : word.Equals("ON", StringComparison.OrdinalIgnoreCase) ? (IsWordAt(text, tokens, i - 1, "DISTINCT") ? part : WritePart.JoinFilter)
            : word.Equals("SET", StringComparison.OrdinalIgnoreCase)
                ? (part == WritePart.Target && update || IsUpdateAction(text, tokens, i - 1) ? WritePart.SetTarget : part)
            : IsOneOf(word, SourceWords) || i > 0 && word.Equals("INSERT", StringComparison.OrdinalIgnoreCase)
                || part == WritePart.Target && IsOneOf(word, InsertSourceWords) ? WritePart.Source
            : part;
    }

    /// <summary>
    /// An upsert's DO UPDATE or a MERGE action's THEN UPDATE: a column may be called update, and
    /// <c>SELECT update set, …</c> labels it set (probe CI2: the rest of the list was read as SET targets).
    /// </summary>
    private static bool IsUpdateAction(string text, List<SqlToken> tokens, int i) =>
        IsClauseWordAt(text, tokens, i, "UPDATE") && (IsClauseWordAt(text, tokens, i - 1, "DO") || IsClauseWordAt(text, tokens, i - 1, "THEN"));

    private static bool IsClauseWordAt(string text, List<SqlToken> tokens, int i, string word) =>
        IsWordAt(text, tokens, i, word) && !IsLabelOrAttribute(text, tokens, i);

    /// <summary>
    /// The FROM of <c>IS [NOT] DISTINCT FROM</c>, an operator: taken for a FROM clause it made a SET
    /// list's later items sources (probe CL1: SET v = v IS DISTINCT FROM 'x', ssn = upper(ssn) was refused).
    /// </summary>
    private static bool IsDistinctFrom(string text, List<SqlToken> tokens, int i) =>
        IsWord(text, tokens[i], "FROM") && IsClauseWordAt(text, tokens, i - 1, "DISTINCT")
        && (IsClauseWordAt(text, tokens, i - 2, "IS") || IsClauseWordAt(text, tokens, i - 2, "NOT") && IsClauseWordAt(text, tokens, i - 3, "IS"));

    /// <summary>A word after AS (a column label may be any keyword) or after a dot (an attribute's name).</summary>
    private static bool IsLabelOrAttribute(string text, List<SqlToken> tokens, int i) =>
        i > 0 && (IsWord(text, tokens[i - 1], "AS") || tokens[i - 1].Kind == SqlTokenKind.Other && text[tokens[i - 1].Start] == '.');

    private static readonly string[] SetListEnds = ["WHERE", "RETURNING"];

    /// <summary>Reserved words: at the top level, outside a label (after AS), only these clauses.</summary>
    private static readonly string[] FilterClauses = ["WHERE", "RETURNING", "HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW"];

    private static readonly string[] SourceWords =
        ["SELECT", "VALUES", "FROM", "USING", "UNION", "INTERSECT", "EXCEPT", "DO", "THEN", "JOIN", "TABLE", "WITH", "LATERAL"];

    /// <summary>INSERT INTO t DEFAULT VALUES, INSERT INTO t OVERRIDING SYSTEM VALUE …: the words only start a source right after the target.</summary>
    private static readonly string[] InsertSourceWords = ["DEFAULT", "OVERRIDING"];

    private static bool IsOneOf(ReadOnlySpan<char> word, string[] words)
    {
        foreach (var candidate in words)
        {
            if (word.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether tokens <paramref name="from"/> to <paramref name="to"/> are only names (dotted, or a parenthesized list); <paramref name="single"/>: one dotted name.</summary>
    private static bool PlainTarget(string text, List<SqlToken> tokens, int from, int to, out bool single)
    {
        single = from < to;
        for (var i = from; i < to; i++)
        {
            var token = tokens[i];
            var dot = token.Kind == SqlTokenKind.Other && text.AsSpan(token.Start, token.Length) is ".";
            if (token.Kind is SqlTokenKind.Comma or SqlTokenKind.OpenParen or SqlTokenKind.CloseParen)
            {
                single = false;
            }
            else if (!dot && token.Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                single = false;
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <c>ssn = …</c> or <c>… = ssn</c> (not a SET item's own <c>=</c>): a boolean is written, not
    /// the value; every operator that binds less tightly than <c>=</c> (IS, NOT, AND, OR) gives a
    /// boolean too (review L3: <c>'x' = ssn</c> was refused).
    /// </summary>
    private static bool Compared(string text, List<SqlToken> tokens, int i, int assignment) =>
        i + 1 < tokens.Count && IsEquals(text, tokens, i + 1) || i > 0 && i - 1 != assignment && IsEquals(text, tokens, i - 1);

    /// <summary>A numeric constant as PostgreSQL 16 reads one: decimal (with underscores, a fraction, an exponent), hexadecimal, octal or binary.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+)$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex NumericLiteral();

    private enum Opener : byte
    {
        Parenthesis,
        Bracket,
        Case,
    }

    /// <summary>
    /// The operator <c>=</c> alone, as PostgreSQL reads the run of operator characters around it:
    /// the lexer gives them one by one, and <c>ssn =| 1</c> calls a user's operator <c>=|</c> that
    /// may return the value (review M1); <c>x := v</c> names an argument. PostgreSQL drops a
    /// trailing <c>+</c> or <c>-</c> from a run that holds none of <c>~!@#%^&amp;|`?</c>, so
    /// <c>ssn=-1</c> is <c>ssn = -1</c>; a comment's <c>--</c> or <c>/*</c> ends the run.
    /// </summary>
    private static bool IsEquals(string text, List<SqlToken> tokens, int i)
    {
        if (!IsOther(text, tokens[i], '='))
        {
            return false;
        }

        var at = tokens[i].Start;
        if (at > 0 && text[at - 1] == ':')
        {
            return false;
        }

        var start = at;
        while (start > 0 && IsOperatorCharacter(text[start - 1]))
        {
            start--;
        }

        var end = at + 1;
        while (end < text.Length && IsOperatorCharacter(text[end]) && !text.AsSpan(end).StartsWith("--") && !text.AsSpan(end).StartsWith("/*"))
        {
            end++;
        }

        var run = text.AsSpan(start, end - start);
        while (run.Length > 1 && run[^1] is '+' or '-' && run.IndexOfAny("~!@#%^&|`?") < 0)
        {
            run = run[..^1];
        }

        return run is "=";
    }

    /// <summary>A character PostgreSQL takes into an operator's name.</summary>
    private static bool IsOperatorCharacter(char c) => c is '+' or '-' or '*' or '/' or '<' or '>' or '=' or '~' or '!' or '@' or '#' or '%' or '^' or '&' or '|' or '`' or '?';

    private static bool IsOther(string text, SqlToken token, char c) => token.Kind == SqlTokenKind.Other && token.Length == 1 && text[token.Start] == c;
}
