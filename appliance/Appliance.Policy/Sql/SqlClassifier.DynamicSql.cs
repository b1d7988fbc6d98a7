using System.Collections.Frozen;

namespace Appliance.Policy.Sql;

/// <summary>
/// SQL that exists only as a value: the argument of PL/pgSQL's dynamic <c>EXECUTE</c> and of
/// functions that run a query given as text (<c>query_to_xml</c>, <c>dblink</c>…). A single
/// string literal is read as the statements it holds; anything computed (a concatenation,
/// <c>format()</c>, a variable) cannot be known before it runs, so it is an unknown statement.
/// </summary>
internal static partial class SqlClassifier
{
    /// <summary>Which argument of a function is the SQL it runs.</summary>
    private enum SqlArgument : byte
    {
        First,
        /// <summary>dblink's overloads put the query last, before an optional boolean <c>fail_on_error</c>.</summary>
        LastBeforeBooleans,
        /// <summary><c>ts_rewrite(query, select)</c>; its three-argument form takes no SQL.</summary>
        SecondOfTwo,

        /// <summary>tablefunc's <c>crosstab(source_sql [, category_sql])</c>; the deprecated <c>crosstab(text, int)</c> takes a number second.</summary>
        FirstAndSecond,

        /// <summary>tablefunc's <c>connectby(relname, keyid_fld, parent_key_fld, [orderby_fld,] start_with, max_depth [, branch_delim])</c>: fragments it pastes into a SELECT.</summary>
        ConnectBy,

        /// <summary>xml2's <c>xpath_table(key, document, relation, xpaths, criteria)</c>: fragments it pastes into a SELECT.</summary>
        XpathTable,
    }

