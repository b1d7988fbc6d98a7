using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// Where a masked column may be named. Results are masked by following each result column back
/// to its table column, or whole when the statement that produced them names a masked column.
/// Neither holds once the value is copied somewhere else first: into a table or view
/// (<c>CREATE TABLE … AS</c>, <c>SELECT … INTO</c>, <c>INSERT … SELECT</c>, <c>UPDATE … SET x = ssn</c>),
/// a function or <c>DO</c> block (its results and notices come from a statement that names
/// nothing), or an SQL <c>PREPARE</c> (executed by a statement that names nothing). Such
/// statements are refused: the policy cannot be enforced on what they create. A cursor is
/// allowed over what a SELECT may read: the gateway masks a FETCH's rows with the DECLARE's text.
/// </summary>
internal sealed partial class Masker
{
    /// <summary>
    /// A cheap test on the raw statement before <see cref="FlowRefusal"/>: false when nothing in
    /// it can copy a masked column (see <see cref="FlowPrefilter"/>).
    /// </summary>
    public bool MayNameMaskedColumn(ReadOnlySpan<byte> sql) => HasColumnRules && _prefilter.MayMatter(sql);

    /// <summary>Null when no statement in <paramref name="sql"/> copies a masked column; otherwise why it is refused.</summary>
    /// <param name="unknownIsRefused">
    /// The connection's guardrails refuse every statement they cannot read: leave those to them,
    /// so the refusal says why (it could not be read) rather than what it might have copied.
    /// </param>
    /// <param name="relations">Tells which relations hold no masked column (a copy of all their columns is no copy of one); null: any may.</param>
    /// <param name="filtersOnly">
    /// Only the filters are read (<see cref="FilterQuestion"/>): the statement names no masked
    /// column, only a relation holding one, whose whole row a filter may use.
    /// </param>
    public string? FlowRefusal(string sql, bool unknownIsRefused = false, IColumnNameLookup? relations = null, bool filtersOnly = false)
    {
        var classification = SqlClassifier.Classify(sql);
        if (unknownIsRefused && classification.HasUnknown)
        {
            return null;
        }

        var statements = classification.Statements;
        for (var i = 0; i < statements.Count; i++)
        {
            var statement = statements[i];
            var text = statement.Text.ToString();
            var tokens = Tokens(text);
            if (filtersOnly)
            {
                if (FilterQuestion(text, tokens, relations) is { } row)
                {
                    return FilterRefusal(row);
                }

                continue;
            }

            if (FirstNamed(text, tokens, StatisticsViews) is { } view)
            {
                return $"the statistics view {view} holds sample values of every column, masked ones too, so it is not read through the gateway "
                    + "on a connection with masked columns";
            }

            if (FirstNamed(text, tokens, ActivityViews) is { } activity)
            {
                // Every session through the gateway runs as the connection's one upstream role, so
                // this view would show one person the statements (and their literals) of another.
                return $"{activity} shows the statements of every session on the connection, other people's included, so it is not read through "
                    + "the gateway on a connection with masked columns";
            }

            if (statement.Command is "CREATE FUNCTION" or "CREATE PROCEDURE" && (WritesOrKeeps(Nested(statements, i)) || BodyCallsSink(text, tokens)))
            {
                // A body that names no masked column passes the check above, and then takes one
                // as its argument: SELECT stash(ssn) … or WHERE stash(ssn) wrote every value to a
                // table; a wrapper of set_config kept one for current_setting (probe EF4, EI4).
                return "on a connection with masked columns a function or procedure that writes or keeps values (INSERT, UPDATE, DELETE, MERGE, COPY, "
                    + "NOTIFY, set_config and the like) is not created through the gateway: given a masked column, it would copy its values where "
                    + "masking cannot follow them";
            }

            if (relations is { SideChannelsMayHoldMasked: true } && statement.Kind is "INSERT" or "UPDATE" or "MERGE" or "CREATE" or "SELECT"
                && (statement.Kind != "SELECT" || SelectsInto(statement)) && ReadsSideChannel(text))
            {
                // Read back, such a value is masked whole; stored in a table, it would read back clear (probe DQ1).
                return "the statement stores a value read back from a setting, a sequence, a large object or a lock, where a function already in the "
                    + "database may have kept a masked column's value: its reads are masked whole, and a copy of one is not made through the gateway";
            }

            if (CopyNamedLikeCleanRelation(statement, text, tokens, relations) is { } shadowed)
            {
                return $"the statement copies rows that may hold masked columns into \"{shadowed}\", the name of a relation that holds none: "
                    + "the gateway knows relations by name, and would take the copy for that one; give the copy another name";
            }

            if (CopiedColumn(statement, text, tokens, Nested(statements, i), WithQueriesKnown(statements, i, relations)) is { } column)
            {
                if (column[0] == UnreadableMark)
                {
                    // Review L1: said as a copy, a refusal the reader could not make out sent people looking for one.
                    return $"the gateway cannot read where this write puts the masked column \"{column[1..]}\" ({Where(statement)}): a CASE, parenthesis "
                        + "or bracket left open or closed crosswise, a SET item without its \"=\", a number with letters glued to it, or a recursive "
                        + "query's SEARCH or CYCLE clause; write it plainly";
                }

                // A view's column, a composite column or a function's name: it holds a masked column under its own name.
                // A reason in parentheses is no column's name (probe DM7: it was quoted as one).
                var what = column.StartsWith('(')
                    ? $"a masked column {column}"
                    : _columns.Contains(column)
                        ? $"the masked column \"{column}\""
                        : $"\"{column}\", which may hold a masked column (a view's column, a column of a type holding one, or a function that may return one),";
                return $"the statement copies {what} into something the gateway cannot mask ({Where(statement)}); "
                    + "name the columns it copies, leaving the masked ones out"
                    // Probe AR2: a table made in this session got this refusal, which said nothing of why or what to do.
                    + (column == Renamed ? "; a relation created since this session logged in counts as holding one until the next login" : "");
            }

            if (FilterQuestion(text, tokens, relations) is { } asked)
            {
                return FilterRefusal(asked);
            }
        }

        return null;
    }

