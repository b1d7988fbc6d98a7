using System.Collections.Frozen;

namespace Appliance.Policy.Sql;

/// <summary>
/// DO blocks and function or procedure bodies. PL/pgSQL wraps statements in block syntax
/// (<c>BEGIN</c>, <c>IF … THEN</c>, <c>LOOP</c>, labels), so a body is split at <c>;</c> and each
/// piece is searched for words that start a statement; strings handed to a dynamic
/// <c>EXECUTE</c> are classified as SQL too. This reads more than runs (fail closed): a word
/// that only looks like a statement start is filtered by what stands around it.
/// </summary>
internal static partial class SqlClassifier
{
    /// <summary>
    /// The kind of the entry holding a body written in string pieces, joined: its statement's own
    /// text does not hold it whole, so text-only rules read this entry too.
    /// </summary>
    internal const string JoinedBody = "BODY";

    /// <summary>Words that start a statement worth a guardrail when found inside a body.</summary>
    private static readonly FrozenSet<string> BodyStatementStarts = FrozenSet.Create(
        StringComparer.Ordinal,
        "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "DROP", "ALTER", "CREATE", "GRANT",
        "REVOKE", "COPY", "CALL", "DO", "REINDEX", "VACUUM", "CLUSTER", "LOCK", "REFRESH", "REASSIGN",
        "SECURITY", "COMMENT", "IMPORT", "LOAD", "PREPARE", "DEALLOCATE", "DISCARD");

    /// <summary>After these words, a statement keyword is part of a clause: <c>ON DELETE</c>, <c>FOR UPDATE</c>, <c>AS delete</c>.</summary>
    private static readonly FrozenSet<string> ClausePrefixes = FrozenSet.Create(
        StringComparer.Ordinal,
        "ON", "OR", "OF", "FOR", "KEY", "BEFORE", "AFTER", "GRANT", "REVOKE", "AS", "UNION", "INTERSECT", "EXCEPT");

    /// <summary><c>DO [LANGUAGE name] body</c>: the first string is the body.</summary>
    private static void ClassifyDo(Context context, Statement statement, int first, SqlStatementOrigin origin, int depth)
    {
        context.Add(statement.Text, "DO", "DO", hasWhere: false, origin, depth);
        FailClosedOnUnreadLanguage(context, statement, first, depth + 1);
        for (var i = first + 1; i < statement.To; i++)
        {
            if (statement.Tokens[i].IsStringLiteral)
            {
                ClassifyBodyLiteral(context, statement, i, depth + 1);
                return;
            }
        }
    }

    /// <summary>
    /// A routine's body: <c>AS 'body'</c> / <c>AS $$body$$</c>, or a SQL-standard
    /// <c>BEGIN ATOMIC … END</c> (which the splitter kept in one piece).
    /// </summary>
    private static void ClassifyRoutineBody(Context context, Statement statement, int first, int depth)
    {
        FailClosedOnUnreadLanguage(context, statement, first, depth);
        var outerNames = context.BodyNames;
        context.BodyNames = SignatureNames(statement, first, outerNames);
        try
        {
            ClassifyRoutineBodies(context, statement, first, depth);
        }
        finally
        {
            context.BodyNames = outerNames;
        }
    }

    /// <summary>
    /// The routine's name and every word of its parameter list and of a <c>RETURNS TABLE (…)</c>:
    /// in its body they name parameters (<c>f.id</c>, <c>t.id</c> for a parameter <c>t</c>), one
    /// value for every row (probe BB1: <c>DELETE FROM pz.t x WHERE t.id &gt; 0</c> in a function
    /// taking <c>t pz.t</c> emptied the table unreviewed). A type's name taken too only makes more
    /// writes count as unbounded.
    /// </summary>
    private static HashSet<string> SignatureNames(Statement statement, int first, HashSet<string>? outer)
    {
        var names = outer is null ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(outer, StringComparer.Ordinal);
        var i = first + 1;
        while (i < statement.To && !(statement.IsKeyword(i, "FUNCTION") || statement.IsKeyword(i, "PROCEDURE")))
        {
            i++;
        }

        if (i + 1 >= statement.To)
        {
            return names;
        }

        var name = DottedNameEnd(statement, i + 1, statement.To);
        names.Add(SqlLiteral.Identifier(statement.Source, statement.Tokens[name]));

        // A SQL function's RETURNS TABLE columns are no names in its body (probe BC4: a column
        // id of the table was taken for one, and WHERE id = p_id held).
        var sql = RoutineLanguage(statement, first) == "sql";
        for (var j = name + 1; j < statement.To; j++)
        {
            if (statement.Tokens[j].Kind != SqlTokenKind.OpenParen || !(j == name + 1 || (!sql && statement.IsKeyword(j - 1, "TABLE"))))
            {
                continue;
            }

            var close = statement.MatchingParen(j, statement.To);
            AddParameterNames(statement, j + 1, close, names);
            j = close;
        }

        return names;
    }