    /// <summary>
    /// Functions (PostgreSQL core, dblink, tablefunc, xml2) that run a query given as text (probe
    /// ZB1: crosstab and connectby over <c>'reverse(s'||'sn)'</c> returned SSNs reversed).
    /// </summary>
    private static readonly FrozenDictionary<string, SqlArgument> SqlTextFunctions = new Dictionary<string, SqlArgument>
    {
        ["query_to_xml"] = SqlArgument.First,
        ["query_to_xmlschema"] = SqlArgument.First,
        ["query_to_xml_and_xmlschema"] = SqlArgument.First,
        ["ts_stat"] = SqlArgument.First,
        ["ts_rewrite"] = SqlArgument.SecondOfTwo,
        ["dblink"] = SqlArgument.LastBeforeBooleans,
        ["dblink_exec"] = SqlArgument.LastBeforeBooleans,
        ["dblink_send_query"] = SqlArgument.LastBeforeBooleans,
        ["dblink_open"] = SqlArgument.LastBeforeBooleans,
        ["crosstab"] = SqlArgument.FirstAndSecond,
        ["crosstab2"] = SqlArgument.First,
        ["crosstab3"] = SqlArgument.First,
        ["crosstab4"] = SqlArgument.First,
        ["connectby"] = SqlArgument.ConnectBy,
        ["xpath_table"] = SqlArgument.XpathTable,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Whether the function (its name folded) pastes text fragments into a SELECT it runs
    /// (connectby, xpath_table): a relation in one argument and what is read of it in another.
    /// </summary>
    internal static bool PastesFragments(string functionName) =>
        SqlTextFunctions.TryGetValue(functionName, out var which) && which is SqlArgument.ConnectBy or SqlArgument.XpathTable;

    /// <summary>
    /// The dynamic <c>EXECUTE</c> at <paramref name="execute"/> in a body piece. Its argument
    /// runs up to <c>INTO</c>, <c>USING</c>, <c>LOOP</c> (<c>FOR r IN EXECUTE …</c>) or the end of
    /// the piece; the strings in it are classified by the caller, and unless it is exactly one
    /// literal (parentheses allowed) what runs is unknown. Not an EXECUTE privilege
    /// (<c>GRANT EXECUTE ON</c>) or a trigger's <c>EXECUTE FUNCTION</c>.
    /// </summary>
    private static void CheckDynamicExecute(Context context, Statement piece, int execute, int depth)
    {
        if (piece.IsKeyword(execute + 1, "ON") || piece.IsKeyword(execute + 1, "FUNCTION") || piece.IsKeyword(execute + 1, "PROCEDURE"))
        {
            return;
        }

        var end = execute + 1;
        for (var nesting = 0; end < piece.To; end++)
        {
            var kind = piece.Tokens[end].Kind;
            nesting += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (nesting == 0 && (piece.IsKeyword(end, "INTO") || piece.IsKeyword(end, "USING") || piece.IsKeyword(end, "LOOP")))
            {
                break;
            }
        }

        if (SingleLiteral(piece, execute + 1, end) < 0)
        {
            context.AddUnknown(piece.Slice(execute, piece.To).Text, SqlStatementOrigin.DynamicSql, depth + 1);
        }
    }

    /// <summary>The index of the one string literal that [from, to) consists of, in any parentheses and with a cast to a plain type name (<c>'x'::text</c>); else -1.</summary>
    private static int SingleLiteral(Statement statement, int from, int to)
    {
        to = WithoutCast(statement, from, to);
        while (to - from >= 3
            && statement.Tokens[from].Kind == SqlTokenKind.OpenParen
            && statement.MatchingParen(from, to) == to - 1)
        {
            from++;
            to--;
        }

        return to - from == 1 && statement.Tokens[from].IsStringLiteral ? from : -1;
    }

    /// <summary>
    /// A call of a function that runs SQL given as text, with <paramref name="open"/> its '(':
    /// the SQL argument's content is classified as dynamic SQL, or is unknown when it is not one
    /// string literal. Schema-qualified and quoted names count (<c>pg_catalog."query_to_xml"</c>).
    /// </summary>
    private static bool TryClassifySqlTextCall(Context context, Statement statement, int open, int depth)
    {
        var name = open - 1;
        if (name < statement.From
            || statement.Tokens[name].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
            || !SqlTextFunctions.TryGetValue(SqlLiteral.Identifier(statement.Source, statement.Tokens[name]), out var which)
            || IsSignature(statement, name))
        {
            return false;
        }

        var close = statement.MatchingParen(open, statement.To);
        var arguments = Arguments(statement, open, close);
        var text = statement.Slice(name, Math.Min(close + 1, statement.To)).Text;
        if (which is SqlArgument.ConnectBy or SqlArgument.XpathTable)
        {
            ClassifyFragmentCall(context, statement, arguments, which, text, depth);
            return true;
        }

        if (which == SqlArgument.FirstAndSecond && arguments.Count == 2 && !IsNumber(statement, arguments[1]))
        {
            ClassifyDynamicLiteral(context, statement, SingleLiteral(statement, arguments[1].From, arguments[1].To), text, depth);
        }

        var argument = which switch
        {
            SqlArgument.First or SqlArgument.FirstAndSecond => arguments.Count > 0 ? 0 : -1,
            SqlArgument.SecondOfTwo => arguments.Count == 2 ? 1 : -1,
            _ => LastBeforeBooleans(statement, arguments),
        };
        if (which == SqlArgument.SecondOfTwo && argument < 0)
        {
            return true;
        }

        var literal = argument < 0 ? -1 : SingleLiteral(statement, arguments[argument].From, arguments[argument].To);
        ClassifyDynamicLiteral(context, statement, literal, text, depth);
        return true;
    }

    /// <summary>
    /// connectby and xpath_table paste some of their arguments into a SELECT of their own
    /// (<c>SELECT keyid_fld, parent_key_fld[, orderby_fld] FROM relname</c>, <c>SELECT key, document
    /// FROM relation WHERE criteria</c>): that SELECT is classified when each of them is one string
    /// literal, and the call is unknown otherwise.
    /// </summary>
    private static void ClassifyFragmentCall(
        Context context, Statement statement, List<(int From, int To)> arguments, SqlArgument which, ReadOnlyMemory<char> text, int depth)
    {
        // With six arguments the fourth is orderby_fld or start_with, as PostgreSQL resolves the
        // types ('0'::text, '0' is the orderby form: probe AA2), so it is read as a fragment either way.
        int[] used = which == SqlArgument.XpathTable ? [0, 1, 2, 4] : arguments.Count >= 6 ? [0, 1, 2, 3] : [0, 1, 2];
        var fragments = new List<string>(used.Length);
        foreach (var index in used)
        {
            var literal = index < arguments.Count ? SingleLiteral(statement, arguments[index].From, arguments[index].To) : -1;
            if (literal < 0 || !SqlLiteral.TryGetSqlContent(statement.Source, statement.Tokens[literal], out var content, out var start, out var end))
            {
                context.AddUnknown(text, SqlStatementOrigin.DynamicSql, depth + 1);
                return;
            }

            fragments.Add(content[start..end]);
        }

        var sql = which == SqlArgument.XpathTable
            ? $"SELECT {fragments[0]}, {fragments[1]} FROM {fragments[2]} WHERE {fragments[3]}"
            : $"SELECT {string.Join(", ", fragments.Skip(1))} FROM {fragments[0]}";
        ClassifyText(context, sql, 0, sql.Length, SqlStatementOrigin.DynamicSql, depth + 1);
    }

    /// <summary>Whether the argument is one number (crosstab's deprecated column count, connectby's max_depth), cast or not (probe AE3: <c>2::int</c>).</summary>
    private static bool IsNumber(Statement statement, (int From, int To) argument) =>
        WithoutCast(statement, argument.From, argument.To) - argument.From == 1 && statement.Tokens[argument.From].Kind == SqlTokenKind.Number;

    /// <summary>The end of [from, to) without a trailing <c>::name</c> (one word: the value is what it casts, SQL text stays SQL text).</summary>
    private static int WithoutCast(Statement statement, int from, int to) =>
        to - from >= 4 && statement.Word(to - 3) is ":" && statement.Word(to - 2) is ":" && statement.Tokens[to - 1].Kind == SqlTokenKind.Word ? to - 3 : to;


    /// <summary><c>FUNCTION [schema.]name(types)</c> in GRANT, ALTER, COMMENT or DROP names the function, it does not call it.</summary>
    private static bool IsSignature(Statement statement, int name)
    {
        var before = name - 1;
        if (before - 1 >= statement.From && statement.Tokens[before].Kind == SqlTokenKind.Other && statement.Source[statement.Tokens[before].Start] == '.')
        {
            before -= 2;
        }

        return statement.IsKeyword(before, "FUNCTION") || statement.IsKeyword(before, "ROUTINE") || statement.IsKeyword(before, "PROCEDURE");
    }

    /// <summary>The last argument that is not TRUE or FALSE.</summary>
    private static int LastBeforeBooleans(Statement statement, List<(int From, int To)> arguments)
    {
        var last = arguments.Count - 1;
        while (last >= 0
            && arguments[last].To - arguments[last].From == 1
            && (statement.IsKeyword(arguments[last].From, "TRUE") || statement.IsKeyword(arguments[last].From, "FALSE")))
        {
            last--;
        }

        return last;
    }

    /// <summary>The top-level comma-separated arguments between '(' and ')'.</summary>
    private static List<(int From, int To)> Arguments(Statement statement, int open, int close)
    {
        var arguments = new List<(int From, int To)>();
        var start = open + 1;
        for (var i = open + 1; i < close; i = statement.Tokens[i].Kind == SqlTokenKind.OpenParen ? statement.MatchingParen(i, close) + 1 : i + 1)
        {
            if (statement.Tokens[i].Kind == SqlTokenKind.Comma)
            {
                arguments.Add((start, i));
                start = i + 1;
            }
        }

        if (close > start)
        {
            arguments.Add((start, close));
        }

        return arguments;
    }

    /// <summary>
    /// A string literal's content classified as dynamic SQL; unknown (with <paramref name="text"/>)
    /// when there is no literal (-1) or its content cannot be decoded (<c>U&amp;'…'</c>).
    /// </summary>
    private static void ClassifyDynamicLiteral(Context context, Statement statement, int literal, ReadOnlyMemory<char> text, int depth)
    {
        if (literal >= 0 && SqlLiteral.TryGetSqlContent(statement.Source, statement.Tokens[literal], out var sql, out var start, out var end))
        {
            ClassifyText(context, sql, start, end, SqlStatementOrigin.DynamicSql, depth + 1);
        }
        else
        {
            context.AddUnknown(text, SqlStatementOrigin.DynamicSql, depth + 1);
        }
    }

    /// <summary>
    /// A <c>U&amp;"…"</c> identifier spells its name with escapes (and maybe a <c>UESCAPE</c>
    /// character of its own), so regular expressions over the raw text do not see the name the
    /// server resolves (<c>U&amp;"pg\005fsleep"</c> is pg_sleep). Decoding them for the regexes
    /// would still leave statement text that differs from what the server reads; they are
    /// vanishingly rare in real traffic, so a statement holding one is unknown (fail closed).
    /// </summary>
    private static bool HasUnicodeIdentifier(string source, List<SqlToken> tokens) =>
        tokens.Exists(t => t.Kind == SqlTokenKind.QuotedIdentifier && source[t.Start] is 'u' or 'U');
}
