namespace Appliance.Policy.Sql;

/// <summary>
/// Classifies every statement of a query string, seeing through what runs other statements:
/// EXPLAIN ANALYZE, PREPARE/EXECUTE, data-modifying WITH queries, DO blocks and routine
/// bodies, cursors and COPY queries. When the text cannot be read with certainty the
/// statement is classified as unknown, which guardrails treat as possibly anything.
/// </summary>
internal static partial class SqlClassifier
{
    /// <summary>Wrappers and bodies nested deeper than this are not read: the statement is unknown.</summary>
    public const int MaxDepth = 32;

    public static SqlClassification Classify(string sql, SqlSession? session = null)
    {
        var context = new Context(session);
        ClassifyText(context, sql, 0, sql.Length, SqlStatementOrigin.TopLevel, depth: 0);
        return context.Output.Count == 0
            ? SqlClassification.Empty
            : new SqlClassification
            {
                Statements = context.Output,
                TopLevelCount = context.TopLevelCount,
                DependsOnSession = context.DependsOnSession,
                HasUnknown = context.Output.Exists(s => s.IsUnknown),
            };
    }

    /// <summary>
    /// Splits and classifies a text. When a plain string held a backslash, the text is read a
    /// second time as with <c>standard_conforming_strings = off</c> and statements that reading
    /// finds are added: whichever the server uses, no statement is missed. That includes a
    /// statement split the same way but read otherwise: <c>UPDATE t SET v = 'a' WHERE id = 1 --'</c>
    /// has no WHERE in that reading (probe UB2: it passed as bounded and changed every row). A second
    /// reading that ends inside an unterminated string is dropped: under that setting the server
    /// rejects the whole query before running any of it (<c>SELECT 'C:'</c> stays allowed).
    /// </summary>
    private static void ClassifyText(Context context, string source, int start, int end, SqlStatementOrigin origin, int depth)
    {
        var spans = SqlSplitter.Split(source, start, end, backslashQuotes: false, out var sawBackslash);
        foreach (var span in spans)
        {
            ClassifySpan(context, source, span, origin, depth);
        }

        if (!sawBackslash)
        {
            return;
        }

        var second = SqlSplitter.Split(source, start, end, backslashQuotes: true, out _);
        if (second.Exists(s => s.Unterminated))
        {
            return;
        }

        var mutates = context.MutatesSession;
        context.MutatesSession = false;
        foreach (var span in second)
        {
            if (!spans.Contains(span) || source.AsSpan(span.Start, span.End - span.Start).Contains('\\'))
            {
                ClassifySpan(context, source, span, origin, depth, backslashQuotes: true);
            }
        }

        context.MutatesSession = mutates;
    }

    private static void ClassifySpan(Context context, string source, SqlStatementSpan span, SqlStatementOrigin origin, int depth, bool backslashQuotes = false)
    {
        if (depth == 0)
        {
            context.TopLevelIndex = context.TopLevelCount++;
        }

        if (span.Unterminated || depth > MaxDepth)
        {
            context.AddUnknown(source.AsMemory(span.Start, span.End - span.Start), origin, depth);
            return;
        }

        var tokens = Tokenize(source, span.Start, span.End, backslashQuotes);
        if (HasUnicodeIdentifier(source, tokens))
        {
            context.AddUnknown(source.AsMemory(span.Start, span.End - span.Start), origin, depth);
        }

        if (tokens.Count > 0)
        {
            ClassifyTokens(context, new Statement(source, tokens, 0, tokens.Count), origin, depth);
        }
    }

    private static List<SqlToken> Tokenize(string source, int start, int end, bool backslashQuotes = false)
    {
        var tokens = new List<SqlToken>();
        var lexer = new SqlLexer(source, start, end, backslashQuotes);
        for (var token = lexer.Next(); token.Kind != SqlTokenKind.End; token = lexer.Next())
        {
            tokens.Add(token);
        }

        return tokens;
    }