    private static readonly HashSet<string> ParameterModes = new(StringComparer.OrdinalIgnoreCase) { "IN", "OUT", "INOUT", "VARIADIC" };

    /// <summary>
    /// <c>[mode] [name] type [DEFAULT …]</c>, separated by commas: each name, not the types
    /// (probe BC3: a parameter of type pz.t made t.id no column of the table pz.t).
    /// </summary>
    private static void AddParameterNames(Statement statement, int from, int to, HashSet<string> names)
    {
        var start = from;
        for (var k = from; k <= to; k++)
        {
            if (k < to && statement.Tokens[k].Kind == SqlTokenKind.OpenParen)
            {
                k = statement.MatchingParen(k, to);
                continue;
            }

            if (k < to && statement.Tokens[k].Kind != SqlTokenKind.Comma)
            {
                continue;
            }

            var first = start;
            if (first < k && statement.Tokens[first].IsWord && ParameterModes.Contains(statement.Word(first).ToString()))
            {
                first++;
            }

            // A name is followed by its type's first word; a type alone by its dot, bracket, parenthesis or the end.
            if (first + 1 < k && statement.Tokens[first].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && statement.Tokens[first + 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && !statement.IsKeyword(first + 1, "DEFAULT"))
            {
                names.Add(SqlLiteral.Identifier(statement.Source, statement.Tokens[first]));
            }

            start = k + 1;
        }
    }

    /// <summary>The routine's LANGUAGE, lower case; null when not given.</summary>
    private static string? RoutineLanguage(Statement statement, int first)
    {
        var nesting = 0;
        for (var i = first + 1; i < statement.To - 1; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting == 0 && statement.IsKeyword(i, "LANGUAGE"))
            {
                var name = statement.Tokens[i + 1];
                return name.IsStringLiteral && SqlLiteral.TryGetContent(statement.Source, name, out var text, out var start, out var end)
                    ? text[start..end].ToLowerInvariant()
                    : SqlLiteral.Identifier(statement.Source, name).ToLowerInvariant();
            }
        }

        return null;
    }

