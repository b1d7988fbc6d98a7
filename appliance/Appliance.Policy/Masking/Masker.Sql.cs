using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

internal sealed partial class Masker
{
    private const string QuotedStars = "'****'";

    /// <summary>
    /// A statement's text for the audit log and for approvers, after the detectors have read it
    /// as written. Two kinds of string literal are then shown as <c>'****'</c>: a password
    /// (<c>PASSWORD '…'</c>, <c>OPTIONS (password '…')</c>, a connection string holding
    /// <c>password=</c> or a URI's <c>user:password@</c>), whatever the masking rules, and all
    /// the text after what the lexer cannot end when a password may be in it; and a literal written with escapes
    /// (<c>E'\x34…'</c>, <c>U&amp;'\0034…'</c>, or a plain one that a session with
    /// <c>standard_conforming_strings</c> off reads as escapes), or continued on the next line
    /// (<c>'4111'</c> newline <c>'1111…'</c>), whose decoded value the detectors flag: the escapes
    /// or the pieces hid its digits from them.
    /// </summary>
    public string MaskSqlLiterals(string sql) => MaskSqlLiterals(sql, 0);

    /// <summary>How deep code in a literal is shown with its own literals masked; deeper, it is hidden whole.</summary>
    private const int MaxCodeLiteralDepth = 4;

    private string MaskSqlLiterals(string sql, int depth)
    {
        // A literal continued on the next line ('4111' newline '1111…') is one value in pieces the detectors do not see whole.
        // Escapes may also spell a password (E'pass\167ord=…', probe GD2): those literals are read decoded.
        var escapedText = sql.Contains('\\', StringComparison.Ordinal) || sql.AsSpan().IndexOfAny(UescapeMark) >= 0;
        // decode('3431…', 'hex') holds its bytes' digits in a literal of hex digits (probe MA5).
        var escapes = HasValueDetection && (escapedText || sql.Contains('\n', StringComparison.Ordinal) || sql.AsSpan().IndexOfAny(HexWord) >= 0);
        var secrets = MayHoldSecret(sql);
        var namesPassword = secrets && sql.AsSpan().IndexOfAny(PasswordMark) >= 0;
        if (!escapes && !secrets && !escapedText)
        {
            return sql;
        }

        var tokens = Tokens(sql);
        StringBuilder? masked = null;
        var copied = 0;
        for (var i = 0; i <= tokens.Count; i++)
        {
            if (secrets)
            {
                // Between tokens: space and comments, where a password= is masked too (probe AN).
                var gapStart = i == 0 ? 0 : tokens[i - 1].End;
                var gapEnd = i < tokens.Count ? tokens[i].Start : sql.Length;
                if (gapEnd > gapStart && HasComment(sql.AsSpan(gapStart, gapEnd - gapStart)))
                {
                    // A comment may say a password any way (quoted, "password :=", "the password is",
                    // with an @ or a /, probes GD5, HA3): in such a statement none is shown.
                    masked ??= new StringBuilder(sql.Length);
                    masked.Append(sql, copied, gapStart - copied)
                        .Append(char.IsWhiteSpace(sql[gapStart]) ? " " : string.Empty).Append("/* **** */")
                        .Append(gapEnd < sql.Length && char.IsWhiteSpace(sql[gapEnd - 1]) ? " " : string.Empty);
                    copied = gapEnd;
                }
            }

            if (i == tokens.Count)
            {
                break;
            }

            var token = tokens[i];
            if (secrets && (token.Unterminated || token.Kind == SqlTokenKind.UnterminatedComment))
            {
                // Text the lexer cannot end may hide a password anywhere after it: none of it is shown.
                masked ??= new StringBuilder(sql.Length);
                return masked.Append(sql, copied, token.Start - copied).Append("****").ToString();
            }

            if (namesPassword && UnquotedValueOfPassword(sql, tokens, i))
            {
                // An unquoted value given to something named like a password: SET my.password = hunter2
                // (or a number, or "quoted"), wherever the SET stands (after another statement, in a body,
                // a function's SET clause, ALTER ROLE … SET; probes GD3, HA1).
                masked ??= new StringBuilder(sql.Length);
                masked.Append(sql, copied, token.Start - copied).Append("****");
                copied = token.End;
                continue;
            }

            if (!token.IsStringLiteral)
            {
                continue;
            }

            // A literal continued on the next lines ('abc' newline 'def') is one token: hidden whole.
            // In a statement that names a password every literal is, but code (a DO body): set_config('my.password',
            // ('x')) or lower('X') hid it from a rule that looked for the literal right after the name (probe GD3).
            var namedLike = secrets && NamedLikePassword(sql, tokens, i);
            var decoded = escapedText || escapes ? Decoded(sql, tokens, i) : null;
            var holds = !namedLike && ((secrets && HoldsSecret(sql.AsSpan(token.Start, token.Length))) || (decoded is not null && HoldsSecret(decoded)));
            var named = namedLike || (namesPassword && !holds && ShowCode(sql, token, depth) is null);
            var escaped = escapes && decoded is not null && Detects(Encoding.UTF8.GetBytes(decoded));
            // A bytea literal in hex ('\x3431…'::bytea) holds its bytes' digits, not theirs (probe LA5).
            escaped |= sql.AsSpan(token.Start, token.Length).Contains("\\x", StringComparison.OrdinalIgnoreCase)
                && HexHoldsSecret(Encoding.UTF8.GetBytes(sql.Substring(token.Start, token.Length)));
            // decode('3431…', 'hex'): a literal of hex digits only; E'\\064\\061…'::bytea: octal escapes once decoded (probe MA5).
            escaped |= HexOnlyLiteral(sql, token) is { } hex && HexDigitsHoldSecret(Encoding.UTF8.GetBytes(hex));
            escaped |= decoded is not null && decoded.Contains('\\', StringComparison.Ordinal) && EscapesHoldSecret(Encoding.UTF8.GetBytes(decoded));
            if (!named && !holds && !escaped)
            {
                // Code (a DO body) with escapes in it: its own literals may spell a password with them (probe HA4).
                if (escapedText && !secrets && ShowCode(sql, token, depth) is { } code && code != sql.Substring(token.Start, token.Length))
                {
                    masked ??= new StringBuilder(sql.Length);
                    masked.Append(sql, copied, token.Start - copied).Append(code);
                    copied = token.End;
                }

                continue;
            }

            // SQL in a literal (a DO body, query_to_xml's query) that mentions a password is shown
            // with its own literals masked: hidden whole, a comment saying password= would hide
            // what ran from the audit log and a held statement from its approvers (probe AM).
            var shown = holds && !escaped ? ShowCode(sql, token, depth) : null;
            masked ??= new StringBuilder(sql.Length);
            masked.Append(sql, copied, token.Start - copied).Append(shown ?? QuotedStars);
            copied = token.End;
        }

        return masked is null ? sql : masked.Append(sql, copied, sql.Length - copied).ToString();
    }

