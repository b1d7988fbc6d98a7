using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// Whether a statement may carry a masked column's values into something computed, so that
/// computed results, error texts and notices of the statement are masked whole (failing closed).
/// A masked column can be reached without its name: a column alias list renames a table's
/// columns (<c>FROM customers t(id, n, e, p, s)</c>, also on a subquery), a WITH query's column
/// list does the same, and a Unicode-escaped identifier (<c>U&amp;"\0073sn"</c>) spells the name
/// in other bytes; text handed to something that runs it (<c>query_to_xml('select ssn …')</c>)
/// names it inside a string; a whole-row reference (<c>SELECT c FROM customers c</c>) carries
/// it unnamed (Masker.WholeRows.cs). Each of these counts as naming a masked column.
/// </summary>
internal sealed partial class Masker
{
    private const int MaxStringDepth = 4;

    internal bool MentionsMaskedColumn(string statement) => HasColumnRules && EitherReading(statement, ignoreFilters: false, relations: null);

    /// <summary>
    /// The names under which the views the statement names carry masked columns (a view made in
    /// the database, <c>SELECT ssn AS s</c>: <c>translate(s, …)</c> computes on it, probe OA1);
    /// null when it names none. Wherever the view's name stands, its columns count: a name is
    /// read the same in every clause.
    /// </summary>
    private static HashSet<string>? RenamedMaskedColumns(string text, List<SqlToken> tokens, IColumnNameLookup? relations)
    {
        HashSet<string>? renamed = null;
        if (relations is not { HasMaskedColumnsUnderOtherNames: true })
        {
            return null;
        }

        foreach (var token in tokens)
        {
            if (token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && relations.MaskedColumnsUnderOtherNames(SqlLiteral.Identifier(text, token)) is { } columns)
            {
                (renamed ??= new HashSet<string>(StringComparer.Ordinal)).UnionWith(columns);
            }
        }

        return renamed;
    }

    /// <summary>A masked column's name, or a name a view the statement reads gives one.</summary>
    private bool IsMaskedName(string identifier, HashSet<string>? renamed) => _columns.Contains(identifier) || renamed?.Contains(identifier) == true;

    /// <summary>
    /// Whether an error or notice of the statement may quote a masked column's value though the
    /// statement names none: it names a relation that holds one (a NOT NULL or CHECK violation's
    /// "Failing row contains (…)", an ON CONFLICT's row, an index expression's error while REINDEX,
    /// CLUSTER or VACUUM FULL rebuilds it: probe EO1, EO5), or it is maintenance whose objects it
    /// does not name as relations (ALTER DOMAIN … VALIDATE quotes a stored value, EO4).
    /// </summary>
    internal bool MayQuoteMaskedValues(string statement, IColumnNameLookup relations)
    {
        if (!HasColumnRules)
        {
            return false;
        }

        var tokens = Tokens(statement);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                continue;
            }

