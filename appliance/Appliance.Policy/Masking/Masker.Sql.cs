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
    public string MaskSqlLiterals(string sql)
    {
        // A literal continued on the next line ('4111' newline '1111…') is one value in pieces the detectors do not see whole.
        var escapes = HasValueDetection
            && (sql.Contains('\\', StringComparison.Ordinal) || sql.Contains('\n', StringComparison.Ordinal)
                || sql.Contains("uescape", StringComparison.OrdinalIgnoreCase));
        var secrets = MayHoldSecret(sql);
        if (!escapes && !secrets)
        {
            return sql;
        }

        var tokens = Tokens(sql);
        StringBuilder? masked = null;
        var copied = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (secrets && (token.Unterminated || token.Kind == SqlTokenKind.UnterminatedComment))
            {
                // Text the lexer cannot end may hide a password anywhere after it: none of it is shown.
                masked ??= new StringBuilder(sql.Length);
                return masked.Append(sql, copied, token.Start - copied).Append("****").ToString();
            }

            if (!token.IsStringLiteral)
            {
                continue;
            }

            // A literal continued on the next lines ('abc' newline 'def') is one token: hidden whole.
            var hide = (secrets && IsSecretLiteral(sql, tokens, i)) || (escapes && HidesADetectedValue(sql, tokens, i));
            if (!hide)
            {
                continue;
            }

            masked ??= new StringBuilder(sql.Length);
            masked.Append(sql, copied, token.Start - copied).Append(QuotedStars);
            copied = token.End;
        }

        return masked is null ? sql : masked.Append(sql, copied, sql.Length - copied).ToString();
    }

    /// <summary>A text (a statement, a parameter) that may hold a password: the word, or a URI with one (<c>postgresql://u:pw@h</c>).</summary>
    public static bool MayHoldSecret(string text) =>
        text.Contains("password", StringComparison.OrdinalIgnoreCase) || text.Contains("://", StringComparison.Ordinal);

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
    /// A literal that is or holds a password: one holding <c>password</c> or a URI's
    /// <c>user:password@</c>; the value of something named like a password (<c>PASSWORD '…'</c>,
    /// <c>sslpassword '…'</c>, <c>"password" '…'</c>, <c>SET my.password = '…'</c> or <c>TO '…'</c>); the value
    /// after such a name in a call (<c>set_config('my.password', '…', …)</c>).
    /// </summary>
    private static bool IsSecretLiteral(string sql, List<SqlToken> tokens, int index)
    {
        if (HoldsSecret(sql.AsSpan(tokens[index].Start, tokens[index].Length)))
        {
            return true;
        }

        for (var j = index - 1; j >= Math.Max(0, index - 3); j--)
        {
            var before = tokens[j];
            var text = sql.AsSpan(before.Start, before.Length);
            if ((before.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier || before.IsStringLiteral)
                && !(before.Kind == SqlTokenKind.Word && text.Equals("TO", StringComparison.OrdinalIgnoreCase)))
            {
                return text.Contains("password", StringComparison.OrdinalIgnoreCase);
            }

            if (!(before.Kind is SqlTokenKind.Comma or SqlTokenKind.Word || text is "=" || text is "."))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>A literal whose escapes (backslashes, or a U&amp; string's own escape character from a following UESCAPE) or pieces on several lines hide what the detectors find once decoded.</summary>
    private bool HidesADetectedValue(string sql, List<SqlToken> tokens, int index)
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
        return (raw.Contains(escape) || raw.Contains('\n'))
            && SqlLiteral.DecodeForDetection(sql, token, escape) is { } decoded
            && Detects(Encoding.UTF8.GetBytes(decoded));
    }
}
