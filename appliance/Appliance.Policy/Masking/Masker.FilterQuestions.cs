using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// A filter on a masked column answers a question about its value for every row it looks at.
/// Compared with constants and parameters (<c>ssn = $1</c>, <c>right(ssn, 4) = '6789'</c>), a
/// statement asks one question, as a lookup does. Compared with what the statement makes per row
/// (another relation's column, a set-returning function's output, a subquery), it asks as many as
/// it joins rows: <c>FROM customers c, generate_series(1, 11) p, generate_series(0, 9) d WHERE
/// substr(c.ssn, p, 1) = d::text</c> returned every SSN of the table, digit by digit, in clear, and
/// the audit log's sample rows kept them (probe DZ2). Such a filter is refused; so is one on a
/// whole row of a relation holding a masked column (<c>substr(c::text, p, 1)</c>).
/// </summary>
internal sealed partial class Masker
{
    /// <summary>Words a predicate on a value may hold that name no column: operators, literals' keywords, a CAST's or EXTRACT's words.</summary>
    private static readonly HashSet<string> PredicateWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "LIKE", "ILIKE", "SIMILAR", "TO", "IS", "NOT", "NULL", "TRUE", "FALSE", "UNKNOWN", "IN", "ANY", "SOME", "ALL", "ARRAY",
        "BETWEEN", "SYMMETRIC", "ASYMMETRIC", "AND", "ESCAPE", "COLLATE", "CAST", "AS", "DISTINCT", "FROM", "FOR", "PLACING",
        "OVERLAPS", "AT", "TIME", "ZONE", "LOCAL", "INTERVAL", "DATE", "TIMESTAMP", "WITH", "WITHOUT", "VARYING", "PRECISION",
        "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP", "CURRENT_USER", "SESSION_USER",
        "USER", "CURRENT_ROLE", "CURRENT_SCHEMA", "CURRENT_CATALOG", "CASE", "WHEN", "THEN", "ELSE", "END", "ISNULL", "NOTNULL",
        "OPERATOR", "BOTH", "LEADING", "TRAILING", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "EPOCH", "DOW", "DOY",
        "WEEK", "QUARTER", "CENTURY", "DECADE", "MILLENNIUM", "MICROSECONDS", "MILLISECONDS", "ISODOW", "ISOYEAR", "JULIAN",
    };

    /// <summary>Words that end a predicate: the boolean connectives, a CASE's parts, and the clauses after a filter.</summary>
    private static readonly HashSet<string> PredicateEnds = new(StringComparer.OrdinalIgnoreCase)
    {
        "AND", "OR", "WHERE", "ON", "HAVING", "WHEN", "THEN", "ELSE", "END", "SELECT", "SET", "USING", "RETURNING", "GROUP", "ORDER",
        "LIMIT", "OFFSET", "FETCH", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "FOR", "JOIN", "CROSS", "INNER", "LEFT", "RIGHT",
        "FULL", "NATURAL", "DO", "INSERT", "UPDATE", "DELETE",
    };

    /// <summary>Why a statement's filters are refused (<see cref="FilterQuestion"/>).</summary>
    internal enum FilterQuestionKind
    {
        /// <summary>A masked value compared with what the statement makes per row.</summary>
        PerRow,

        /// <summary>A function returning rows, as many as a masked value says.</summary>
        RowCount,

        /// <summary>A statement too long or nested for its filters to be read in bounded time.</summary>
        TooComplex,
    }

    /// <summary>
    /// The masked column (or the name of a row holding one) whose filters ask more than one
    /// question per row, or null: compared with what the statement makes per row, in alternatives
    /// that put the answer in another row source's column, or given to a set-returning function, a
    /// LIMIT or an OFFSET that returns as many rows as the value says (probe EA3, EC2).
    /// </summary>
    private (string Name, FilterQuestionKind Kind)? FilterQuestion(string text, List<SqlToken> tokens, IColumnNameLookup? relations)
    {
        // Each scan below counts what it reads: a statement whose reading would take more than a few
        // hundred passes over its tokens is not judged but refused (review H1: shapes of nested calls
        // and long subquery filters took seconds, on the event loop other sessions share).
        _work = 0;
        _budget = (200L * tokens.Count) + 200_000;
        _firstFilters = null;
        try
        {
            return AskedQuestion(text, tokens, relations);
        }
        catch (WorkExhausted)
        {
            return ("", FilterQuestionKind.TooComplex);
        }
    }

    [ThreadStatic]
    private static long _work;

    [ThreadStatic]
    private static long _budget;

    /// <summary>By a subquery's parenthesis, where its first WHERE, ON or HAVING stands (<see cref="IsInsideExpression"/>).</summary>
    [ThreadStatic]
    private static Dictionary<int, int>? _firstFilters;

    /// <summary>Counts <paramref name="steps"/> tokens read; past the statement's budget, its reading stops.</summary>
    private static void Spend(int steps = 1)
    {
        _work += steps;
        if (_work > _budget)
        {
            throw new WorkExhausted();
        }
    }

    private sealed class WorkExhausted : Exception;

    private (string Name, FilterQuestionKind Kind)? AskedQuestion(string text, List<SqlToken> tokens, IColumnNameLookup? relations)
    {
        var index = new TokenIndex(text, tokens);
        var renamed = RenamedMaskedColumns(text, tokens, relations);
        bool[]? inFilter = null;
        bool[]? inFrom = null;
        HashSet<string>? carried = null;
        bool? joins = null;
        HashSet<string>? rowSources = null;
        Dictionary<string, List<string>>? relationOf = null;
        var rowSourcesRead = false;

        // Answers kept per parenthesis and per span: each is asked for every masked name in it, and a
        // statement may hold tens of thousands (review: 20,000 predicates took minutes).
        var expressions = new Dictionary<int, bool>();
        var conjunctions = new Dictionary<int, bool>();
        var clauses = new Dictionary<int, (bool Or, bool Case, bool PerRow)>();
        int[]? clauseWords = null;
        var conjunctionSpans = new LevelSpans(text, tokens, index, ConjunctionEnds);
        var clauseSpans = new LevelSpans(text, tokens, index, FilterClauseEnds);
        for (var i = 0; i < tokens.Count; i++)
        {
            Spend();
            if (tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                continue;
            }

            if (inFilter is null)
            {
                inFilter = FilterTokens(text, tokens, index, out inFrom);
                carried = CarriedNames();
            }

            if (inFrom![i] || !IsMaskedOperand(i))
            {
                continue;
            }

            var name = SqlLiteral.Identifier(text, tokens[i]);
            var called = i + 1 < tokens.Count && tokens[i + 1].Kind == SqlTokenKind.OpenParen;

            // A function of the database that may return a masked value is read whole by its callers
            // (json_each(f(…)) comes back masked); only a column's value is counted here.
            if (!called && CalledBySetReturningFunction(text, tokens, index, i))
            {
                return (name, FilterQuestionKind.RowCount);
            }

            if (index.Enclosing(i) is var around and >= 0 && IsMembership(around) && IsMembershipColumn(around, i))
            {
                // SELECT ssn in x IN (SELECT ssn FROM …): the values x is compared with, judged as x's filter.
                continue;
            }

            if (InRowCountClause(text, tokens, index, i, expressions, clauseWords ??= ClauseWords(text, tokens)))
            {
                // LIMIT or OFFSET set by the value: as many rows as it says (probe EC2, per row in a LATERAL subquery).
                return (name, FilterQuestionKind.RowCount);
            }

            if (!inFilter[i])
            {
                continue;
            }

            joins ??= JoinsRowSources(text, tokens, inFrom);

            if (joins.Value)
            {
                var (from, to) = PredicateSpan(text, tokens, index, i, expressions);
                if (HasPerRowValue(from, to, i) || IsOneOfAlternatives(i))
                {
                    return (name, FilterQuestionKind.PerRow);
                }
            }
        }

        return null;

        // The statement's row sources and the relations their names stand for, read once when first needed.
        void ReadRowSources()
        {
            if (!rowSourcesRead)
            {
                rowSources = RowSourceNames(text, tokens, relations, index, out relationOf);
                rowSourcesRead = true;
            }
        }

        // A masked column's name, or a renaming view's column or a function that may return one
        // (called: f(…)), or a whole row of a relation that holds one.
        bool IsMaskedOperand(int t)
        {
            if (tokens[t].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                return false;
            }

            var name = SqlLiteral.Identifier(text, tokens[t]);
            var called = t + 1 < tokens.Count && tokens[t + 1].Kind == SqlTokenKind.OpenParen;
            if (renamed?.Contains(name) == true || (!called && carried?.Contains(name) == true))
            {
                return true;
            }

            if (called)
            {
                return false;
            }

            if (_columns.Contains(name))
            {
                return true;
            }

            ReadRowSources();

            return rowSources?.Contains(name) == true && IsWholeRowUse(text, tokens, t, rowSources, index, relationOf, relations);
        }

        // A value of another row than the operand's: a column not qualified, or qualified otherwise, or
        // by a name that is no table's (a WITH query's or a subquery's row may carry a counter, probe
        // EC3); another masked value counts unless both are the columns themselves (a.ssn = b.ssn:
        // substr(c.ssn, 5, 1) = substr(x.ssn, 2, 1) compared digits across rows, probe EC5).
        bool HasPerRowValue(int from, int to, int operand)
        {
            var qualifier = Qualifier(text, tokens, operand) ?? SqlLiteral.Identifier(text, tokens[operand]);
            ReadRowSources();

            var sameRowExempt = relationOf?.ContainsKey(qualifier) == true;
            var bare = PredicateLevel(text, tokens, index, operand, expressions).Pos == operand;
            for (var t = from; t <= to; t++)
            {
                Spend();
                if (tokens[t].Kind == SqlTokenKind.OpenParen && IsMembership(t) && index.Match(t) is var close and > 0)
                {
                    // ssn IN (SELECT ssn FROM employees): a masked column's values, as a join on it is.
                    t = close;
                    continue;
                }

                if (!IsPerRowValue(text, tokens, t) || (sameRowExempt && Qualifier(text, tokens, t) == qualifier))
                {
                    continue;
                }

                if (inFrom![t] || !IsMaskedOperand(t))
                {
                    return true;
                }

                // Another masked value: the operand itself (or its column again) is none.
                var same = SqlLiteral.Identifier(text, tokens[t]) == SqlLiteral.Identifier(text, tokens[operand])
                    && Qualifier(text, tokens, t) == Qualifier(text, tokens, operand);
                if (!same && (!bare || PredicateLevel(text, tokens, index, t, expressions).Pos != t || !IsEquality(from, to)))
                {
                    return true;
                }
            }

            return false;
        }

        // The span compares with = or <> only: LIKE, ~, < or > between two masked columns matched one
        // against patterns or ranks another table's held (probe ED2, ED7).
        bool IsEquality(int from, int to)
        {
            for (var t = from; t <= to; t++)
            {
                Spend();
                if (tokens[t].Kind == SqlTokenKind.Other && text[tokens[t].Start] is '~' or '%' or '+' or '-' or '*' or '/' or '|' or '^' or '&' or '#' or '@'
                    || (tokens[t].Kind == SqlTokenKind.Other && text[tokens[t].Start] is '<' or '>'
                        && !(text[tokens[t].Start] == '<' && t + 1 <= to && tokens[t + 1].Kind == SqlTokenKind.Other && text[tokens[t + 1].Start] == '>')
                        && !(text[tokens[t].Start] == '>' && t > from && tokens[t - 1].Kind == SqlTokenKind.Other && text[tokens[t - 1].Start] == '<'))
                    || IsWord(text, tokens[t], "LIKE") || IsWord(text, tokens[t], "ILIKE") || IsWord(text, tokens[t], "SIMILAR") || IsWord(text, tokens[t], "BETWEEN"))
                {
                    return false;
                }
            }

            return true;
        }

        // x IN (SELECT ssn FROM employees …): after IN, ANY, SOME or ALL, a subquery whose select list is
        // one masked column of the one table it reads (not a WITH query's or a subquery's column merely
        // named so: review H2 read every SSN through one).
        bool IsMembership(int open)
        {
            var t = open + 1;
            if (open < 1 || t >= tokens.Count || !IsWord(text, tokens[t], "SELECT")
                || !(IsWord(text, tokens[open - 1], "IN") || IsWord(text, tokens[open - 1], "ANY") || IsWord(text, tokens[open - 1], "SOME")
                    || IsWord(text, tokens[open - 1], "ALL")))
            {
                return false;
            }

            var column = t + 1;
            if (column + 2 < tokens.Count && IsDot(text, tokens[column + 1]))
            {
                column += 2;
            }

            var relation = column + 2;
            if (column + 1 >= tokens.Count || !IsWord(text, tokens[column + 1], "FROM") || !_columns.Contains(SqlLiteral.Identifier(text, tokens[column]))
                || relation >= tokens.Count || tokens[relation].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                return false;
            }

            ReadRowSources();

            // A table of the catalog's, alone in the FROM: then its alias, WHERE or the parenthesis.
            var name = SqlLiteral.Identifier(text, tokens[relation]);
            var next = relation + 1;
            if (next < tokens.Count && tokens[next].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && !IsWord(text, tokens[next], "WHERE"))
            {
                next++;
            }

            // And on the left, a masked column itself: ssn IN (…), c.ssn = ANY (…), ssn NOT IN (…).
            var left = open - 2;
            while (left >= 0 && (IsWord(text, tokens[left], "NOT") || (tokens[left].Kind == SqlTokenKind.Other && text[tokens[left].Start] is '=' or '<' or '>' or '!')))
            {
                left--;
            }

            if (left < 0 || !IsMaskedOperand(left) || PredicateLevel(text, tokens, index, left, expressions).Pos != left)
            {
                return false;
            }

            return relationOf?.GetValueOrDefault(name) is [var only] && only == name
                && (relations is null || relations.ColumnsOf(name) is not { } known || known.Contains(SqlLiteral.Identifier(text, tokens[column])))
                && next < tokens.Count && (tokens[next].Kind == SqlTokenKind.CloseParen || IsWord(text, tokens[next], "WHERE"));
        }

        bool IsMembershipColumn(int open, int t) => t == open + 2 || (t == open + 4 && IsDot(text, tokens[open + 3]));

        // Names a statement gives a masked value in a select list (substr(ssn, 1, 1)::int AS d, ssn s),
        // read further out under that name (probe EC1, EC3); names given to those again, too.
        HashSet<string>? CarriedNames()
        {
            HashSet<string>? names = null;
            for (var round = 0; round < 4; round++)
            {
                Spend();
                var added = false;
                for (var t = 0; t < tokens.Count; t++)
                {
                    Spend();
                    if (inFilter![t] || inFrom![t] || !IsMaskedOperand(t) || SelectItemAlias(text, tokens, index, t, expressions) is not { } alias
                        || _columns.Contains(alias))
                    {
                        continue;
                    }

                    added |= (names ??= new HashSet<string>(StringComparer.Ordinal)).Add(alias);
                    carried = names;
                }

                if (!added)
                {
                    break;
                }
            }

            return names;
        }

        // (substr(ssn, 1, 1) = '0' AND d = 0) OR (substr(ssn, 1, 1) = '1' AND d = 1) …: each predicate
        // on the masked value compares it with a constant, and the alternatives put the answer in d.
        bool IsOneOfAlternatives(int m)
        {
            var (pos, lo, hi) = PredicateLevel(text, tokens, index, m, expressions);
            var perRow = false;
            while (true)
            {
                Spend();
                var (from, to) = conjunctionSpans.Around(pos, lo, hi);
                if (!conjunctions.TryGetValue(from, out var conjunctionPerRow))
                {
                    conjunctions[from] = conjunctionPerRow = HasPerRowValue(from, to, m);
                }

                perRow = perRow || conjunctionPerRow;
                var (clauseFrom, clauseTo) = clauseSpans.Around(pos, lo, hi);
                if (!clauses.TryGetValue(clauseFrom, out var clause))
                {
                    var (or, caseWord) = Alternatives(text, tokens, index, clauseFrom, clauseTo);
                    clauses[clauseFrom] = clause = (or, caseWord, caseWord && HasPerRowValue(clauseFrom, clauseTo, m));
                }

                perRow = perRow || clause.PerRow;
                if (perRow && (clause.Or || clause.Case))
                {
                    return true;
                }

                var open = lo - 1;
                if (open < 0 || (lo <= hi && IsWordIn(text, tokens[lo], QueryStarts)))
                {
                    return false;
                }

                (pos, lo, hi) = PredicateLevel(text, tokens, index, open, expressions);
            }
        }
    }

    /// <summary>
    /// The name the select-list item holding the token at <paramref name="t"/> is given (<c>AS d</c>,
    /// or a bare alias after the expression), or null: not in a select list, or no alias.
    /// </summary>
    private static string? SelectItemAlias(string text, List<SqlToken> tokens, TokenIndex index, int t, Dictionary<int, bool> expressions)
    {
        var (pos, lo, hi) = PredicateLevel(text, tokens, index, t, expressions, inItsQuery: true);
        // Climb to the select list's level: a function's or an expression's parentheses are the item's.
        var end = pos;
        for (var i = pos; i <= hi; i++)
        {
            Spend();
            if (tokens[i].Kind == SqlTokenKind.OpenParen && index.Match(i) is var close and > 0)
            {
                end = i = close;
                continue;
            }

            if (tokens[i].Kind is SqlTokenKind.Comma or SqlTokenKind.Semicolon || (tokens[i].Kind == SqlTokenKind.Word && IsWordIn(text, tokens[i], SelectItemEnds)))
            {
                break;
            }

            end = i;
        }

        // The item must stand in a select list: SELECT or a comma before it at this level.
        var start = pos;
        for (var i = pos - 1; i >= lo; i--)
        {
            Spend();
            if (tokens[i].Kind == SqlTokenKind.CloseParen && index.Match(i) is var opened and >= 0)
            {
                i = opened;
                continue;
            }

            if (tokens[i].Kind == SqlTokenKind.Comma || IsWord(text, tokens[i], "SELECT") || IsWord(text, tokens[i], "DISTINCT"))
            {
                break;
            }

            if (tokens[i].Kind == SqlTokenKind.Word && IsWordIn(text, tokens[i], SelectItemEnds))
            {
                return null;
            }

            start = i;
        }

        if (end <= start || tokens[end].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier) || IsDot(text, tokens[end - 1]))
        {
            return null;
        }

        var before = tokens[end - 1];
        var aliased = IsWord(text, before, "AS") || before.Kind is SqlTokenKind.CloseParen or SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier;
        return aliased && !(tokens[end].Kind == SqlTokenKind.Word && PredicateWords.Contains(Word(text, tokens[end]).ToString()))
            ? SqlLiteral.Identifier(text, tokens[end])
            : null;
    }

    private static readonly HashSet<string> SelectItemEnds = new(StringComparer.OrdinalIgnoreCase)
    {
        "FROM", "INTO", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "RETURNING", "FOR", "ON",
    };

    /// <summary>The operand at <paramref name="i"/> stands in a LIMIT, OFFSET or FETCH clause.</summary>
    /// <param name="clauses">For each token, the clause's word before it at its level (<see cref="ClauseWords"/>).</param>
    private static bool InRowCountClause(string text, List<SqlToken> tokens, TokenIndex index, int i, Dictionary<int, bool> expressions, int[] clauses)
    {
        var (pos, _, _) = PredicateLevel(text, tokens, index, i, expressions, inItsQuery: true);
        var word = clauses[pos];
        return word >= 0 && (IsWord(text, tokens[word], "LIMIT") || IsWord(text, tokens[word], "OFFSET") || IsWord(text, tokens[word], "FETCH"));
    }

    /// <summary>
    /// For each token, the last word before it at its level that starts a clause (SELECT, FROM, WHERE,
    /// LIMIT, OFFSET, FETCH …), or -1: one pass, where a search back from each token was quadratic.
    /// </summary>
    private static int[] ClauseWords(string text, List<SqlToken> tokens)
    {
        var words = new int[tokens.Count];
        var levels = new Stack<int>();
        var current = -1;
        for (var t = 0; t < tokens.Count; t++)
        {
            Spend();
            var token = tokens[t];
            if (token.Kind == SqlTokenKind.OpenParen)
            {
                words[t] = current;
                levels.Push(current);
                current = -1;
                continue;
            }

            if (token.Kind == SqlTokenKind.CloseParen && levels.Count > 0)
            {
                current = levels.Pop();
            }
            else if (token.Kind == SqlTokenKind.Word && (IsWord(text, token, "LIMIT") || IsWord(text, token, "OFFSET") || IsWord(text, token, "FETCH")
                || IsWordIn(text, token, QueryBlockStarts) || IsWordIn(text, token, SelectItemEnds)))
            {
                current = t;
            }
            else if (token.Kind == SqlTokenKind.Semicolon)
            {
                current = -1;
            }

            words[t] = current;
        }

        return words;
    }

    /// <summary>The name before <c>name.</c> or <c>(name).</c> qualifying the token at <paramref name="t"/>, if any.</summary>
    private static string? Qualifier(string text, List<SqlToken> tokens, int t)
    {
        if (t >= 2 && IsDot(text, tokens[t - 1]))
        {
            var before = t - 2;
            if (tokens[before].Kind == SqlTokenKind.CloseParen && before >= 2 && tokens[before - 2].Kind == SqlTokenKind.OpenParen)
            {
                before--;
            }

            return tokens[before].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier ? SqlLiteral.Identifier(text, tokens[before]) : null;
        }

        // A qualifier itself (c in c.x) is its own.
        return t + 1 < tokens.Count && IsDot(text, tokens[t + 1]) ? SqlLiteral.Identifier(text, tokens[t]) : null;
    }

    private static readonly HashSet<string> QueryBlockStarts = new(StringComparer.OrdinalIgnoreCase) { "SELECT", "UPDATE", "DELETE", "MERGE" };

    /// <summary>Functions that return rows, as many as their arguments say.</summary>
    private static readonly HashSet<string> SetReturningFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "generate_series", "generate_subscripts", "unnest", "regexp_matches", "regexp_split_to_table", "string_to_table",
        "json_array_elements", "json_array_elements_text", "jsonb_array_elements", "jsonb_array_elements_text", "json_each",
        "json_each_text", "jsonb_each", "jsonb_each_text", "json_object_keys", "jsonb_object_keys", "jsonb_path_query",
        "json_populate_recordset", "jsonb_populate_recordset", "json_to_recordset", "jsonb_to_recordset", "ts_stat",
        "ts_debug", "ts_parse", "ts_token_type", "xmltable", "json_table",
    };

    /// <summary>
    /// The operand at <paramref name="i"/> is inside the arguments of a set-returning function: the
    /// rows it returns count the value (<c>generate_series(0, substr(ssn, 1, 3)::int)</c> beside
    /// each id gave three digits of every SSN, probe EA3), whatever masking does to their values.
    /// </summary>
    private static bool CalledBySetReturningFunction(string text, List<SqlToken> tokens, TokenIndex index, int i)
    {
        for (var open = index.Enclosing(i); open > 0; open = index.Enclosing(open))
        {
            Spend();
            if (tokens[open - 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && SetReturningFunctions.Contains(SqlLiteral.Identifier(text, tokens[open - 1])))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The spans <see cref="LevelSpan"/> finds, kept in order: every masked name in one asks for it,
    /// and a span found again for each was quadratic in the statement (review: a WHERE of 20,000
    /// predicates took minutes).
    /// </summary>
    private sealed class LevelSpans(string text, List<SqlToken> tokens, TokenIndex index, HashSet<string> ends)
    {
        /// <summary>By level (its first token), the spans found there, in order; spans of one level never overlap.</summary>
        private readonly Dictionary<int, List<(int From, int To)>> _levels = [];

        public (int From, int To) Around(int pos, int lo, int hi)
        {
            if (!_levels.TryGetValue(lo, out var spans))
            {
                _levels[lo] = spans = [];
            }

            var at = spans.BinarySearch((pos, int.MaxValue));
            at = at < 0 ? ~at - 1 : at;
            if (at >= 0 && spans[at].To >= pos)
            {
                return spans[at];
            }

            var span = LevelSpan(text, tokens, index, pos, lo, hi, ends);
            spans.Insert(at + 1, span);
            return span;
        }
    }

    /// <summary>A predicate's ends but AND: the conditions that must all hold with it.</summary>
    private static readonly HashSet<string> ConjunctionEnds = new(PredicateEnds.Where(w => w != "AND"), StringComparer.OrdinalIgnoreCase);

    /// <summary>A filter's ends at its level: a predicate's, but for its connectives and a CASE's parts.</summary>
    private static readonly HashSet<string> FilterClauseEnds = new(PredicateEnds.Except(["AND", "OR", "WHEN", "THEN", "ELSE", "END"]), StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the tokens at one level (parentheses within skipped) hold an OR, or a CASE.</summary>
    private static (bool Or, bool Case) Alternatives(string text, List<SqlToken> tokens, TokenIndex index, int from, int to)
    {
        var (or, caseWord) = (false, false);
        for (var t = from; t <= to; t++)
        {
            Spend();
            if (tokens[t].Kind == SqlTokenKind.OpenParen && index.Match(t) is var matched and > 0)
            {
                t = matched;
                continue;
            }

            or |= IsWord(text, tokens[t], "OR");
            caseWord |= IsWord(text, tokens[t], "CASE");
        }

        return (or, caseWord);
    }

    /// <summary>
    /// Whether the statement joins row sources (a join, a list, a function's or a subquery's rows, a
    /// subquery of its own FROM): only then can a filter put a masked value's answer in another's column.
    /// </summary>
    private static bool JoinsRowSources(string text, List<SqlToken> tokens, bool[] inFrom)
    {
        var writes = false;
        var froms = 0;
        for (var t = 0; t < tokens.Count; t++)
        {
            Spend();
            // Two FROMs: a subquery's rows beside the query's (probe EC6: a select-list subquery compared
            // each SSN's digit with another table's ids).
            if (inFrom[t] && IsWord(text, tokens[t], "FROM") && !IsDeleteFrom(text, tokens, t) && ++froms > 1)
            {
                return true;
            }

            if (inFrom[t] && (tokens[t].Kind is SqlTokenKind.Comma or SqlTokenKind.OpenParen || IsWord(text, tokens[t], "JOIN")))
            {
                return true;
            }

            // A MERGE's target and source, an UPDATE's or DELETE's table and its FROM or USING.
            writes |= IsWord(text, tokens[t], "MERGE") || IsWord(text, tokens[t], "UPDATE") || IsWord(text, tokens[t], "DELETE");
            if (writes && inFrom[t] && (IsWord(text, tokens[t], "FROM") || IsWord(text, tokens[t], "USING")) && !IsDeleteFrom(text, tokens, t))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDeleteFrom(string text, List<SqlToken> tokens, int t) => t > 0 && IsWord(text, tokens[t - 1], "DELETE");

    /// <summary>
    /// A word in a predicate that names something the statement makes per row: a column, a
    /// relation (a subquery's), an alias. Not a function's name, a keyword of the predicate, a
    /// qualifier (the name after its dot is looked at), a type's name after <c>::</c> or AS, a
    /// typed literal's type (<c>DATE '…'</c>), or a collation's name.
    /// </summary>
    private static bool IsPerRowValue(string text, List<SqlToken> tokens, int t)
    {
        var token = tokens[t];
        if (token.Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return false;
        }

        var next = t + 1 < tokens.Count ? tokens[t + 1] : default;
        if (next.Kind is SqlTokenKind.OpenParen or SqlTokenKind.String || (next.Kind != SqlTokenKind.End && IsDot(text, next)))
        {
            return false;
        }

        // (c).ssn: the row in parentheses qualifies its field.
        if (next.Kind == SqlTokenKind.CloseParen && t > 0 && tokens[t - 1].Kind == SqlTokenKind.OpenParen && t + 2 < tokens.Count && IsDot(text, tokens[t + 2]))
        {
            return false;
        }

        if (t >= 2 && tokens[t - 1].Kind == SqlTokenKind.Other && text[tokens[t - 1].Start] == ':' && tokens[t - 2].Kind == SqlTokenKind.Other
            && text[tokens[t - 2].Start] == ':')
        {
            return false;
        }

        if (t >= 1 && tokens[t - 1].Kind == SqlTokenKind.Word && (IsWord(text, tokens[t - 1], "AS") || IsWord(text, tokens[t - 1], "COLLATE")))
        {
            return false;
        }

        return token.Kind == SqlTokenKind.QuotedIdentifier || !PredicateWords.Contains(Word(text, token).ToString());
    }

    /// <summary>
    /// Which tokens stand in a filter: a WHERE, a HAVING, a join's or a MERGE's ON (up to its WHEN
    /// MATCHED; not ON CONFLICT, not an index's or a grant's ON), an aggregate's FILTER (WHERE …),
    /// and everything within their parentheses, subqueries included.
    /// </summary>
    /// <param name="inFrom">Which tokens stand in a FROM clause (a from-item's name is no whole row used as a value).</param>
    private static bool[] FilterTokens(string text, List<SqlToken> tokens, TokenIndex index, out bool[] inFrom)
    {
        var inFilter = new bool[tokens.Count];
        inFrom = new bool[tokens.Count];
        var filter = new Stack<bool>();
        var joined = new Stack<bool>();
        var from = new Stack<bool>();
        var arguments = new Stack<bool>();
        arguments.Push(false);
        filter.Push(false);
        joined.Push(false);
        from.Push(false);
        for (var i = 0; i < tokens.Count; i++)
        {
            Spend();
            var token = tokens[i];
            switch (token.Kind)
            {
                case SqlTokenKind.Word:
                    UpdateClause(from, text, tokens, i, index);
                    var word = Word(text, token);
                    if (word.Equals("JOIN", StringComparison.OrdinalIgnoreCase) || word.Equals("USING", StringComparison.OrdinalIgnoreCase))
                    {
                        joined.Pop();
                        joined.Push(true);
                    }

                    var starts = word.Equals("WHERE", StringComparison.OrdinalIgnoreCase) || word.Equals("HAVING", StringComparison.OrdinalIgnoreCase)
                        || (word.Equals("ON", StringComparison.OrdinalIgnoreCase) && joined.Peek()
                            && !(i + 1 < tokens.Count && IsWord(text, tokens[i + 1], "CONFLICT")));
                    if (starts)
                    {
                        filter.Pop();
                        filter.Push(true);
                    }
                    else if ((IsClauseAfterFilter(word) && !IsFunctionName(text, tokens, i) && !arguments.Peek())
                        || (word.Equals("WHEN", StringComparison.OrdinalIgnoreCase) && i + 1 < tokens.Count
                            && (IsWord(text, tokens[i + 1], "MATCHED") || IsWord(text, tokens[i + 1], "NOT"))))
                    {
                        filter.Pop();
                        filter.Push(false);
                    }

                    break;
                case SqlTokenKind.OpenParen:
                    // The parenthesis stands where it opens: a function's in a FROM is a from-item.
                    inFilter[i] = filter.Peek();
                    inFrom[i] = from.Peek();
                    filter.Push(filter.Peek());
                    joined.Push(false);
                    from.Push(false);

                    // A function's arguments: substring(x FOR n), string_agg(x ORDER BY y) hold clause
                    // words that end no filter (review H3: FOR there let a filter go unread).
                    arguments.Push(i > 0 && tokens[i - 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                        && !(tokens[i - 1].Kind == SqlTokenKind.Word && NotFunctionNames.Contains(Word(text, tokens[i - 1]).ToString()))
                        && !(i + 1 < tokens.Count && IsWordIn(text, tokens[i + 1], QueryStarts)));
                    continue;
                case SqlTokenKind.CloseParen when filter.Count > 1:
                    filter.Pop();
                    joined.Pop();
                    from.Pop();
                    arguments.Pop();
                    break;
                case SqlTokenKind.Semicolon:
                    arguments.Clear();
                    arguments.Push(false);
                    filter.Clear();
                    filter.Push(false);
                    joined.Clear();
                    joined.Push(false);
                    from.Clear();
                    from.Push(false);
                    break;
            }

            inFilter[i] = filter.Peek();
            inFrom[i] = from.Peek();
        }

        return inFilter;
    }

    /// <summary>Words before a parenthesis that open no function's arguments.</summary>
    private static readonly HashSet<string> NotFunctionNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "IN", "EXISTS", "ANY", "SOME", "ALL", "AND", "OR", "NOT", "WHERE", "ON", "HAVING", "FILTER", "OVER", "AS", "USING", "VALUES",
        "LATERAL", "JOIN", "FROM", "SELECT", "WITH", "WHEN", "THEN", "ELSE", "BETWEEN", "LIKE", "ILIKE", "IS", "CASE", "RETURNING", "SET",
        "INTO", "BY", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "DISTINCT",
    };

    private static bool IsClauseAfterFilter(ReadOnlySpan<char> word)
    {
        foreach (var end in FilterEnds)
        {
            // HAVING filters too (its groups); the rest end a filter.
            if (!end.Equals("HAVING", StringComparison.Ordinal) && word.Equals(end, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The predicate the masked operand at <paramref name="m"/> stands in: climbing out of the
    /// function calls, arithmetic parentheses and subqueries (whose select list it is in) around it,
    /// to the level where AND, OR, the filter's start or its end bound it.
    /// </summary>
    private static (int From, int To) PredicateSpan(string text, List<SqlToken> tokens, TokenIndex index, int m, Dictionary<int, bool> expressions)
    {
        var (pos, lo, hi) = PredicateLevel(text, tokens, index, m, expressions);
        return LevelSpan(text, tokens, index, pos, lo, hi, PredicateEnds);
    }

    /// <summary>
    /// Where the predicate around <paramref name="m"/> stands: the operand's outermost expression, and
    /// its level's bounds. With <paramref name="inItsQuery"/>, not out of a subquery whose select list
    /// holds it: the level of its own select list or clause.
    /// </summary>
    /// <param name="expressions">What <see cref="IsInsideExpression"/> answered for parentheses that open no query, by their position.</param>
    private static (int Pos, int Lo, int Hi) PredicateLevel(
        string text, List<SqlToken> tokens, TokenIndex index, int m, Dictionary<int, bool> expressions, bool inItsQuery = false)
    {
        var pos = m;
        while (true)
        {
            Spend();
            var open = index.Enclosing(pos);
            var close = open < 0 ? -1 : index.Match(open);
            var hi = close < 0 ? tokens.Count - 1 : close - 1;
            var query = open >= 0 && open + 1 <= hi && IsWordIn(text, tokens[open + 1], QueryStarts);
            bool inside;
            if (open < 0 || (inItsQuery && query))
            {
                inside = false;
            }
            else if (query)
            {
                // A subquery's answer depends on where in it the operand stands.
                inside = IsInsideExpression(text, tokens, index, open, hi, pos);
            }
            else if (!expressions.TryGetValue(open, out inside))
            {
                expressions[open] = inside = IsInsideExpression(text, tokens, index, open, hi, pos);
            }

            if (inside)
            {
                pos = open;
                continue;
            }

            return (pos, open + 1, hi);
        }
    }

    /// <summary>
    /// The tokens around <paramref name="pos"/> at its level (parentheses within taken whole), up to
    /// the nearest of <paramref name="ends"/> on each side; a BETWEEN's AND is no end.
    /// </summary>
    private static (int From, int To) LevelSpan(string text, List<SqlToken> tokens, TokenIndex index, int pos, int lo, int hi, HashSet<string> ends)
    {
        var from = pos;
        for (var t = pos - 1; t >= lo; t--)
        {
            Spend();
            if (tokens[t].Kind == SqlTokenKind.CloseParen && index.Match(t) is var opened and >= 0 && opened >= lo)
            {
                from = t = opened;
                continue;
            }

            if (Ends(text, tokens, t, ends) && !(IsWord(text, tokens[t], "AND") && FollowsBetween(text, tokens, index, t, lo)))
            {
                break;
            }

            from = t;
        }

        var to = pos;
        var between = false;
        for (var t = pos; t <= hi; t++)
        {
            Spend();
            if (tokens[t].Kind == SqlTokenKind.OpenParen && index.Match(t) is var matched and > 0)
            {
                to = t = matched;
                continue;
            }

            if (IsWord(text, tokens[t], "BETWEEN"))
            {
                between = true;
            }
            else if (between && IsWord(text, tokens[t], "AND"))
            {
                between = false;
                to = t;
                continue;
            }
            else if (t > pos && Ends(text, tokens, t, ends))
            {
                break;
            }

            to = t;
        }

        return (from, to);
    }

    private static bool Ends(string text, List<SqlToken> tokens, int t, HashSet<string> ends) =>
        tokens[t].Kind is SqlTokenKind.Comma or SqlTokenKind.Semicolon
        || (tokens[t].Kind == SqlTokenKind.Word && ends.Contains(Word(text, tokens[t]).ToString()) && !IsFunctionName(text, tokens, t));

    /// <summary>LEFT and RIGHT before a parenthesis are functions (<c>left(ssn, 3)</c>; probe EA2), not a join's.</summary>
    private static bool IsFunctionName(string text, List<SqlToken> tokens, int t) =>
        t + 1 < tokens.Count && tokens[t + 1].Kind == SqlTokenKind.OpenParen && (IsWord(text, tokens[t], "LEFT") || IsWord(text, tokens[t], "RIGHT"));

    private static bool EndsPredicate(string text, List<SqlToken> tokens, int t) => Ends(text, tokens, t, PredicateEnds);

    /// <summary>The AND at <paramref name="and"/> closes a BETWEEN to its left at its level (<c>x BETWEEN a AND b</c>).</summary>
    private static bool FollowsBetween(string text, List<SqlToken> tokens, TokenIndex index, int and, int lo)
    {
        for (var t = and - 1; t >= lo; t--)
        {
            Spend();
            if (tokens[t].Kind == SqlTokenKind.CloseParen && index.Match(t) is var opened and >= 0)
            {
                t = opened;
                continue;
            }

            if (IsWord(text, tokens[t], "BETWEEN"))
            {
                return true;
            }

            if (EndsPredicate(text, tokens, t))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// The parentheses at <paramref name="open"/> are part of an expression around the operand at
    /// <paramref name="pos"/>, not a predicate's bounds: a function's arguments, a subquery whose
    /// filter the operand is not in, or a grouping with no AND or OR of its own.
    /// </summary>
    private static bool IsInsideExpression(string text, List<SqlToken> tokens, TokenIndex index, int open, int hi, int pos)
    {
        var first = open + 1;
        if (first <= hi && IsWordIn(text, tokens[first], QueryStarts))
        {
            // A subquery: the operand is in its select list (its value is the subquery's), unless a
            // filter of the subquery's own holds it: one after its first WHERE, ON or HAVING, found once.
            var filters = _firstFilters ??= [];
            if (!filters.TryGetValue(open, out var at))
            {
                at = int.MaxValue;
                for (var t = first; t <= hi; t++)
                {
                    Spend();
                    if (tokens[t].Kind == SqlTokenKind.OpenParen && index.Match(t) is var matched and > 0)
                    {
                        t = matched;
                        continue;
                    }

                    if (IsWord(text, tokens[t], "WHERE") || IsWord(text, tokens[t], "ON") || IsWord(text, tokens[t], "HAVING"))
                    {
                        at = t;
                        break;
                    }
                }

                filters[open] = at;
            }

            return at > pos;
        }

        if (open > 0 && IsWord(text, tokens[open - 1], "FILTER"))
        {
            // An aggregate's FILTER (WHERE …) is a filter of its own.
            return false;
        }

        if (open > 0 && tokens[open - 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && !EndsPredicate(text, tokens, open - 1)
            && !IsWord(text, tokens[open - 1], "NOT"))
        {
            return true;
        }

        for (var t = first; t <= hi; t++)
        {
            Spend();
            if (tokens[t].Kind == SqlTokenKind.OpenParen && index.Match(t) is var matched and > 0)
            {
                t = matched;
                continue;
            }

            if (IsWord(text, tokens[t], "AND") || IsWord(text, tokens[t], "OR"))
            {
                return false;
            }
        }

        return true;
    }
}