    /// <summary>The content of a quoted literal made of hex digits (and spaces) only, long enough to hold a card; null otherwise.</summary>
    private static string? HexOnlyLiteral(string sql, SqlToken token)
    {
        if (token.Kind != SqlTokenKind.String || token.Length < 12 || sql[token.Start] != '\'')
        {
            return null;
        }

        var content = sql.AsSpan(token.Start + 1, token.Length - 2);
        return content.ContainsAnyExcept(HexOrSpace) ? null : content.ToString();
    }

    private static readonly System.Buffers.SearchValues<string> HexWord = System.Buffers.SearchValues.Create(["hex"], StringComparison.OrdinalIgnoreCase);

    private static readonly System.Buffers.SearchValues<char> HexOrSpace = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF \t\r\n");

    /// <summary>A text (a statement, a parameter) that may hold a password: the word, or a URI with one (<c>postgresql://u:pw@h</c>).</summary>
    public static bool MayHoldSecret(string text) => text.AsSpan().IndexOfAny(SecretMarks) >= 0;

    // One vectorized pass: Contains with OrdinalIgnoreCase takes the slow casing path under
    // invariant globalization, and ran on every statement's text (2% of the loop in simple mode).
    private static readonly System.Buffers.SearchValues<string> SecretMarks =
        System.Buffers.SearchValues.Create(["password", "://"], StringComparison.OrdinalIgnoreCase);