    /// <summary>Classifies the tokens [From, To) as one statement and whatever it runs.</summary>
    private static void ClassifyTokens(Context context, Statement statement, SqlStatementOrigin origin, int depth)
    {
        if (depth > MaxDepth)
        {
            context.AddUnknown(statement.Text, origin, depth);
            return;
        }

        // A parenthesized query, "(SELECT 1) UNION (SELECT 2)", is classified by its first word.
        var first = statement.From;
        while (first < statement.To && statement.Tokens[first].Kind == SqlTokenKind.OpenParen)
        {
            first++;
        }

        if (first >= statement.To)
        {
            return;
        }

        var firstToken = statement.Tokens[first];
        if (!firstToken.IsWord && depth == 0 && firstToken.Kind is SqlTokenKind.Number or SqlTokenKind.String or SqlTokenKind.EscapeString
            or SqlTokenKind.DollarString or SqlTokenKind.Parameter or SqlTokenKind.Other or SqlTokenKind.Comma or SqlTokenKind.CloseParen)
        {
            // No statement of PostgreSQL's grammar starts with a literal or an operator: the server
            // answers it with a syntax error (42601) and runs nothing, as a mistyped word gets.
            context.Add(statement.Text, SqlKeywords.Invalid, SqlKeywords.Invalid, hasWhere: true, origin, depth);
            return;
        }

        if (!firstToken.IsWord)
        {
            context.AddUnknown(statement.Text, origin, depth);
            return;
        }

        var kind = SqlKeywords.ToUpper(statement.Word(first));
        if (MayChangeConnectionCheck(statement, kind))
        {
            context.Add(statement.Text, OutlivesSession, OutlivesSession, hasWhere: false, origin, depth);
        }

        switch (kind)
        {
            case "EXPLAIN":
                ClassifyExplain(context, statement, first, origin, depth);
                break;
            case "PREPARE":
                ClassifyPrepare(context, statement, first, origin, depth);
                break;
            case "EXECUTE":
                ClassifyExecute(context, statement, first, origin, depth);
                break;
            case "DEALLOCATE" or "DISCARD":
                ClassifyDeallocate(context, statement, first, kind, origin, depth);
                break;
            case "WITH":
                ClassifyWith(context, statement, first, origin, depth);
                break;
            case "DO":
                ClassifyDo(context, statement, first, origin, depth);
                break;
            case "DECLARE":
                ClassifyCursor(context, statement, first, origin, depth);
                break;
            case "COPY":
                ClassifyCopy(context, statement, first, origin, depth);
                break;
            default:
                ClassifyLeaf(context, statement, first, kind, origin, depth);
                break;
        }
    }

    /// <summary>A statement that runs nothing else but may hold data-modifying statements in parentheses.</summary>
    /// <summary>
    /// <c>CREATE SCHEMA s CREATE TABLE … CREATE VIEW … GRANT …</c>: each element after the schema's
    /// name is a statement of its own, judged as one (probe AC3: a rule on GRANT missed the GRANT
    /// of a schema element, and PUBLIC got the table).
    /// </summary>
    private static void ClassifySchemaElements(Context context, Statement statement, int first, SqlStatementOrigin origin, int depth)
    {
        var start = -1;
        for (var i = first + 2; i <= statement.To; i++)
        {
            // WITH GRANT OPTION is part of a GRANT, not a new one (probe AD4).
            var boundary = i == statement.To || statement.IsKeyword(i, "CREATE") || (statement.IsKeyword(i, "GRANT") && !statement.IsKeyword(i - 1, "WITH"));
            if (!boundary)
            {
                if (statement.Tokens[i].Kind == SqlTokenKind.OpenParen)
                {
                    i = statement.MatchingParen(i, statement.To);
                }

                continue;
            }

            if (start >= 0)
            {
                ClassifyTokens(context, statement.Slice(start, i), origin, depth + 1);
            }

            start = i;
        }
    }