    private static void ClassifyRoutineBodies(Context context, Statement statement, int first, int depth)
    {
        var nesting = 0;
        for (var i = first + 1; i < statement.To; i++)
        {
            var token = statement.Tokens[i];
            nesting += token.Kind == SqlTokenKind.OpenParen ? 1 : token.Kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting != 0 || !token.IsWord)
            {
                continue;
            }

            if (SqlKeywords.Is(statement.Word(i), "AS") && i + 1 < statement.To && statement.Tokens[i + 1].IsStringLiteral)
            {
                ClassifyBodyLiteral(context, statement, i + 1, depth);
                i++;
            }
            else if (SqlKeywords.Is(statement.Word(i), "BEGIN") && statement.IsKeyword(i + 1, "ATOMIC") && i + 2 < statement.To)
            {
                var source = statement.Source;
                ClassifyBody(context, source, statement.Tokens[i + 2].Start, statement.Tokens[statement.To - 1].End, depth);
                return;
            }
        }
    }

    /// <summary>
    /// A body in a language other than SQL and PL/pgSQL (<c>LANGUAGE plperl</c>, <c>pltcl</c>,
    /// <c>plpython3u</c>, <c>c</c>…) is code this classifier does not read: what it runs is
    /// unknown, and any rule refuses it (fail closed).
    /// </summary>
    private static void FailClosedOnUnreadLanguage(Context context, Statement statement, int first, int depth)
    {
        if (RoutineLanguage(statement, first) is { } language && language is not ("sql" or "plpgsql"))
        {
            context.AddUnknown(statement.Text, SqlStatementOrigin.RoutineBody, depth);
        }
    }

    /// <summary>
    /// <c>CREATE RULE … DO [ALSO | INSTEAD] command</c>: the command runs whenever the rule fires.
    /// Parenthesized commands are found as data-modifying statements in parentheses.
    /// </summary>
    private static void ClassifyRuleAction(Context context, Statement statement, int first, int depth)
    {
        var nesting = 0;
        for (var i = first + 1; i < statement.To; i++)
        {
            var kind = statement.Tokens[i].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting != 0 || !statement.IsKeyword(i, "DO"))
            {
                continue;
            }

            var action = i + 1;
            if (statement.IsKeyword(action, "ALSO") || statement.IsKeyword(action, "INSTEAD"))
            {
                action++;
            }

            if (action < statement.To && statement.Tokens[action].IsWord && !statement.IsKeyword(action, "NOTHING"))
            {
                ClassifyTokens(context, statement.Slice(action, statement.To), SqlStatementOrigin.RoutineBody, depth);
            }

            return;
        }
    }

    private static void ClassifyBodyLiteral(Context context, Statement statement, int literal, int depth)
    {
        var token = statement.Tokens[literal];
        if (SqlLiteral.TryGetSqlContent(statement.Source, token, out var text, out var start, out var end))
        {
            // Escapes spell a body's words differently from the raw text regular expressions read
            // (E'pg\137sleep'), and not every body statement is classified (PERFORM): fail closed.
            if (token.Kind == SqlTokenKind.EscapeString && statement.Source.AsSpan(token.Start, token.Length).Contains('\\'))
            {
                context.AddUnknown(statement.Text, SqlStatementOrigin.RoutineBody, depth);
            }

            if (SqlLiteral.IsContinued(statement.Source, token))
            {
                // A body in pieces ('… pg_sl'<newline>'eep(3) …'): the statement's own text does not
                // hold it whole, so regular expressions also read the body as one text.
                context.Add(text.AsMemory(start, end - start), JoinedBody, JoinedBody, hasWhere: false, SqlStatementOrigin.RoutineBody, depth);
            }

            ClassifyBody(context, text, start, end, depth);
        }
        else
        {
            context.AddUnknown(statement.Text, SqlStatementOrigin.RoutineBody, depth);
        }
    }

    private static void ClassifyBody(Context context, string source, int start, int end, int depth)
    {
        if (depth > MaxDepth)
        {
            context.AddUnknown(source.AsMemory(start, end - start), SqlStatementOrigin.RoutineBody, depth);
            return;
        }

        var outerNames = context.BodyNames;
        context.BodyNames = BodyNames(source, start, end, outerNames);
        try
        {
            ClassifyBodySpans(context, source, start, end, depth);
        }
        finally
        {
            context.BodyNames = outerNames;
        }
    }

    private static void ClassifyBodySpans(Context context, string source, int start, int end, int depth)
    {
        var spans = SqlSplitter.Split(source, start, end, backslashQuotes: false, out var sawBackslash);
        foreach (var span in spans)
        {
            if (span.Unterminated)
            {
                context.AddUnknown(source.AsMemory(span.Start, span.End - span.Start), SqlStatementOrigin.RoutineBody, depth);
                continue;
            }

            ClassifyBodySpan(context, source, span, depth, backslashQuotes: false);

            // PL/pgSQL splits a body into statements when it compiles it, but parses each statement
            // when it first runs, under the setting then: a body that turns standard_conforming_strings
            // off for itself has statements split one way and read the other (probe WA1: a DROP ran).
            if (source.AsSpan(span.Start, span.End - span.Start).Contains('\\')
                && SqlSplitter.Split(source, span.Start, span.End, backslashQuotes: true, out _) is var pieces && !pieces.Exists(p => p.Unterminated))
            {
                foreach (var piece in pieces)
                {
                    ClassifyBodySpan(context, source, piece, depth, backslashQuotes: true);
                }
            }
        }

        // PL/pgSQL reads a body with the session's standard_conforming_strings (probe VA4: an
        // unbounded UPDATE hidden in the other reading ran from a DO block). Where both readings
        // split the body alike, the loop above read each statement both ways. Split one way and each
        // statement read the other, as a body that changes the setting for itself is, its statements
        // are past knowing (probes WA1, XA1): a body the two readings split differently is not read.
        if (sawBackslash && SqlSplitter.Split(source, start, end, backslashQuotes: true, out _) is var second
            && (second.Exists(s => s.Unterminated) || !second.SequenceEqual(spans)))
        {
            context.AddUnknown(source.AsMemory(start, end - start), SqlStatementOrigin.RoutineBody, depth);
        }
    }

    /// <summary>
    /// The names a body declares (the first word of each declaration between DECLARE and BEGIN,
    /// an ALIAS's name), labels (<c>&lt;&lt;name&gt;&gt;</c>) and loop variables (<c>FOR name IN</c>),
    /// with those of the bodies around it. A word taken for one by mistake only makes a qualified
    /// column less surely the target's: more writes count as unbounded, none fewer.
    /// </summary>
    private static HashSet<string> BodyNames(string source, int start, int end, HashSet<string>? outer)
    {
        var names = outer is null ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(outer, StringComparer.Ordinal);
        names.UnionWith(PlpgsqlVariables);
        var tokens = Tokenize(source, start, end);
        var body = new Statement(source, tokens, 0, tokens.Count);
        var declaring = false;
        var declarationStart = false;
        var nesting = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            nesting += tokens[i].Kind == SqlTokenKind.OpenParen ? 1 : tokens[i].Kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (body.IsKeyword(i, "DECLARE"))
            {
                (declaring, declarationStart) = (true, true);
                continue;
            }

            if (nesting == 0 && body.IsKeyword(i, "BEGIN"))
            {
                // Not a word in a default's parentheses (probe BC1: (SELECT 1 AS begin) ended the section).
                declaring = false;
            }

            var isName = tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier;
            var label = isName && i >= 2 && i + 2 < tokens.Count && body.Word(i - 1) is "<" && body.Word(i - 2) is "<" && body.Word(i + 1) is ">";
            var loopVariable = isName && i > 0 && body.IsKeyword(i - 1, "FOR") && i + 1 < tokens.Count
                && (body.IsKeyword(i + 1, "IN") || tokens[i + 1].Kind == SqlTokenKind.Comma);
            var alias = isName && i + 2 < tokens.Count && body.IsKeyword(i + 1, "ALIAS") && body.IsKeyword(i + 2, "FOR");
            if (label || loopVariable || alias || (isName && declaring && declarationStart))
            {
                names.Add(SqlLiteral.Identifier(source, tokens[i]));
            }

            declarationStart = declaring && tokens[i].Kind == SqlTokenKind.Semicolon;
        }

        return names;
    }

    /// <summary>PL/pgSQL's own variables, in every body (probe BC2: DELETE … WHERE found emptied a table unreviewed).</summary>
    private static readonly string[] PlpgsqlVariables =
    [
        "found", "sqlstate", "sqlerrm", "tg_op", "tg_name", "tg_when", "tg_level", "tg_relid", "tg_relname", "tg_table_name",
        "tg_table_schema", "tg_nargs", "tg_argv", "tg_event", "tg_tag",
    ];

    private static void ClassifyBodySpan(Context context, string source, SqlStatementSpan span, int depth, bool backslashQuotes)
    {
        var tokens = Tokenize(source, span.Start, span.End, backslashQuotes);
        var piece = new Statement(source, tokens, 0, tokens.Count);
        if (HasUnicodeIdentifier(source, tokens))
        {
            context.AddUnknown(piece.Text, SqlStatementOrigin.RoutineBody, depth);
        }

        // Read whole: an assignment, PERFORM or IF condition before a body's first statement is not classified.
        if (MayChangeConnectionCheck(piece, kind: ""))
        {
            context.Add(piece.Text, OutlivesSession, OutlivesSession, hasWhere: false, SqlStatementOrigin.RoutineBody, depth);
        }

        ScanBodyPiece(context, piece, depth);
    }

    /// <summary>
    /// Statements found by their first word; before the first of them (assignments, PERFORM, IF
    /// conditions), data-modifying statements in parentheses and calls of functions that run SQL text.
    /// </summary>
    private static void ScanBodyPiece(Context context, Statement piece, int depth)
    {
        var dynamicSql = false;
        var firstStatement = piece.To;
        for (var i = piece.From; i < piece.To; i++)
        {
            var token = piece.Tokens[i];
            if (dynamicSql && token.IsStringLiteral)
            {
                ClassifyDynamicLiteral(context, piece, i, piece.Slice(i, i + 1).Text, depth);
                continue;
            }

            if (!token.IsWord)
            {
                continue;
            }

            var keyword = SqlKeywords.AsKeyword(piece.Word(i));
            if (keyword == "EXECUTE")
            {
                // PL/pgSQL's dynamic EXECUTE (or plpy.execute): its strings are SQL.
                dynamicSql = true;
                CheckDynamicExecute(context, piece, i, depth);
            }
            else if (keyword is not null && BodyStatementStarts.Contains(keyword) && StartsBodyStatement(piece, i, keyword))
            {
                firstStatement = Math.Min(firstStatement, i);
                ClassifyTokens(context, piece.Slice(i, piece.To), SqlStatementOrigin.RoutineBody, depth);
            }
        }

        ScanParenthesizedWrites(context, piece, piece.From, firstStatement, depth);
    }

    /// <summary>
    /// A write after FOR (a cursor's query): INSERT INTO, DELETE FROM, MERGE INTO, or an UPDATE
    /// whose SET follows, however long its target (probe YA1: <c>UPDATE public.t AS t SET</c> was
    /// read as a lock); FOR UPDATE before LOOP or the statement's end is a lock.
    /// </summary>
    private static bool IsCursorWrite(Statement piece, int i, string keyword)
    {
        if (keyword is not ("INSERT" or "DELETE" or "MERGE" or "UPDATE") || !IsWriteStart(piece, i, piece.To))
        {
            return false;
        }

        if (keyword != "UPDATE")
        {
            return true;
        }

        var nesting = 0;
        for (var j = i + 1; j < piece.To; j++)
        {
            var kind = piece.Tokens[j].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting == 0 && (piece.IsKeyword(j, "LOOP") || kind == SqlTokenKind.Semicolon))
            {
                return false;
            }

            if (nesting == 0 && piece.IsKeyword(j, "SET"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the keyword at <paramref name="i"/> starts a statement rather than sits in a clause.</summary>
    private static bool StartsBodyStatement(Statement piece, int i, string keyword)
    {
        if (i > piece.From)
        {
            var previous = piece.Tokens[i - 1];
            if (previous.Kind is SqlTokenKind.OpenParen or SqlTokenKind.Comma
                || (previous.Kind == SqlTokenKind.Other && piece.Source[previous.Start] is '.' or ':')
                || (previous.IsWord && SqlKeywords.AsKeyword(piece.Word(i - 1)) is { } word && ClausePrefixes.Contains(word)
                    // OPEN c FOR DELETE … RETURNING: a cursor's query may be a write (probe XA2), not FOR UPDATE's lock.
                    && !(word == "FOR" && IsCursorWrite(piece, i, keyword)))
                || (keyword is "GRANT" or "REVOKE" && piece.IsKeyword(i - 1, "WITH")))
            {
                return false;
            }
        }

        if (i + 1 >= piece.To)
        {
            return keyword is "SELECT" or "VACUUM" or "CHECKPOINT" or "DISCARD";
        }

        var next = piece.Tokens[i + 1];
        var nextKeyword = next.IsWord ? SqlKeywords.AsKeyword(piece.Word(i + 1)) : null;
        return keyword switch
        {
            "INSERT" or "DELETE" or "MERGE" or "UPDATE" => IsWriteStart(piece, i, piece.To),
            // ALTER TABLE's own actions: ALTER [COLUMN] c DROP DEFAULT is no statement of its own.
            "DROP" => nextKeyword is not (null or "DEFAULT") && SqlKeywords.ObjectTypes.Contains(nextKeyword),
            "ALTER" => next.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && nextKeyword is not ("ON" or "OPTION" or "COLUMN"),
            "WITH" => nextKeyword == "RECURSIVE"
                || (next.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                    && i + 2 < piece.To
                    && (piece.IsKeyword(i + 2, "AS") || piece.Tokens[i + 2].Kind == SqlTokenKind.OpenParen)),
            "DO" => next.IsStringLiteral || nextKeyword == "LANGUAGE",
            "GRANT" or "REVOKE" => nextKeyword != "OPTION",
            "COPY" => next.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier or SqlTokenKind.OpenParen,
            "SELECT" => true,
            _ => next.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && nextKeyword is not ("ON" or "OPTION"),
        };
    }
}