            if (i == 0 && token.Kind == SqlTokenKind.Word && Word(statement, token) is var first
                && (first.Equals("ALTER", StringComparison.OrdinalIgnoreCase) && tokens.Count > 1 && Word(statement, tokens[1]).Equals("DOMAIN", StringComparison.OrdinalIgnoreCase)
                    || first.Equals("REINDEX", StringComparison.OrdinalIgnoreCase) || first.Equals("CLUSTER", StringComparison.OrdinalIgnoreCase)
                    || first.Equals("VACUUM", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }

            if (relations.RelationHasMaskedColumn(SqlLiteral.Identifier(statement, token)) == true)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// As <see cref="MentionsMaskedColumn"/>, but a masked column named only in a WHERE clause
    /// or a join condition (ON, USING) does not count: a filter decides which rows come back, no value of it reaches a result
    /// column, so <c>SELECT count(*) … WHERE ssn IS NOT NULL</c> keeps its count. (Errors and
    /// stored values are judged by <see cref="MentionsMaskedColumn"/>: a WHERE can raise or store.)
    /// </summary>
    /// <param name="relations">Tells which relations' whole rows carry no masked column (a whole-row reference to them does not count); null: every one counts.</param>
    /// <remarks>
    /// Except in an EXPLAIN: its plan prints the filters, with what PostgreSQL folded into them (an
    /// IMMUTABLE function's result as a constant), so there a filter's mention counts too (probe DC1:
    /// <c>EXPLAIN SELECT 1 FROM t WHERE x &lt;&gt; translate(card_of(1), …)</c> printed the card).
    /// </remarks>
    internal bool MentionsMaskedColumnInResults(string statement, IColumnNameLookup? relations = null)
    {
        if (!HasColumnRules)
        {
            return false;
        }

        // An EXPLAIN's plan also prints the values PostgreSQL computes for what the statement does not
        // name: a default an INSERT fills (probe DD1: EXPLAIN VERBOSE INSERT … printed the SSN a
        // function gave its default). A relation with such a column, or a renaming view, counts.
        var explain = ExplainWord().IsMatch(statement);
        return EitherReading(statement, ignoreFilters: !explain, relations)
            || explain && (NamesRenamingView(statement, Tokens(statement), relations) || ExplainsWriteVerbosely(statement))
            || ReturnsEveryColumnOfMaskedRelation(statement, relations)
            || relations is { SideChannelsMayHoldMasked: true } && ReadsSideChannel(statement);
    }

    /// <summary>
    /// Whether <paramref name="text"/> names what may read back a kept value (<see cref="SideChannelWord"/>),
    /// besides a SHOW of a setting that holds no free text: an isolation level, an encoding, a
    /// server's version. Such a setting takes only the values of its kind, so it cannot keep a masked
    /// column's, and drivers read them to work: pgjdbc's getTransactionIsolation() sends
    /// <c>SHOW TRANSACTION ISOLATION LEVEL</c>, and took its masked answer for READ COMMITTED (probe DQ6).
    /// A SHOW reads the server's own setting, unlike a call, which a function of the session's schema may shadow.
    /// </summary>
    internal static bool ReadsSideChannel(string text) =>
        SideChannelWord().IsMatch(text) && SideChannelWord().IsMatch(ShowOfFixedKindSetting().Replace(text, " "));

    [System.Text.RegularExpressions.GeneratedRegex(
        @"(?<![\w$.""])show\s+(?:transaction\s+isolation\s+level|""?(?:transaction_isolation|default_transaction_isolation|transaction_read_only|default_transaction_read_only|transaction_deferrable|default_transaction_deferrable|standard_conforming_strings|server_version|server_version_num|server_encoding|client_encoding|integer_datetimes|is_superuser|max_identifier_length|datestyle|intervalstyle)""?)\s*(?:;|$)",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex ShowOfFixedKindSetting();

    /// <summary>
    /// What reads back a value a function already in the database may have kept, where the catalog
    /// says one does (probe DP1, DP3, DP4: set_config, setval, lo_from_bytea from a trigger): a
    /// setting, a sequence's value, a large object, a lock's key, the next random number. Read so,
    /// its computed and origin-less columns are masked whole (SHOW's too).
    /// </summary>
    [System.Text.RegularExpressions.GeneratedRegex(
        @"\b(current_setting|pg_settings|show|currval|lastval|pg_sequence_last_value|last_value|pg_sequences|lo_get|loread|lo_tell|lo_tell64|pg_largeobject|pg_largeobject_metadata|pg_locks|random|pg_replication_origin_status|pg_replication_slots)\b",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex SideChannelWord();

    /// <summary>
    /// A RETURNING list's <c>*</c> (or <c>t.*</c>) in a statement naming a relation that holds a
    /// masked column: a write a rule rewrites returns the rule's RETURNING values without their
    /// origin (table OID 0), where a plain write's columns keep theirs (probe DL4, DN1: DELETE …
    /// RETURNING * through ON DELETE DO INSTEAD UPDATE … RETURNING gave a filled column in clear).
    /// </summary>
    private static bool ReturnsEveryColumnOfMaskedRelation(string statement, IColumnNameLookup? relations)
    {
        if (relations is null || statement.IndexOf("returning", StringComparison.OrdinalIgnoreCase) < 0)
        {
            return false;
        }

        var tokens = Tokens(statement);
        var returning = false;
        var star = false;
        for (var i = 0; i < tokens.Count && !star; i++)
        {
            returning |= tokens[i].Kind == SqlTokenKind.Word && Word(statement, tokens[i]).Equals("RETURNING", StringComparison.OrdinalIgnoreCase);
            star = returning && tokens[i].Kind == SqlTokenKind.Other && SelectsUnnamedColumns(statement, tokens, i);
        }

        return star && tokens.Exists(t => t.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
            && relations.RelationHasMaskedColumn(SqlLiteral.Identifier(statement, t)) == true);
    }

    /// <summary>
    /// An EXPLAIN VERBOSE of an INSERT, UPDATE, MERGE or DELETE: its Output lines hold the values the
    /// write would store, defaults included, also those of a table it reaches through a view or a
    /// rule that it does not name (probe DE2; DF5: a DELETE whose rule inserts instead). Masked
    /// whole, as nothing tells which table that is.
    /// </summary>
    /// <remarks>An EXECUTE runs a prepared statement whose text is not here (probe DG3: EXPLAIN (VERBOSE) EXECUTE p(1) of an INSERT).</remarks>
    private static bool ExplainsWriteVerbosely(string statement) => VerboseWord().IsMatch(statement) && WriteWord().IsMatch(statement);

    [System.Text.RegularExpressions.GeneratedRegex(@"\bverbose\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex VerboseWord();

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(insert|update|merge|delete|execute)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex WriteWord();

    [System.Text.RegularExpressions.GeneratedRegex(@"\bexplain\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex ExplainWord();

    /// <summary>
    /// Read as lexed with <c>standard_conforming_strings</c> on and, when a plain string holds a
    /// backslash, also as with it off, where <c>'\''</c> does not end the string, so that what is
    /// a string in one reading is SQL in the other (<c>'\'' , ssn , '''</c>). A reading that ends
    /// inside an unterminated string is one the server rejects whole.
    /// </summary>
    private bool EitherReading(string statement, bool ignoreFilters, IColumnNameLookup? relations)
    {
        if (Mentions(statement, Tokens(statement, backslashQuotes: false, out var sawBackslash), depth: 0, lookInStrings: true, ignoreFilters, relations))
        {
            return true;
        }

        if (!sawBackslash)
        {
            return false;
        }

        var other = Tokens(statement, backslashQuotes: true, out _);
        return !other.Exists(t => t.Unterminated) && Mentions(statement, other, depth: 0, lookInStrings: true, ignoreFilters, relations);
    }

    /// <param name="lookInStrings">Whether text in string literals counts (it may be SQL something runs); a write of text that merely contains a column's name is no copy.</param>
    /// <param name="ignoreFilters">Whether what stands in a WHERE clause or join condition (and their subqueries) is left out.</param>
    private bool Mentions(string text, int depth, bool lookInStrings, bool ignoreFilters = false) =>
        Mentions(text, Tokens(text), depth, lookInStrings, ignoreFilters);

    private bool Mentions(string text, List<SqlToken> tokens, int depth, bool lookInStrings, bool ignoreFilters = false, IColumnNameLookup? relations = null)
    {
        var index = new TokenIndex(text, tokens);
        var rowSources = RowSourceNames(text, tokens, relations, index, out var relationOf);
        var renamed = RenamedMaskedColumns(text, tokens, relations);
        var setOperation = HasSetOperation(text, tokens);
        var inFrom = new Stack<bool>();
        var inWhere = new Stack<bool>();

        // Whether the parentheses a token stands in opened inside a filter (WHERE id IN (SELECT ssn …)):
        // there a SELECT starts a subquery whose select list only filters too.
        var inheritedFilter = new Stack<bool>();
        inFrom.Push(false);
        inWhere.Push(false);
        inheritedFilter.Push(false);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var counts = !(ignoreFilters && inWhere.Peek());
            switch (token.Kind)
            {
                case SqlTokenKind.QuotedIdentifier when counts && token.Length > 1 && text[token.Start] is 'u' or 'U':
                    return true;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when counts && IsMaskedName(SqlLiteral.Identifier(text, token), renamed)
                    && !(i > 0 && IsOutputName(text, tokens, i, index)):
                    // count(*) AS ssn names an output column, which is masked by its name; it reads no column.
                    return true;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when counts && rowSources is not null && !inFrom.Peek()
                    && IsWholeRowUse(text, tokens, i, rowSources, index, relationOf, relations):
                    return true;
                case SqlTokenKind.Other or SqlTokenKind.Word when counts && (depth > 0 || setOperation) && SelectsUnnamedColumns(text, tokens, i):
                    // In a routine body or SQL text, rows read by * or TABLE go into variables
                    // (FOR r IN SELECT * …) that no RowDescription ever describes; in a UNION,
                    // INTERSECT or EXCEPT they take the names of the first branch's columns.
                    return true;
                case SqlTokenKind.Word when counts && i + 1 < tokens.Count && tokens[i + 1].Kind == SqlTokenKind.OpenParen
                    && (DumpFunctions.Contains(Word(text, token).ToString()) || SqlClassifier.PastesFragments(SqlLiteral.Identifier(text, token))):
                    // connectby and xpath_table paste a relation and a whole row of it from separate
                    // arguments into the SELECT they run, which no string read alone shows (probe DW1:
                    // xpath_table(…, 'translate(c::text, …)', 'customers c', …) gave rows out in clear).
                    return true;
                case SqlTokenKind.Word:
                    UpdateClause(inFrom, text, tokens, i, index);
                    UpdateFilter(inWhere, text, tokens, i);
                    if (!inheritedFilter.Peek() && Word(text, token).Equals("SELECT", StringComparison.OrdinalIgnoreCase))
                    {
                        // A new select list outside any filter: whatever came before it at this level
                        // (a recursive query's CYCLE … USING path) filtered nothing that follows.
                        inWhere.Pop();
                        inWhere.Push(false);
                    }

                    break;
                case SqlTokenKind.OpenParen:
                    if (counts && ((inFrom.Peek() && IsAliasColumnList(text, tokens, i, index)) || IsWithColumnList(text, tokens, i, index)))
                    {
                        return true;
                    }

                    inFrom.Push(false);
                    inheritedFilter.Push(inWhere.Peek());
                    inWhere.Push(inWhere.Peek());
                    break;
                case SqlTokenKind.CloseParen when inFrom.Count > 1:
                    inFrom.Pop();
                    inWhere.Pop();
                    inheritedFilter.Pop();
                    break;
                case SqlTokenKind.Semicolon:
                    inFrom.Pop();
                    inFrom.Push(false);
                    inWhere.Pop();
                    inWhere.Push(false);
                    break;
                case SqlTokenKind.Comma:
                    // A comma after a join condition starts the next from-item (a LATERAL subquery's
                    // columns are results); inside a filter's own parentheses it only stops skipping early.
                    inWhere.Pop();
                    inWhere.Push(false);
                    break;
                case SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.DollarString when counts && lookInStrings && depth < MaxStringDepth:
                    if (token.Kind == SqlTokenKind.String && text.AsSpan(token.Start, token.Length).Contains('\\'))
                    {
                        // '\163sn' is ssn to a session with standard_conforming_strings off: both contents count.
                        if ((SqlLiteral.TryGetContent(text, token, out var asWritten, out var from, out var to)
                                && MentionsInText(asWritten.Substring(from, to - from), depth))
                            || (SqlLiteral.DecodeForDetection(text, token) is { } decoded && MentionsInText(decoded, depth)))
                        {
                            return true;
                        }

                        break;
                    }

                    if (!SqlLiteral.TryGetSqlContent(text, token, out var body, out var start, out var end))
                    {
                        break;
                    }

                    if (LooksLikeSql(body.AsSpan(start, end - start)) && Mentions(body.Substring(start, end - start), depth + 1, lookInStrings))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>Text in a string that reads as SQL naming a masked column.</summary>
    private bool MentionsInText(string content, int depth) => LooksLikeSql(content) && Mentions(content, depth + 1, lookInStrings: true);

    /// <summary>Words after which no filter goes on at their level: the next clause (a new select list: Mentions).</summary>
    private static readonly string[] FilterEnds =
        ["GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "RETURNING", "FOR",
         "JOIN", "CROSS", "INNER", "LEFT", "RIGHT", "FULL", "NATURAL"];

    /// <summary>
    /// WHERE, and a join's ON or USING, open a filter at this parenthesis depth; the clauses that
    /// may follow close it.
    /// </summary>
    private static void UpdateFilter(Stack<bool> inWhere, string text, List<SqlToken> tokens, int i)
    {
        var word = Word(text, tokens[i]);

        // SELECT DISTINCT ON (a) b, c: the ON starts no join condition, and what follows is the select list.
        var distinctOn = word.Equals("ON", StringComparison.OrdinalIgnoreCase) && i > 0 && tokens[i - 1].Kind == SqlTokenKind.Word
            && Word(text, tokens[i - 1]).Equals("DISTINCT", StringComparison.OrdinalIgnoreCase);

        // No USING starts a filter: a join's USING (ssn) merges the two columns into one output column
        // (a join alias, USING (ssn) AS j, hands it on as j's row), and any other USING (a recursive
        // query's CYCLE … USING path, ORDER BY … USING <) filters nothing.
        if (!distinctOn && (word.Equals("WHERE", StringComparison.OrdinalIgnoreCase) || word.Equals("ON", StringComparison.OrdinalIgnoreCase)))
        {
            inWhere.Pop();
            inWhere.Push(true);
            return;
        }

        foreach (var end in FilterEnds)
        {
            if (word.Equals(end, StringComparison.OrdinalIgnoreCase))
            {
                inWhere.Pop();
                inWhere.Push(false);
                return;
            }
        }
    }

    private static ReadOnlySpan<char> Word(string text, SqlToken token) => text.AsSpan(token.Start, token.Length);

    /// <summary>Functions that return whole tables, schemas or query results as one value: no column of theirs can be followed.</summary>
    internal static readonly HashSet<string> DumpFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema", "query_to_xml", "query_to_xmlschema",
        "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema", "schema_to_xml", "schema_to_xmlschema",
        "schema_to_xml_and_xmlschema", "database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema",
    };

    private static readonly string[] QueryWords = ["SELECT", "TABLE", "FROM", "WITH", "VALUES", "EXECUTE", "RETURNING"];

    /// <summary>
    /// Text something may run as a query (<c>query_to_xml('select …')</c>, dynamic SQL), as opposed
    /// to a label or a value that happens to contain a column's name.
    /// </summary>
    private static bool LooksLikeSql(ReadOnlySpan<char> content)
    {
        foreach (var range in content.SplitAny(" \t\r\n(),;"))
        {
            var word = content[range];
            foreach (var query in QueryWords)
            {
                if (word.Equals(query, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>FROM and JOIN open a from-list at this parenthesis depth; the clauses after it close it.</summary>
    private static void UpdateClause(Stack<bool> inFrom, string text, List<SqlToken> tokens, int i, TokenIndex index)
    {
        var word = Word(text, tokens[i]);
        if ((word.Equals("FROM", StringComparison.OrdinalIgnoreCase) && !IsArgumentFrom(text, tokens, i, index))
            || word.Equals("JOIN", StringComparison.OrdinalIgnoreCase)
            || (word.Equals("USING", StringComparison.OrdinalIgnoreCase) && StartsFromItem(text, tokens, i + 1, index)))
        {
            inFrom.Pop();
            inFrom.Push(true);
        }
        else if (IsClauseEnd(word) || EndsForQuery(text, tokens, i))
        {
            inFrom.Pop();
            inFrom.Push(false);
        }
    }

    /// <summary>Words that may follow a from-item's alias in SQL.</summary>
    private static readonly HashSet<string> AfterAlias = new(StringComparer.OrdinalIgnoreCase)
    {
        "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "OFFSET", "FETCH", "FOR", "UNION", "INTERSECT", "EXCEPT", "JOIN",
        "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "ON", "USING", "TABLESAMPLE", "RETURNING", "SET", "INTO", "WHEN", "THEN",
        "AS", "WITH",
    };

    private static readonly HashSet<string> FromItemStarts = new(StringComparer.OrdinalIgnoreCase) { "FROM", "JOIN", "LATERAL", "ONLY", "USING" };

    /// <summary>
    /// PL/pgSQL's LOOP after a FOR's query (<c>FOR r IN SELECT id FROM orders LOOP RAISE …</c>):
    /// after a from-item, before a word that no alias is followed by in SQL. Read as an alias, it
    /// kept the FROM open over the loop's statements, whose words became from-items and
    /// <c>SELECT id</c> a whole row (probe AK2). Where it ends the FROM, it is still taken for an
    /// alias too (RowSourceNames): <c>SELECT loop FROM customers loop LOOP</c>.
    /// </summary>
    private static bool EndsForQuery(string text, List<SqlToken> tokens, int i) =>
        i > 0 && i + 1 < tokens.Count && IsWord(text, tokens[i], "LOOP")
        && (tokens[i - 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier or SqlTokenKind.CloseParen)
        && !IsWordIn(text, tokens[i - 1], FromItemStarts)
        && tokens[i + 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && !IsWordIn(text, tokens[i + 1], AfterAlias);

    /// <summary>
    /// After USING: a from-item (<c>MERGE INTO t USING [ONLY | LATERAL] customers c</c>, <c>DELETE …
    /// USING customers c</c>, a subquery, a parenthesized join) rather than a join's column list
    /// (<c>JOIN … USING (id)</c>), whose names MERGE's actions would otherwise read unnoticed
    /// (probes AS, AT).
    /// </summary>
    private static bool StartsFromItem(string text, List<SqlToken> tokens, int i, TokenIndex index)
    {
        if (i >= tokens.Count)
        {
            return false;
        }

        if (tokens[i].Kind == SqlTokenKind.OpenParen)
        {
            if (StartsQuery(text, tokens, i + 1))
            {
                return true;
            }

            // (customers c JOIN orders o ON …): a join in parentheses; a column list holds no JOIN.
            var close = index.Match(i);
            for (var j = i + 1; j < (close < 0 ? tokens.Count : close); j++)
            {
                if (IsWord(text, tokens[j], "JOIN"))
                {
                    return true;
                }
            }

            return false;
        }

        return IsWord(text, tokens[i], "ONLY") || IsWord(text, tokens[i], "LATERAL") || IsPlainName(text, tokens, i);
    }

    private static readonly HashSet<string> FunctionsWithFromArguments = new(StringComparer.OrdinalIgnoreCase) { "EXTRACT", "SUBSTRING", "TRIM", "OVERLAY" };

    /// <summary>
    /// A FROM that starts no from-list: <c>IS [NOT] DISTINCT FROM</c>, and an argument of the
    /// SQL-standard call syntax, <c>extract(year FROM placed_at)</c>, <c>substring(s FROM 2)</c>,
    /// <c>trim(BOTH 'x' FROM s)</c>, <c>overlay(s PLACING t FROM 2)</c>: read as a clause, the
    /// column after it passed for a relation, and a later use of that column for a whole row.
    /// </summary>
    private static bool IsArgumentFrom(string text, List<SqlToken> tokens, int i, TokenIndex index)
    {
        // IS [NOT] DISTINCT FROM; SELECT DISTINCT FROM t (no columns) starts a from-list.
        if (i > 1 && tokens[i - 1].Kind == SqlTokenKind.Word && Word(text, tokens[i - 1]).Equals("DISTINCT", StringComparison.OrdinalIgnoreCase)
            && tokens[i - 2].Kind == SqlTokenKind.Word
            && (Word(text, tokens[i - 2]).Equals("IS", StringComparison.OrdinalIgnoreCase) || Word(text, tokens[i - 2]).Equals("NOT", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        return EnclosingCall(tokens, i, index) is var call and >= 0 && FunctionsWithFromArguments.Contains(Word(text, tokens[call]).ToString());
    }

    /// <summary>The word called with the parentheses around token <paramref name="i"/> (<c>extract</c> in <c>extract(year FROM x)</c>), or -1.</summary>
    private static int EnclosingCall(List<SqlToken> tokens, int i, TokenIndex index) =>
        index.Enclosing(i) is var open and > 0 && tokens[open - 1].Kind == SqlTokenKind.Word ? open - 1 : -1;

    private static bool IsClauseEnd(ReadOnlySpan<char> word)
    {
        foreach (var end in ClauseEnds)
        {
            if (word.Equals(end, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Keywords a parenthesis follows in a from-list that are not an alias: <c>FROM (</c>, <c>JOIN LATERAL (</c>, <c>ON (</c>…</summary>
    private static readonly HashSet<string> NotAnAlias = new(StringComparer.OrdinalIgnoreCase)
    {
        "FROM", "JOIN", "LATERAL", "ONLY", "ON", "USING", "IN", "EXISTS", "ANY", "ALL", "SOME", "AS", "NOT", "AND", "OR",
        "WHERE", "SELECT", "VALUES", "ROWS", "CROSS", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "NATURAL", "WITH", "UNION",
        "EXCEPT", "INTERSECT", "CASE", "WHEN", "THEN", "ELSE", "ARRAY", "ROW", "FILTER", "OVER", "WITHIN", "TABLESAMPLE", "ORDINALITY",
    };

    private static readonly string[] ClauseEnds =
        ["WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "SELECT", "RETURNING", "SET", "VALUES", "ON", "USING", "FOR", "FETCH"];

    /// <summary>
    /// <c>rel alias (</c> or <c>rel AS alias (</c> in a from-list: the parenthesis renames columns.
    /// A function in the from-list (<c>FROM f(1)</c>, <c>, f(1)</c>, <c>LATERAL f(1)</c>) is not one.
    /// </summary>
    private static bool IsAliasColumnList(string text, List<SqlToken> tokens, int open, TokenIndex index)
    {
        if (open < 2 || tokens[open - 1].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
            || (tokens[open - 1].Kind == SqlTokenKind.Word && NotAnAlias.Contains(Word(text, tokens[open - 1]).ToString())))
        {
            return false;
        }

        // Only what starts a from-item or qualifies a name makes the parenthesis a function's:
        // FROM f(…), , f(…), LATERAL f(…), schema.f(…). After a relation's name (or `*`) it renames
        // that relation's columns, which may be masked ones. After a parenthesized item it renames
        // a subquery's columns, which carry masked ones unnamed only through `*` or TABLE; a
        // function's (generate_series(…) g(i), VALUES v(a, b)) come from its arguments, where a
        // masked column would be named. So do a function's WITH ORDINALITY (probe DT2:
        // unnest(tags) WITH ORDINALITY AS t(tag, pos) was read as renaming a relation's columns, and
        // psql's \d masked a table's triggers with it).
        var before = open >= 3 && tokens[open - 2].Kind == SqlTokenKind.Word && Word(text, tokens[open - 2]).Equals("AS", StringComparison.OrdinalIgnoreCase)
            ? open - 3
            : open - 2;
        var token = tokens[before];
        return token.Kind switch
        {
            SqlTokenKind.Comma or SqlTokenKind.OpenParen => false,
            SqlTokenKind.CloseParen => SubqueryPassesColumnsUnnamed(text, tokens, before, index),
            SqlTokenKind.Other => !text.AsSpan(token.Start, token.Length).SequenceEqual("."),
            SqlTokenKind.Word => !IsFromItemStart(Word(text, token)) && !Word(text, token).Equals("ORDINALITY", StringComparison.OrdinalIgnoreCase),
            _ => true,
        };
    }

    /// <summary>
    /// Whether the parenthesized item closing at <paramref name="close"/> is a query (not a
    /// function's arguments) holding a <c>*</c> or TABLE: columns that pass through it unnamed.
    /// </summary>
    private static bool SubqueryPassesColumnsUnnamed(string text, List<SqlToken> tokens, int close, TokenIndex index)
    {
        var open = index.Match(close);

        if (open <= 0 || tokens[open - 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && !IsFromItemStart(Word(text, tokens[open - 1]))
            && !Word(text, tokens[open - 1]).Equals("AS", StringComparison.OrdinalIgnoreCase))
        {
            // f(…) AS g(…): a function's result columns.
            return open < 0;
        }

        // A parenthesized join ((customers CROSS JOIN x) AS j(a, b, …)) passes its relations' columns as they are.
        return !StartsQuery(text, tokens, open + 1) || index.PassesColumnsUnnamed(open + 1, close);
    }

    private static readonly HashSet<string> QueryStarts = new(StringComparer.OrdinalIgnoreCase) { "SELECT", "WITH", "VALUES", "TABLE" };

    private static bool StartsQuery(string text, List<SqlToken> tokens, int i) =>
        i < tokens.Count && (tokens[i].Kind == SqlTokenKind.OpenParen || IsWordIn(text, tokens[i], QueryStarts));

    /// <summary>
    /// Where the WITH query's parenthesized body that starts at or after <paramref name="from"/>
    /// ends (past NOT MATERIALIZED); the statement's end when it has none.
    /// </summary>
    private static int WithQueryEnd(List<SqlToken> tokens, int from, TokenIndex index)
    {
        for (var i = from; i < tokens.Count; i++)
        {
            if (tokens[i].Kind == SqlTokenKind.OpenParen)
            {
                return index.Match(i) is var close and >= 0 ? close : tokens.Count;
            }

            if (tokens[i].Kind == SqlTokenKind.CloseParen)
            {
                break;
            }
        }

        return tokens.Count;
    }

    /// <summary>Words a from-item follows; USING only where <see cref="StartsFromItem"/> says so (MERGE, DELETE), not a join's column list.</summary>
    private static bool IsFromItemStart(ReadOnlySpan<char> word) =>
        word.Equals("FROM", StringComparison.OrdinalIgnoreCase) || word.Equals("JOIN", StringComparison.OrdinalIgnoreCase)
        || word.Equals("LATERAL", StringComparison.OrdinalIgnoreCase) || word.Equals("ONLY", StringComparison.OrdinalIgnoreCase)
        || word.Equals("USING", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>WITH name (a, b) AS (…)</c>: the parenthesis after a WITH query's name renames its columns.</summary>
    private static bool IsWithColumnList(string text, List<SqlToken> tokens, int open, TokenIndex index)
    {
        if (open < 1 || tokens[open - 1].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return false;
        }

        var j = index.Match(open);
        var isColumnList = j >= 0 && j + 2 < tokens.Count && tokens[j + 1].Kind == SqlTokenKind.Word
            && Word(text, tokens[j + 1]).Equals("AS", StringComparison.OrdinalIgnoreCase)
            && (tokens[j + 2].Kind == SqlTokenKind.OpenParen
                || Word(text, tokens[j + 2]).Equals("MATERIALIZED", StringComparison.OrdinalIgnoreCase)
                || Word(text, tokens[j + 2]).Equals("NOT", StringComparison.OrdinalIgnoreCase));

        // The list renames the WITH query's columns: masked ones pass through it unnamed only by `*` or TABLE.
        return isColumnList && index.PassesColumnsUnnamed(j + 2, WithQueryEnd(tokens, j + 2, index));
    }
}