    private static void ClassifyLeaf(Context context, Statement statement, int first, string kind, SqlStatementOrigin origin, int depth)
    {
        var command = CommandName(statement, first, kind);
        context.Add(statement.Text, kind, command, HasTopLevelWhere(statement, first, context.BodyNames), origin, depth);
        if (MayAliasAFunction(command) && NamesFunctionReadByName(statement, first))
        {
            context.AddUnknown(statement.Text, origin, depth);
        }

        if (kind is "UPDATE" or "INSERT" or "DELETE" or "MERGE" or "TRUNCATE" && WritesCatalog(statement, first, kind))
        {
            context.Add(statement.Text, CatalogWrite, CatalogWrite, hasWhere: false, origin, depth);
        }

        if (command is "CREATE FOREIGN TABLE" or "ALTER FOREIGN TABLE" or "CREATE SERVER" or "ALTER SERVER" or "IMPORT"
            && HasFileOptions(statement, first))
        {
            context.Add(statement.Text, ServerFiles, ServerFiles, hasWhere: false, origin, depth);
        }
        if (command == "CREATE SCHEMA")
        {
            ClassifySchemaElements(context, statement, first, origin, depth);
        }

        if (command is "ALTER TABLE" or "ALTER FOREIGN TABLE" or "ALTER TYPE" && DropsColumn(statement, first))
        {
            // Dropping a column destroys its data as DROP TABLE does a table's: a rule on DROP covers it.
            context.Add(statement.Text, "DROP", "DROP COLUMN", hasWhere: false, origin, depth);
        }

        if (kind is "GRANT" or "REVOKE" && !HasTopLevelWord(statement, first, "ON"))
        {
            // GRANT role TO …, REVOKE role FROM …: role membership, not privileges on an object.
            context.Add(statement.Text, kind, kind + " ROLE", hasWhere: false, origin, depth);
        }

        if (command is "ALTER TABLE" or "ALTER FOREIGN TABLE" && RewritesColumn(statement, first) is { } rewrite)
        {
            // ALTER COLUMN c TYPE t [USING expr] converts every row's c (USING NULL wipes it, a
            // narrower numeric rounds it, date drops the time: probe AM): an UPDATE without
            // WHERE, for the rules on those.
            context.Add(statement.Text, "UPDATE", rewrite, hasWhere: false, origin, depth);
        }

        if (command is "CREATE FUNCTION" or "CREATE PROCEDURE")
        {
            ClassifyRoutineBody(context, statement, first, depth + 1);
        }
        else if (command == "CREATE RULE")
        {
            ClassifyRuleAction(context, statement, first, depth + 1);
        }
        else if (kind == "MERGE")
        {
            ClassifyMergeActions(context, statement, first, depth + 1);
        }
        else if (kind == "INSERT")
        {
            ClassifyConflictUpdate(context, statement, first, depth + 1);
        }

        ScanParenthesizedWrites(context, statement, first + 1, statement.To, depth + 1);
    }