    private static string FilterRefusal((string Name, FilterQuestionKind Kind) asked)
    {
        var what = asked.Name is var name && name.Length > 0 ? $"the masked column \"{name}\" (or a whole row or view column holding one)" : "a masked column";
        return asked.Kind switch
        {
            FilterQuestionKind.TooComplex =>
                "the statement is too long or nested for the gateway to read its filters on masked columns in time; split it, or name "
                + "fewer masked columns in it",
            FilterQuestionKind.RowCount =>
                $"the number of rows would tell the value of {what}: a set-returning function (generate_series, unnest, …), a LIMIT or an "
                + "OFFSET is given it; masking cannot hide a count of rows, so the gateway does not run it",
            _ =>
                $"a filter compares {what} with values of other rows the statement makes (another relation's column, a function's rows, a "
                + "subquery), or in alternatives that put the answer in one: it would answer a question about each masked value per row (a join "
                + "with digits and positions reads them all); compare it with constants or parameters, or with another masked column",
        };
    }

    private static bool SelectsInto(SqlStatement select)
    {
        var text = select.Text.ToString();
        return HasTopLevelWord(text, Tokens(text), "INTO");
    }

    /// <summary>
    /// The statement with the masked columns that a parenthesized query names only to filter (its
    /// rows carry none, read as an INSERT's source is) renamed <c>gateway_filter</c>; null when there
    /// are none. Such a subquery gives the statement around it no masked value (probe DE5: INSERT …
    /// SELECT id FROM (SELECT id FROM customers WHERE ssn LIKE '1%') s was refused as a copy of ssn).
    /// Only the names go: a whole row of the query around it stays to be judged with the statement
    /// (review R1: (SELECT c::text WHERE c.ssn IS NOT NULL) FROM customers c, replaced whole, copied
    /// the rows). A query whose rows carry one is kept, and the queries inside it are read the same way.
    /// </summary>
    private string? WithoutCleanSubqueries(string text, List<SqlToken> tokens, IColumnNameLookup? relations)
    {
        List<int>? named = null;
        List<int>? filtered = null;
        TokenIndex? index = null;
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i].Kind != SqlTokenKind.OpenParen || !IsWordIn(text, tokens[i + 1], QueryStarts))
            {
                continue;
            }

            index ??= new TokenIndex(text, tokens);
            var close = index.Match(i);
            if (close < 0)
            {
                // Left open: the readers after this fail closed on it.
                return null;
            }

            named ??= NamedColumns(text, tokens, relations);
            var (open, end) = (i, close);
            if (named.Exists(n => n > open && n < end) && QueryCopy(text[tokens[i].End..tokens[close].Start], relations) is null)
            {
                (filtered ??= []).AddRange(named.Where(n => n > open && n < end));
                i = close;
            }
        }

        if (filtered is null)
        {
            return null;
        }

        var cleaned = new System.Text.StringBuilder(text.Length);
        var copied = 0;
        foreach (var n in filtered)
        {
            cleaned.Append(text, copied, tokens[n].Start - copied).Append(FilterPlaceholder);
            copied = tokens[n].Start + tokens[n].Length;
        }

        return cleaned.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>The statements found inside statement <paramref name="index"/> (deeper, right after it).</summary>
    private static IEnumerable<SqlStatement> Nested(IReadOnlyList<SqlStatement> statements, int index)
    {
        var depth = statements[index].Depth;
        for (var i = index + 1; i < statements.Count && statements[i].Depth > depth; i++)
        {
            yield return statements[i];
        }
    }

    private string? CopiedColumn(SqlStatement statement, string text, List<SqlToken> tokens, IEnumerable<SqlStatement> nested, IColumnNameLookup? relations)
    {
        if (IsRoutine(statement) && BodyMention(text, tokens) is { } inBody)
        {
            // Not every statement of a body is classified (RAISE, assignments): any mention in it counts.
            return inBody;
        }

        if (statement.Command == "CREATE TRIGGER" && StringNamesMaskedColumn(text, tokens))
        {
            // A trigger function's arguments name columns as strings: tsvector_update_trigger('tsv',
            // 'pg_catalog.simple', 'ssn') copied every new SSN into a column read back whole (probe EO3).
            return InTriggerArguments;
        }

        // A CREATE TABLE … AS that renames its query's columns keeps no masked name: its query is read
        // as an INSERT's source, whatever it names (probe DF1: WITH x AS (SELECT 1) TABLE customers
        // hid the TABLE from the check that finds it right after AS).
        // So is one whose query starts with a WITH list (DG2: WITH w AS (SELECT 1) TABLE td copied a
        // function-filled column under its own, clean name).
        if (statement.Command == "CREATE TABLE" && CreatedTableQuery(text, tokens) is { } created
            && (RenamesColumnsOfItsQuery(text, tokens) || StartsWithWithList(created)))
        {
            return QueryCopy(created, relations);
        }

        if (statement.Command == "CREATE TABLE" && CreatesTableFromExecute(text, tokens))
        {
            return Renamed;
        }

        if (WithoutCleanSubqueries(text, tokens, relations) is { } cleaned)
        {
            // Read again without them: what they name, they name only to filter.
            return CopiedColumn(statement, cleaned, Tokens(cleaned), nested, relations);
        }

        var named = NamedColumns(text, tokens, relations);
        if (named.Count == 0 && WritesUnnamedColumns(statement, text, tokens, relations))
        {
            return Renamed;
        }

        // Whole rows of relations the catalog knows to hold no masked column carry none (probe AR1:
        // CREATE VIEW … count(o.*) FROM orders o was refused as copying a masked column).
        if (named.Count == 0 && !Mentions(text, tokens, depth: 0, lookInStrings: false, relations: relations))
        {
            return null;
        }

        var first = named.Count > 0 ? Identifier(text, tokens[named[0]]) : Renamed;
        if (CallsSink(text, tokens))
        {
            // A value stored in a setting, a lock key or a large object is read back by a later
            // statement that names nothing.
            return first;
        }

        // The query of a COPY … TO is read like a SELECT: the gateway refuses every COPY … TO whose
        // rows it cannot mask by column (to a file or program, binary, several statements).
        // A cursor's query too: the gateway plans what a FETCH returns with the DECLARE's text
        // (SqlCursors), so its results are masked as the query's would be.
        if (statement.Origin is SqlStatementOrigin.MergeAction or SqlStatementOrigin.ConflictAction)
        {
            // Part of the MERGE or INSERT around it, whose whole text is judged (FirstSource): alone,
            // SET ssn = s.v reads as if s.v came from nowhere (probe CB4: refused as a copy).
            return null;
        }

        if (statement.Origin is not (SqlStatementOrigin.TopLevel or SqlStatementOrigin.With or SqlStatementOrigin.ExplainAnalyze
            or SqlStatementOrigin.Copy or SqlStatementOrigin.Cursor))
        {
            return first;
        }

        return statement.Kind switch
        {
            "SELECT" => !HasTopLevelWord(text, tokens, "INTO") ? null : SelectIntoQuery(text, tokens) is { } query ? QueryCopy(query, relations) : first,
            "VALUES" or "TABLE" or "EXPLAIN" or "SHOW" or "DELETE" or "COPY" => null,
            // Its query is judged as the statement after it (origin Cursor).
            "DECLARE" when statement.Origin == SqlStatementOrigin.TopLevel => null,
            // A SELECT … INTO after the list writes a table (review R2: judged alone, its WITH queries unknown, it copied one).
            "WITH" => nested.All(s => s.Kind is "VALUES" or "TABLE" or "DELETE" or "WITH" || s.Kind == "SELECT" && !SelectsInto(s))
                ? null : WithQueriesCopy(text, tokens, relations, first),
            // A COPY FROM, judged also as the INSERT it is, loads the client's rows: it reads none (probe
            // AK3: an option's string, WITH (NULL '\N'), was taken for the alias list of a from-item STDIN).
            "INSERT" when statement.Command == "COPY FROM" => null,
            "INSERT" or "UPDATE" or "MERGE" when named.Count == 0 => first,
            "INSERT" or "UPDATE" or "MERGE" => FirstSource(text, tokens, named) ?? UnnamedCopy(statement, text, tokens, named, relations),
            "CREATE" when statement.Command.EndsWith("INDEX", StringComparison.Ordinal) => null,
            "CREATE" or "ALTER" when OnlyDefinesColumns(text, tokens, named) => null,
            "CREATE" when statement.Command == "CREATE TABLE" && CreatedTableQuery(text, tokens) is { } query => QueryCopy(query, relations),
            _ => first,
        };
    }

    /// <summary>What a masked column's name is overwritten with to set it aside (<see cref="UnnamedCopy"/>).</summary>
    private const char SetAside = 'x';

    /// <summary>What a masked column a subquery names only to filter is renamed (<see cref="WithoutCleanSubqueries"/>).</summary>
    private const string FilterPlaceholder = "gateway_filter";

    /// <summary>
    /// With its masked names set aside, whether a write still reaches a masked column without its
    /// name: a whole row (<c>SET v = reverse(c::text)</c>) or an alias list (<c>customers AS c(i, f,
    /// e, p, s)</c>). A write that names one only in a filter was judged by its names alone, and
    /// copied the row or the renamed column (probe CW1, CW2); one that names none is judged so already.
    /// </summary>
    private string? UnnamedCopy(SqlStatement statement, string text, List<SqlToken> tokens, List<int> named, IColumnNameLookup? relations)
    {
        var blanked = new System.Text.StringBuilder(text);
        foreach (var mention in named)
        {
            for (var i = tokens[mention].Start; i < tokens[mention].End; i++)
            {
                blanked[i] = SetAside;
            }
        }

        var neutral = blanked.ToString();
        var neutralTokens = Tokens(neutral);
        return WritesUnnamedColumns(statement, neutral, neutralTokens, relations) || Mentions(neutral, neutralTokens, depth: 0, lookInStrings: false, relations: relations)
            ? Renamed
            : null;
    }

    /// <summary>
    /// <c>CREATE TABLE t (id int, ssn text)</c> or <c>ALTER TABLE t ADD COLUMN ssn text</c>: the
    /// masked names only name new, empty columns (probe HC2: refused as copying the column). Not
    /// when anything could fill them or read one: a query, a default, a generated expression, a
    /// check, a USING, a rename, LIKE or INHERITS (which copy definitions, defaults included).
    /// </summary>
    private static bool OnlyDefinesColumns(string text, List<SqlToken> tokens, List<int> named)
    {
        if (named.Count == 0 || tokens.Count < 3)
        {
            return false;
        }

        var create = IsWordAt(text, tokens, 0, "CREATE");
        var table = create
            ? tokens.FindIndex(t => IsWord(text, t, "TABLE")) is >= 1 and <= 4
            : IsWordAt(text, tokens, 0, "ALTER") && IsWordAt(text, tokens, 1, "TABLE");
        if (!table)
        {
            return false;
        }

        foreach (var token in tokens)
        {
            if (token.Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier or SqlTokenKind.OpenParen or SqlTokenKind.CloseParen
                or SqlTokenKind.Comma or SqlTokenKind.Other or SqlTokenKind.Number))
            {
                return false;
            }

            if (Array.Exists(FillingWords, w => IsWord(text, token, w)))
            {
                return false;
            }
        }

        // Each masked name starts a column's definition: after "(" or "," in CREATE, after ADD [COLUMN] in ALTER.
        return named.TrueForAll(i => i > 0 && (tokens[i - 1].Kind is SqlTokenKind.OpenParen or SqlTokenKind.Comma
            ? create
            : !create && (IsWordAt(text, tokens, i - 1, "COLUMN") || IsWordAt(text, tokens, i - 1, "ADD"))));
    }

    private static readonly string[] FillingWords =
        ["AS", "SELECT", "DEFAULT", "GENERATED", "CHECK", "USING", "RENAME", "LIKE", "INHERITS", "OF", "PARTITION", "EXECUTE", "TYPE", "EXCLUDE"];

    private static bool IsWordAt(string text, List<SqlToken> tokens, int index, string word) =>
        index >= 0 && index < tokens.Count && IsWord(text, tokens[index], word);

    /// <summary>
    /// Functions that keep a value beyond the statement, where a later one reads it back. The XML
    /// dumps run a query on the relation or cursor they are given: the relation's lock stays in
    /// <c>pg_locks</c> until the transaction ends and the cursor stays moved, so a relation or a
    /// count chosen from a masked value carries its digits to the next statement (probe DA-1).
    /// </summary>
    internal static readonly HashSet<string> Sinks = new(StringComparer.OrdinalIgnoreCase)
    {
        "set_config", "pg_advisory_lock", "pg_advisory_lock_shared", "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared",
        "pg_try_advisory_lock", "pg_try_advisory_lock_shared", "pg_try_advisory_xact_lock", "pg_try_advisory_xact_lock_shared",
        // Which keys are still held afterwards tells the value an unlock was given (probe DJ-2).
        "pg_advisory_unlock", "pg_advisory_unlock_shared",
        "lo_from_bytea", "lo_put", "lowrite", "lo_create", "lo_creat", "lo_import", "lo_export", "pg_notify", "dblink_exec", "pg_logical_emit_message",
        // A large object's position, size or existence set from the value: lo_tell, pg_largeobject_metadata read it back (DJ-3, DJ-4).
        "lo_open", "lo_close", "lo_lseek", "lo_lseek64", "lo_tell", "lo_tell64", "lo_truncate", "lo_truncate64", "loread", "lo_unlink", "lo_get",
        "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema", "query_to_xml", "query_to_xmlschema",
        "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema",
        // The next random() replays a seed taken from the value; a view's definition locks its relations (probe DF).
        "setseed", "pg_get_viewdef",
        // A sequence's value, a replication origin's or slot's name, a restore point's: each read back later (probe EJ3, EK2).
        "setval", "pg_replication_origin_create", "pg_replication_origin_advance", "pg_replication_origin_session_setup",
        "pg_create_restore_point", "pg_create_logical_replication_slot", "pg_create_physical_replication_slot",
        "pg_copy_logical_replication_slot", "pg_copy_physical_replication_slot",
        // A backup's label comes back from pg_backup_stop; an origin's transaction LSN from its status (probe EN3).
        "pg_backup_start", "pg_start_backup", "pg_replication_origin_xact_setup",
    };

    /// <summary>Statements of a routine's body that write, notify, or call a function that keeps a value.</summary>
    private static bool WritesOrKeeps(IEnumerable<SqlStatement> body) =>
        body.Any(s => s.Kind is "INSERT" or "UPDATE" or "DELETE" or "MERGE" or "COPY" or "CREATE" or "NOTIFY" or "TRUNCATE"
            || CallsSink(s.Text.ToString(), Tokens(s.Text.ToString())));

    /// <summary>A call of a function that keeps a value in a string of the statement (a body's PERFORM pg_notify(…)).</summary>
    private static bool BodyCallsSink(string text, List<SqlToken> tokens) =>
        tokens.Exists(t => t.IsStringLiteral && SqlLiteral.TryGetContent(text, t, out var content, out var from, out var to)
            && content.Substring(from, to - from) is var body && CallsSink(body, Tokens(body)));

    private static bool CallsSink(string text, List<SqlToken> tokens)
    {
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && tokens[i + 1].Kind == SqlTokenKind.OpenParen
                && Sinks.Contains(SqlLiteral.Identifier(text, tokens[i])))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What a refusal names for a body that reads a cursor.</summary>
    private const string CursorRows = "(a cursor's rows, FETCHed in a body)";

    [System.Text.RegularExpressions.GeneratedRegex(@"\bfetch\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex FetchWord();

    /// <summary>What a refusal names for a column named in a trigger function's arguments.</summary>
    private const string InTriggerArguments = "(named in a trigger function's arguments)";

    /// <summary>A string literal holding a masked column's name as a word (<c>'ssn'</c>, <c>'public.customers.ssn'</c>).</summary>
    private bool StringNamesMaskedColumn(string text, List<SqlToken> tokens) =>
        tokens.Exists(t => t.IsStringLiteral && SqlLiteral.TryGetContent(text, t, out var content, out var from, out var to)
            && content[from..to].Split([' ', '.', ',', '"', '(', ')', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries)
                .Any(word => _columns.Contains(word.ToLowerInvariant())));

    /// <summary>What a refusal names when the column was reached without its name (an alias list, a WITH column list, an escaped identifier, a whole row, *).</summary>
    private const string Renamed = "(reached without its name: an alias list, an escaped name, a whole row or *)";

    private static readonly string[] StatisticsViews = ["pg_stats", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic", "pg_statistic_ext_data"];

    private static readonly string[] ActivityViews = ["pg_stat_activity", "pg_stat_get_activity", "pg_stat_get_backend_activity", "pg_stat_statements", "pg_stat_statements_info"];

    /// <summary>
    /// The first of <paramref name="names"/> a statement names, if any: the planner's statistics
    /// views hold sample values of every column (histogram bounds, common values), the activity
    /// views other sessions' statements.
    /// </summary>
    private static string? FirstNamed(string text, List<SqlToken> tokens, string[] names)
    {
        foreach (var token in tokens)
        {
            if (token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && Array.IndexOf(names, SqlLiteral.Identifier(text, token)) >= 0)
            {
                return SqlLiteral.Identifier(text, token);
            }
        }

        return null;
    }

    private static bool IsRoutine(SqlStatement statement) =>
        statement.Kind == "DO" || statement.Command.Contains("FUNCTION", StringComparison.Ordinal)
        || statement.Command.Contains("PROCEDURE", StringComparison.Ordinal);

    /// <summary>
    /// A masked column reached inside the string literals of a routine (its body, the dynamic SQL
    /// in it), by name, alias list or escaped name, at any depth of quoting.
    /// </summary>
    private string? BodyMention(string text, List<SqlToken> tokens)
    {
        if (FetchWord().IsMatch(text))
        {
            // PL/pgSQL can FETCH from a cursor the session declared (by its name in a refcursor)
            // and print what it read: the gateway cannot follow those rows into the body.
            return CursorRows;
        }

        foreach (var token in tokens)
        {
            if (!token.IsStringLiteral)
            {
                continue;
            }

            if (!SqlLiteral.TryGetSqlContent(text, token, out var body, out var start, out var end))
            {
                return "(a body the gateway cannot read)";
            }

            var inner = body.Substring(start, end - start);
            var innerTokens = Tokens(inner);
            if (Mentions(inner, innerTokens, depth: 1, lookInStrings: true))
            {
                var named = NamedColumns(inner, innerTokens);
                return named.Count > 0 ? Identifier(inner, innerTokens[named[0]]) : Renamed;
            }
        }

        return null;
    }

    private static List<SqlToken> Tokens(string text) => Tokens(text, backslashQuotes: false, out _);

    private static List<SqlToken> Tokens(string text, bool backslashQuotes, out bool sawBackslash)
    {
        var tokens = new List<SqlToken>();
        var lexer = new SqlLexer(text, 0, text.Length, backslashQuotes);
        for (var token = lexer.Next(); token.Kind != SqlTokenKind.End; token = lexer.Next())
        {
            tokens.Add(token);
        }

        sawBackslash = lexer.SawBackslashInString;
        return tokens;
    }

    private List<int> NamedColumns(string text, List<SqlToken> tokens, IColumnNameLookup? relations = null)
    {
        var mentions = new List<int>();
        var renamed = RenamedMaskedColumns(text, tokens, relations);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && IsMaskedName(Identifier(text, tokens[i]), renamed))
            {
                mentions.Add(i);
            }
        }

        return mentions;
    }

    private static string Identifier(string text, SqlToken token) => SqlLiteral.Identifier(text, token);

    private static bool HasTopLevelWord(string text, List<SqlToken> tokens, string word) =>
        TopLevelWordIndex(text, tokens, word) < tokens.Count;

    /// <summary>The index of the first of <paramref name="words"/> outside parentheses, or the token count.</summary>
    private static int TopLevelWordIndex(string text, List<SqlToken> tokens, params string[] words)
    {
        var depth = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            switch (tokens[i].Kind)
            {
                case SqlTokenKind.OpenParen:
                    depth++;
                    break;
                case SqlTokenKind.CloseParen:
                    depth--;
                    break;
                case SqlTokenKind.Word when depth == 0:
                    var token = text.AsSpan(tokens[i].Start, tokens[i].Length);
                    foreach (var word in words)
                    {
                        if (token.Equals(word, StringComparison.OrdinalIgnoreCase))
                        {
                            return i;
                        }
                    }

                    break;
            }
        }

        return tokens.Count;
    }

    private static string Where(SqlStatement statement) => statement.Origin switch
    {
        SqlStatementOrigin.RoutineBody => "inside a function or DO block",
        SqlStatementOrigin.DynamicSql => "in dynamic SQL",
        SqlStatementOrigin.Cursor => "a cursor, fetched by a statement that names nothing",
        SqlStatementOrigin.Prepare or SqlStatementOrigin.Execute => "an SQL prepared statement, executed by a statement that names nothing",
        _ => statement.Command,
    };
}