    private static readonly System.Buffers.SearchValues<string> UescapeMark =
        System.Buffers.SearchValues.Create(["uescape"], StringComparison.OrdinalIgnoreCase);

    private static readonly System.Buffers.SearchValues<string> PasswordMark =
        System.Buffers.SearchValues.Create(["password"], StringComparison.OrdinalIgnoreCase);

    /// <summary>A value that holds a password: <c>password=…</c> in a connection string, or a URI's <c>user:password@</c>.</summary>
    public static bool HoldsSecret(ReadOnlySpan<char> text)
    {
        if (text.Contains("password", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return false;
        }

        var authority = text[(scheme + 3)..];
        var end = authority.IndexOfAny('/', '?', '#');
        authority = end < 0 ? authority : authority[..end];
        var at = authority.LastIndexOf('@');
        return at > 0 && authority[..at].Contains(':');
    }

    /// <summary>
    /// The literal whole, quoted as it was (<c>$tag$…$tag$</c>, <c>'…'</c> or <c>E'…'</c>), when its
    /// content reads as SQL (it starts as a statement or a block does): masked as a statement is,
    /// its own literals (and, where it names a password, its comments). Null when it is not code, or is nested too deep, or its quoting cannot be kept
    /// (a plain string holding a backslash, which a session may read as escapes: the guardrails
    /// refuse those).
    /// </summary>
    private string? ShowCode(string sql, SqlToken token, int depth)
    {
        var raw = sql.AsSpan(token.Start, token.Length);
        var plain = token.Kind == SqlTokenKind.String && raw[0] == '\'' && !raw.Contains('\\');
        if (depth >= MaxCodeLiteralDepth || token.Unterminated
            || !(plain || token.Kind is SqlTokenKind.DollarString or SqlTokenKind.EscapeString)
            || !SqlLiteral.TryGetContent(sql, token, out var text, out var start, out var end))
        {
            return null;
        }

        var content = text[start..end];
        if (!ReadsAsCode(content))
        {
            return null;
        }

        var shown = MaskSqlLiterals(content, depth + 1);
        switch (token.Kind)
        {
            case SqlTokenKind.DollarString:
                var tag = raw[..(raw[1..].IndexOf('$') + 2)].ToString();
                return shown.Contains(tag, StringComparison.Ordinal) ? null : tag + shown + tag;
            case SqlTokenKind.EscapeString:
                // Decoded, so written again with its backslashes and quotes escaped (an escape such as \n stays decoded).
                return raw[..raw.IndexOf('\'')].ToString() + "'"
                    + shown.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
            default:
                return "'" + shown.Replace("'", "''", StringComparison.Ordinal) + "'";
        }
    }

    private static readonly string[] CodeStarts =
    [
        "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE", "BEGIN", "DECLARE", "DO", "CALL",
        "EXECUTE", "PERFORM", "RETURN", "CREATE", "ALTER", "DROP", "TRUNCATE", "GRANT", "REVOKE", "COPY", "EXPLAIN",
        "SET", "RESET", "SHOW", "LOCK", "FETCH", "MOVE", "CLOSE", "PREPARE", "DEALLOCATE", "DISCARD", "LISTEN", "NOTIFY",
        "UNLISTEN", "ANALYZE", "ANALYSE", "VACUUM", "REINDEX", "CLUSTER", "REFRESH", "COMMENT", "SECURITY", "REASSIGN",
        "IMPORT", "LOAD", "CHECKPOINT", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE",
    ];

    /// <summary>
    /// Whether text starts as a statement or a PL/pgSQL block does (comments skipped; a
    /// <c>&lt;&lt;label&gt;&gt;</c> too), or with a parenthesis, as <c>(SELECT …)</c> may.
    /// </summary>
    private static bool ReadsAsCode(string content)
    {
        // Empty statements first (';DELETE FROM t' runs the DELETE, probe IB1).
        var tokens = Tokens(content);
        var at = tokens.FindIndex(t => t.Kind != SqlTokenKind.Semicolon);
        if (at < 0)
        {
            return false;
        }

        if (tokens[at].Kind == SqlTokenKind.OpenParen)
        {
            return true;
        }

        var first = content.Substring(tokens[at].Start, tokens[at].Length);
        return tokens[at].Kind == SqlTokenKind.Word
            ? Array.Exists(CodeStarts, start => first.Equals(start, StringComparison.OrdinalIgnoreCase))
            : content.AsSpan(tokens[at].Start).StartsWith("<<", StringComparison.Ordinal);
    }

    /// <summary>
    /// A literal that is the value of something named like a password (<c>PASSWORD '…'</c>,
    /// <c>sslpassword '…'</c>, <c>"password" '…'</c>, <c>SET my.password = '…'</c> or <c>TO '…'</c>); the value
    /// after such a name in a call (<c>set_config('my.password', '…', …)</c>). One that holds a password
    /// (<c>password=</c>, a URI's <c>user:password@</c>) is <see cref="HoldsSecret"/>.
    /// </summary>
    private static bool NamedLikePassword(string sql, List<SqlToken> tokens, int index)
    {
        for (var j = index - 1; j >= Math.Max(0, index - 3); j--)
        {
            var before = tokens[j];
            var text = sql.AsSpan(before.Start, before.Length);
            if ((before.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier || before.IsStringLiteral)
                && !(before.Kind == SqlTokenKind.Word && text.Equals("TO", StringComparison.OrdinalIgnoreCase)))
            {
                // After a string (a setting's name, a connection string or a connection's name in a call),
                // SQL is shown, not hidden: dblink_exec('… password=…', 'DELETE FROM t') showed approvers
                // '****' for the DELETE they approved (probe IB1).
                return text.Contains("password", StringComparison.OrdinalIgnoreCase)
                    && !(before.IsStringLiteral && tokens[index].IsStringLiteral
                        && SqlLiteral.TryGetContent(sql, tokens[index], out var value, out var start, out var end) && ReadsAsCode(value[start..end]));
            }

            if (!(before.Kind is SqlTokenKind.Comma or SqlTokenKind.Word || text is "=" || text is "."))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Whether space between tokens holds a comment.</summary>
    private static bool HasComment(ReadOnlySpan<char> gap) =>
        gap.Contains("--", StringComparison.Ordinal) || gap.Contains("/*", StringComparison.Ordinal);

    /// <summary>A word, number or quoted name right after <c>=</c> or <c>TO</c> given to a name like a password (not a function it calls).</summary>
    private static bool UnquotedValueOfPassword(string sql, List<SqlToken> tokens, int index)
    {
        if (index < 2 || tokens[index].Kind is not (SqlTokenKind.Word or SqlTokenKind.Number or SqlTokenKind.QuotedIdentifier)
            || (index + 1 < tokens.Count && tokens[index + 1].Kind == SqlTokenKind.OpenParen))
        {
            return false;
        }

        var before = sql.AsSpan(tokens[index - 1].Start, tokens[index - 1].Length);
        return (before is "=" || (tokens[index - 1].IsWord && before.Equals("TO", StringComparison.OrdinalIgnoreCase)))
            && NamedLikePassword(sql, tokens, index);
    }

    /// <summary>
    /// A literal's decoded value when its escapes (backslashes, or a U&amp; string's own escape
    /// character from a following UESCAPE) or pieces on several lines may hide what it holds from
    /// a reading of it as written: the detectors' values, or a password (probe GD2); else null.
    /// </summary>
    private static string? Decoded(string sql, List<SqlToken> tokens, int index)
    {
        var token = tokens[index];
        var escape = '\\';
        if (index + 2 < tokens.Count && tokens[index + 1].IsWord
            && sql.AsSpan(tokens[index + 1].Start, tokens[index + 1].Length).Equals("uescape", StringComparison.OrdinalIgnoreCase)
            && SqlLiteral.TryGetContent(sql, tokens[index + 2], out var escapeText, out var from, out var to) && to - from == 1)
        {
            escape = escapeText[from];
        }

        var raw = sql.AsSpan(token.Start, token.Length);
        return raw.Contains(escape) || raw.Contains('\n') ? SqlLiteral.DecodeForDetection(sql, token, escape) : null;
    }
}