    /// <summary>
    /// An ALTER TABLE (or TYPE) action <c>DROP [COLUMN | ATTRIBUTE] [IF EXISTS] name</c>: a DROP at
    /// the statement's own level not followed by what only drops a property or a constraint
    /// (<c>ALTER COLUMN c DROP DEFAULT</c>, <c>DROP NOT NULL</c>, <c>DROP CONSTRAINT</c>).
    /// </summary>
    private static bool DropsColumn(Statement statement, int first)
    {
        var nesting = 0;
        for (var i = first + 1; i < statement.To - 1; i++)
        {
            var token = statement.Tokens[i];
            if (token.Kind == SqlTokenKind.OpenParen)
            {
                nesting++;
            }
            else if (token.Kind == SqlTokenKind.CloseParen)
            {
                nesting--;
            }
            else if (nesting == 0 && token.IsWord && SqlKeywords.Is(statement.Word(i), "DROP")
                && !DropsProperty(statement, i + 1))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasTopLevelWord(Statement statement, int first, string keyword)
    {
        var nesting = 0;
        for (var i = first + 1; i < statement.To; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting == 0 && statement.IsKeyword(i, keyword))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// An ALTER TABLE action <c>ALTER [COLUMN] c [SET DATA] TYPE t [USING expr]</c> at the
    /// statement's own level: <c>ALTER COLUMN TYPE USING</c> or <c>ALTER COLUMN TYPE</c>; null for
    /// none (a column named <c>type</c>, <c>ALTER COLUMN type SET NOT NULL</c>, is no such action).
    /// </summary>
    private static string? RewritesColumn(Statement statement, int first)
    {
        var nesting = 0;
        string? rewrite = null;
        for (var i = first + 1; i < statement.To; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting != 0 || kind != SqlTokenKind.Word)
            {
                continue;
            }

            if (statement.IsKeyword(i, "ALTER") && ColumnTypeAt(statement, i + 1) is { } type)
            {
                rewrite ??= "ALTER COLUMN TYPE";
                i = type;
            }
            else if (rewrite is not null && statement.IsKeyword(i, "USING") && !statement.IsKeyword(i + 1, "INDEX"))
            {
                return "ALTER COLUMN TYPE USING";
            }
        }

        return rewrite;
    }

    /// <summary>Where <c>TYPE</c> is when <c>[COLUMN] name [SET DATA] TYPE</c> starts at <paramref name="i"/>; null otherwise.</summary>
    private static int? ColumnTypeAt(Statement statement, int i)
    {
        if (statement.IsKeyword(i, "COLUMN"))
        {
            i++;
        }

        if (i >= statement.To || statement.Tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return null;
        }

        i++;
        if (statement.IsKeyword(i, "SET") && statement.IsKeyword(i + 1, "DATA"))
        {
            i += 2;
        }

        return statement.IsKeyword(i, "TYPE") ? i : null;
    }

    private static bool DropsProperty(Statement statement, int i) =>
        statement.IsKeyword(i, "DEFAULT") || statement.IsKeyword(i, "NOT") || statement.IsKeyword(i, "IDENTITY")
        || statement.IsKeyword(i, "EXPRESSION") || statement.IsKeyword(i, "CONSTRAINT");

    /// <summary>
    /// A WHERE at the statement's own parenthesis level that can limit rows (SqlClassifier.Where.cs);
    /// subqueries, strings and comments don't count.
    /// </summary>
    /// <param name="bodyNames">
    /// The names a PL/pgSQL body around the statement gives its variables, labels and aliases: one
    /// spelled like the target may be what <c>t.id</c> means (probe BA1: under
    /// <c>#variable_conflict use_variable</c>, a block labelled <c>&lt;&lt;t&gt;&gt;</c> made
    /// <c>DELETE FROM t WHERE t.id &gt; 0</c> delete every row), so it is not taken for the target.
    /// </param>
    private static bool HasTopLevelWhere(Statement statement, int first, HashSet<string>? bodyNames = null)
    {
        var level = first - statement.From;
        var nesting = level;

        // The relations a DELETE … USING or an UPDATE … FROM joins to its target.
        var joined = statement.IsKeyword(first, "DELETE") ? "USING" : statement.IsKeyword(first, "UPDATE") ? "FROM" : null;
        var targets = TargetNames(statement, first);
        if (targets is not null && bodyNames is not null)
        {
            targets.ExceptWith(bodyNames);
        }

        // A rule's or a trigger's NEW and OLD are the row that fired it, not the target's (probe AM1:
        // a rule ON INSERT … DO ALSO DELETE FROM t WHERE NEW.id > 0 emptied t unreviewed).
        var others = RowsThatFired(targets);
        if (bodyNames is not null && targets is not null)
        {
            // A body's variables and parameters, written bare too (WHERE k > 0 with a parameter k:
            // probe BB4), are one value for every row, as NEW is.
            others.UnionWith(bodyNames);
        }

        var joinedRead = false;
        for (var i = first; i < statement.To; i++)
        {
            var token = statement.Tokens[i];
            switch (token.Kind)
            {
                case SqlTokenKind.OpenParen:
                    nesting++;
                    break;
                case SqlTokenKind.CloseParen:
                    nesting--;
                    break;
                case SqlTokenKind.Word when nesting == level && joined is not null && !joinedRead && SqlKeywords.Is(statement.Word(i), joined):
                    joinedRead = true;
                    others.UnionWith(JoinedRelations(statement, i + 1));
                    break;
                case SqlTokenKind.Word when nesting == level && SqlKeywords.Is(statement.Word(i), "WHERE"):
                    return WhereLimitsRows(statement, i + 1, others, targets);
            }
        }

        return false;
    }

    /// <summary>
    /// The name and alias of the table a DELETE or UPDATE at <paramref name="first"/> writes; null
    /// for other statements. A column they qualify is the target's; one another name qualifies
    /// (a loop's record, <c>WHERE id = r.id</c>: probe AK1) is not.
    /// </summary>
    private static HashSet<string>? TargetNames(Statement statement, int first)
    {
        var i = statement.IsKeyword(first, "DELETE") && statement.IsKeyword(first + 1, "FROM") ? first + 2
            : statement.IsKeyword(first, "UPDATE") ? first + 1 : -1;
        if (i < 0 || i >= statement.To)
        {
            return null;
        }

        if (statement.IsKeyword(i, "ONLY"))
        {
            i++;
        }

        if (i >= statement.To || statement.Tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return null;
        }

        // The alias if it has one, else the name: PostgreSQL hides the table's name behind its
        // alias (probe BB1: in DELETE FROM pz.t x, t.id is no column of the target).
        var names = new HashSet<string>(StringComparer.Ordinal);
        AddFromItems(statement, i, statement.To, names);
        return names;
    }

    /// <summary>NEW and OLD, unless the target is so named or aliased.</summary>
    private static HashSet<string> RowsThatFired(HashSet<string>? targets)
    {
        var rows = new HashSet<string>(StringComparer.Ordinal) { "new", "old" };
        if (targets is not null)
        {
            rows.ExceptWith(targets);
        }

        return rows;
    }

    /// <summary>
    /// <c>(INSERT INTO …)</c>, <c>(UPDATE t …)</c>, <c>(DELETE FROM …)</c>, <c>(MERGE INTO …)</c> in
    /// parentheses: data-modifying WITH queries, wherever they appear; and the SQL text given to
    /// functions that run it (<c>query_to_xml('…')</c>).
    /// </summary>
    private static void ScanParenthesizedWrites(Context context, Statement statement, int from, int to, int depth)
    {
        for (var i = from; i < to - 1; i++)
        {
            if (statement.Tokens[i].Kind == SqlTokenKind.OpenParen && i > from && IsServerFileCall(statement, i))
            {
                var call = statement.Slice(i - 1, Math.Min(statement.MatchingParen(i, to) + 1, to));
                context.Add(call.Text, ServerFiles, ServerFiles, hasWhere: false, SqlStatementOrigin.With, depth);
            }

            if (statement.Tokens[i].Kind != SqlTokenKind.OpenParen
                || (i > from && TryClassifySqlTextCall(context, statement, i, depth))
                || !IsWriteStart(statement, i + 1, to))
            {
                continue;
            }

            var close = statement.MatchingParen(i, to);
            ClassifyTokens(context, statement.Slice(i + 1, close), SqlStatementOrigin.With, depth);
            i = close;
        }
    }

    /// <summary>INSERT INTO, DELETE FROM, MERGE INTO or UPDATE followed by a table name.</summary>
    private static bool IsWriteStart(Statement statement, int i, int to)
    {
        if (!statement.Tokens[i].IsWord || i + 1 >= to)
        {
            return false;
        }

        var keyword = SqlKeywords.AsKeyword(statement.Word(i));
        var next = statement.Tokens[i + 1];
        var nextKeyword = next.IsWord ? SqlKeywords.AsKeyword(statement.Word(i + 1)) : null;
        return keyword switch
        {
            "INSERT" or "MERGE" => nextKeyword == "INTO",
            "DELETE" => nextKeyword == "FROM",
            "UPDATE" => next.Kind == SqlTokenKind.QuotedIdentifier
                || (next.IsWord && nextKeyword is not ("SET" or "ON" or "OF" or "OR" or "NOWAIT" or "SKIP" or "CASCADE"
                    or "RESTRICT" or "NO" or "TO" or "FROM" or "AND")),
            _ => false,
        };
    }

    /// <summary>The kind plus, for CREATE/ALTER/DROP, the object type: <c>CREATE FUNCTION</c>, <c>DROP FOREIGN TABLE</c>.</summary>
    private static string CommandName(Statement statement, int first, string kind)
    {
        if (kind is not ("CREATE" or "ALTER" or "DROP"))
        {
            return kind;
        }

        List<string>? words = null;
        for (var i = first + 1; i < statement.To && statement.Tokens[i].IsWord; i++)
        {
            var keyword = SqlKeywords.AsKeyword(statement.Word(i));
            if (keyword is null)
            {
                break;
            }

            if (SqlKeywords.ObjectTypes.Contains(keyword))
            {
                (words ??= [kind]).Add(keyword);
            }
            else if (words is not null || !SqlKeywords.CommandModifiers.Contains(keyword))
            {
                break;
            }
        }

        return words is null ? kind : string.Join(' ', words);
    }

    /// <summary>A statement as a token range over its source text.</summary>
    private readonly record struct Statement(string Source, List<SqlToken> Tokens, int From, int To)
    {
        public ReadOnlyMemory<char> Text =>
            From >= To ? ReadOnlyMemory<char>.Empty : Source.AsMemory(Tokens[From].Start, Tokens[To - 1].End - Tokens[From].Start);

        public ReadOnlySpan<char> Word(int i) => Source.AsSpan(Tokens[i].Start, Tokens[i].Length);

        public bool IsKeyword(int i, string keyword) =>
            i < To && Tokens[i].IsWord && SqlKeywords.Is(Word(i), keyword);

        public Statement Slice(int from, int to) => this with { From = from, To = to };

        /// <summary>The index of the ')' closing the '(' at <paramref name="open"/>, or <paramref name="to"/>.</summary>
        public int MatchingParen(int open, int to)
        {
            var nesting = 0;
            for (var i = open; i < to; i++)
            {
                var kind = Tokens[i].Kind;
                if (kind == SqlTokenKind.OpenParen)
                {
                    nesting++;
                }
                else if (kind == SqlTokenKind.CloseParen && --nesting == 0)
                {
                    return i;
                }
            }

            return to;
        }
    }

    private sealed class Context(SqlSession? session)
    {
        public List<SqlStatement> Output { get; } = [];

        public SqlSession? Session { get; } = session;

        public bool MutatesSession { get; set; } = true;

        public bool DependsOnSession { get; set; }

        public int TopLevelIndex { get; set; }

        public int TopLevelCount { get; set; }

        /// <summary>The variables, labels and aliases of the PL/pgSQL bodies being read (SqlClassifier.BodyNames).</summary>
        public HashSet<string>? BodyNames { get; set; }

        public void Add(ReadOnlyMemory<char> text, string kind, string command, bool hasWhere, SqlStatementOrigin origin, int depth) =>
            Output.Add(new SqlStatement
            {
                Text = text,
                Kind = kind,
                Command = command,
                HasWhere = hasWhere,
                Origin = origin,
                TopLevelIndex = TopLevelIndex,
                Depth = depth,
            });

        public void AddUnknown(ReadOnlyMemory<char> text, SqlStatementOrigin origin, int depth) =>
            Add(text, SqlKeywords.Unknown, SqlKeywords.Unknown, hasWhere: false, origin, depth);
    }
}
