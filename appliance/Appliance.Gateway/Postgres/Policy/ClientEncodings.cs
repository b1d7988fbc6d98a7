using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Gateway.Postgres.Policy;

/// <summary>
/// The client encodings the gateway can read statements and results in. PostgreSQL's client-only
/// encodings (SJIS, BIG5, GBK, UHC, GB18030, JOHAB) put ASCII bytes such as a backslash inside
/// multibyte characters, so a byte-level lexer would see an escape where PostgreSQL sees a
/// character and lose track of where a literal ends: guardrails and masking could not be
/// enforced, so such a session is refused. Every other encoding keeps bytes below 0x80 for ASCII.
/// </summary>
internal static class ClientEncodings
{
    /// <summary>
    /// Whether the text could mean something else to the gateway in another encoding PostgreSQL
    /// may have switched to unseen (within an extended batch): a byte of 0x80 or more followed by
    /// 0x30–0x7E (in SJIS, BIG5, GBK, UHC, GB18030 or JOHAB that ASCII byte is part of the
    /// character, a quote or backslash included), or a non-ASCII byte in a name rather than in a
    /// string or comment (in LATIN1 and the like the same bytes are other characters, other
    /// lengths: a name cut at 63 bytes elsewhere). Non-ASCII text inside strings and comments is
    /// data either way (probe EM-1: batches of '日本語' literals were refused after a SELECT 1).
    /// </summary>
    public static bool MayReadDifferently(ReadOnlySpan<byte> sql)
    {
        if (Ascii.IsValid(sql))
        {
            return false;
        }

        for (var i = 0; i + 1 < sql.Length; i++)
        {
            if (sql[i] >= 0x80 && sql[i + 1] is >= 0x30 and <= 0x7E)
            {
                return true;
            }
        }

        var text = Encoding.UTF8.GetString(sql);
        var lexer = new SqlLexer(text);
        for (var token = lexer.Next(); token.Kind != SqlTokenKind.End; token = lexer.Next())
        {
            if (token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && !Ascii.IsValid(text.AsSpan(token.Start, token.Length)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The names the server reports in ParameterStatus (pg_encoding_to_char), uppercase.</summary>
    private static readonly string[] Unreadable = ["SJIS", "SHIFT_JIS_2004", "BIG5", "GBK", "UHC", "GB18030", "JOHAB"];

    /// <summary>
    /// Whether running the statement may change client_encoding: false only for statements that
    /// run no code of anyone's and set no encoding, the ones drivers put before a statement in one
    /// batch (pgjdbc's BEGIN, SET application_name): BEGIN, SAVEPOINT, RELEASE, SET or RESET of
    /// another setting, SHOW. Not COMMIT (deferred triggers run then), and no ROLLBACK: it restores
    /// an encoding that may have been set and changed back before any report, the savepoint's
    /// (probe DI-1) or the transaction's start (DM-1: SET SJIS; COMMIT; BEGIN; SET UTF8). Anything else may call a
    /// function, a trigger or a view's that calls set_config.
    /// </summary>
    public static bool MayChangeClientEncoding(ReadOnlySpan<byte> sql)
    {
        // Read by the guardrails' own lexer: comments, quotes and escapes end where PostgreSQL
        // ends them (probe DO-1: a word reader of its own ended "--" only at a line feed).
        var text = Encoding.UTF8.GetString(sql);
        var tokens = new List<SqlToken>();
        var lexer = new SqlLexer(text);
        for (var token = lexer.Next(); token.Kind != SqlTokenKind.End; token = lexer.Next())
        {
            tokens.Add(token);
        }

        // One statement: a semicolon only at its end; a comment that never closes hides what follows.
        var last = tokens.Count > 0 && tokens[^1].Kind == SqlTokenKind.Semicolon ? tokens.Count - 1 : tokens.Count;
        if (last == 0 || tokens.Take(last).Any(t => t.Kind is SqlTokenKind.Semicolon or SqlTokenKind.UnterminatedComment) || !tokens[0].IsWord)
        {
            return true;
        }

        var first = SqlLiteral.Identifier(text, tokens[0]);
        if (first is "begin" or "start" or "savepoint" or "release" or "show")
        {
            return false;
        }

        if (first is not ("set" or "reset"))
        {
            return true;
        }

        var at = 1;
        if (at < last && tokens[at].IsWord && SqlLiteral.Identifier(text, tokens[at]) is "session" or "local")
        {
            at++;
        }

        // A plain or double-quoted name (a U&"…" one is spelled by escapes), then the end, '=', TO or
        // a placeholder's dot. SET CONSTRAINTS … IMMEDIATE runs deferred triggers, anyone's code, at once.
        if (at >= last || !(tokens[at].IsWord || (tokens[at].Kind == SqlTokenKind.QuotedIdentifier && text[tokens[at].Start] == '"')))
        {
            return true;
        }

        var name = SqlLiteral.Identifier(text, tokens[at]);
        if (name.Equals("client_encoding", StringComparison.OrdinalIgnoreCase)
            || name.Equals("names", StringComparison.OrdinalIgnoreCase)
            || name.Equals("all", StringComparison.OrdinalIgnoreCase)
            || name.Equals("constraints", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (at + 1 >= last)
        {
            return false;
        }

        var next = tokens[at + 1];
        var nextText = text.AsSpan(next.Start, next.Length);
        return !(next.IsWord && nextText.Equals("to", StringComparison.OrdinalIgnoreCase))
            && !(next.Kind == SqlTokenKind.Other && nextText is "=" or ".");
    }

    public static bool IsClientEncoding(ReadOnlySpan<byte> parameterName) => parameterName.SequenceEqual("client_encoding"u8);

    /// <summary>Null when the encoding is readable; otherwise the FATAL message that ends the session.</summary>
    public static string? Refusal(ReadOnlySpan<byte> encoding)
    {
        var name = Encoding.UTF8.GetString(encoding);
        foreach (var unreadable in Unreadable)
        {
            if (string.Equals(name, unreadable, StringComparison.OrdinalIgnoreCase))
            {
                return $"client_encoding \"{name}\" is not supported by the gateway: it cannot check statements in an encoding "
                    + "that puts ASCII bytes inside multibyte characters; use UTF8";
            }
        }

        return null;
    }
}
