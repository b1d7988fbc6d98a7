namespace Appliance.Policy.Sql;

/// <summary>A statement's place in the source text. Unterminated: a quote or comment never closed.</summary>
internal readonly record struct SqlStatementSpan(int Start, int End, bool Unterminated);

/// <summary>
/// Splits a query string into statements at <c>;</c>. Every <c>;</c> outside a string,
/// identifier or comment ends a statement, even inside parentheses (PostgreSQL rejects such a
/// query as a whole, so splitting there only ever shows more), except inside the
/// <c>BEGIN ATOMIC … END</c> body of a SQL-standard function or procedure (the classifier then
/// reads everything after ATOMIC as body, so a statement kept in by a miscount is still seen). An unterminated quote or comment
/// makes the rest of the text one statement.
/// </summary>
internal static class SqlSplitter
{
    public static List<SqlStatementSpan> Split(string text) => Split(text, 0, text.Length, backslashQuotes: false, out _);

    public static List<SqlStatementSpan> Split(string text, int start, int end, bool backslashQuotes, out bool sawBackslash)
    {
        var spans = new List<SqlStatementSpan>();
        var lexer = new SqlLexer(text, start, end, backslashQuotes);
        var statementStart = -1;
        var tokenIndex = 0;
        var isRoutine = false;
        var parenDepth = 0;
        var atomicDepth = 0;
        var lastEnd = start;
        while (true)
        {
            var token = lexer.Next();
            if (token.Kind == SqlTokenKind.End)
            {
                break;
            }

            if (token.Unterminated)
            {
                spans.Add(new SqlStatementSpan(statementStart < 0 ? token.Start : statementStart, end, Unterminated: true));
                statementStart = -1;
                break;
            }

            if (token.Kind == SqlTokenKind.Semicolon && atomicDepth == 0)
            {
                if (statementStart >= 0)
                {
                    spans.Add(new SqlStatementSpan(statementStart, lastEnd, Unterminated: false));
                }

                statementStart = -1;
                continue;
            }

            lastEnd = token.End;
            if (statementStart < 0)
            {
                statementStart = token.Start;
                tokenIndex = 0;
                isRoutine = false;
                parenDepth = 0;
                atomicDepth = 0;
            }

            isRoutine |= tokenIndex is 1 or 3 && IsRoutineHeader(text, statementStart, token);
            tokenIndex++;
            parenDepth += token.Kind == SqlTokenKind.OpenParen ? 1 : token.Kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (isRoutine && token.IsWord && (parenDepth == 0 || atomicDepth > 0))
            {
                atomicDepth = TrackAtomicBody(text, token, lexer, atomicDepth);
            }
        }

        if (statementStart >= 0)
        {
            spans.Add(new SqlStatementSpan(statementStart, lastEnd, Unterminated: false));
        }

        sawBackslash = lexer.SawBackslashInString;
        return spans;
    }

    /// <summary><c>CREATE [OR REPLACE] FUNCTION|PROCEDURE</c>: the only statements with a BEGIN ATOMIC body.</summary>
    private static bool IsRoutineHeader(string text, int statementStart, SqlToken token)
    {
        if (!token.IsWord || !(SqlKeywords.Is(text.AsSpan(token.Start, token.Length), "FUNCTION")
            || SqlKeywords.Is(text.AsSpan(token.Start, token.Length), "PROCEDURE")))
        {
            return false;
        }

        var header = new SqlLexer(text, statementStart, token.Start);
        var first = header.Next();
        if (!first.IsWord || !SqlKeywords.Is(text.AsSpan(first.Start, first.Length), "CREATE"))
        {
            return false;
        }

        var second = header.Next();
        if (second.Kind == SqlTokenKind.End)
        {
            return true;
        }

        var third = header.Next();
        return second.IsWord && SqlKeywords.Is(text.AsSpan(second.Start, second.Length), "OR")
            && third.IsWord && SqlKeywords.Is(text.AsSpan(third.Start, third.Length), "REPLACE")
            && header.Next().Kind == SqlTokenKind.End;
    }

    /// <summary>
    /// Like psql: inside <c>BEGIN ATOMIC</c>, BEGIN and CASE open and END closes, and <c>;</c>
    /// only ends the statement once the body is closed.
    /// </summary>
    private static int TrackAtomicBody(string text, SqlToken token, SqlLexer lexer, int depth)
    {
        var word = text.AsSpan(token.Start, token.Length);
        if (SqlKeywords.Is(word, "BEGIN"))
        {
            if (depth > 0)
            {
                return depth + 1;
            }

            // The lexer is a struct: this peeks at the next token without consuming it.
            var next = lexer.Next();
            return next.IsWord && SqlKeywords.Is(text.AsSpan(next.Start, next.Length), "ATOMIC") ? 1 : 0;
        }

        if (depth > 0 && SqlKeywords.Is(word, "CASE"))
        {
            return depth + 1;
        }

        return depth > 0 && SqlKeywords.Is(word, "END") ? depth - 1 : depth;
    }
}
