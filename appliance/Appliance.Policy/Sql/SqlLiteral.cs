using System.Globalization;
using System.Text;

namespace Appliance.Policy.Sql;

/// <summary>The values of string literals and identifiers, as PostgreSQL reads them.</summary>
internal static class SqlLiteral
{
    /// <summary>
    /// The content of a string token: (source, start, end) of the characters it stands for.
    /// Dollar-quoted text is returned in place; quoted text with escapes is decoded into a new
    /// string. False for a <c>U&amp;'…'</c> string, whose escape character may be redefined.
    /// </summary>
    public static bool TryGetContent(string source, SqlToken token, out string text, out int start, out int end)
    {
        var raw = source.AsSpan(token.Start, token.Length);
        switch (token.Kind)
        {
            case SqlTokenKind.DollarString:
                {
                    var tagLength = raw[1..].IndexOf('$') + 2;
                    text = source;
                    start = token.Start + tagLength;
                    end = token.Unterminated ? token.End : token.End - tagLength;
                    return end >= start;
                }

            case SqlTokenKind.String when raw[0] is 'u' or 'U':
                text = "";
                start = end = 0;
                return false;
            case SqlTokenKind.String or SqlTokenKind.EscapeString:
                {
                    var quote = raw.IndexOf('\'');
                    var body = Pieces(source, token.Start + quote, token.End, token.Kind == SqlTokenKind.EscapeString, token.Unterminated, out _);
                    text = token.Kind == SqlTokenKind.EscapeString ? DecodeEscapes(body) : body.Replace("''", "'", StringComparison.Ordinal);
                    start = 0;
                    end = text.Length;
                    return true;
                }

            default:
                text = "";
                start = end = 0;
                return false;
        }
    }

    /// <summary>
    /// The content of a string that PostgreSQL will read as SQL (a DO or routine body, a dynamic
    /// EXECUTE's text): as <see cref="TryGetContent"/>, but false for a plain <c>'…'</c> string
    /// holding a backslash. A session may turn <c>standard_conforming_strings</c> off, and then
    /// PostgreSQL reads <c>'\117'</c> in such a string as the letter O: the gateway could not
    /// know which SQL runs (<c>'DR\117P TABLE t'</c>), so the text is unreadable (fail closed).
    /// </summary>
    public static bool TryGetSqlContent(string source, SqlToken token, out string text, out int start, out int end)
    {
        if (token.Kind == SqlTokenKind.String && source.AsSpan(token.Start, token.Length).Contains('\\'))
        {
            text = "";
            start = end = 0;
            return false;
        }

        return TryGetContent(source, token, out text, out start, out end);
    }

    /// <summary>
    /// What a <c>'…'</c> string holding a backslash may stand for, for the detectors: an
    /// <c>E'…'</c> string decoded, a <c>U&amp;'…'</c> one with its Unicode escapes (the default
    /// escape character), and a plain one decoded as an escape string, which is how a session with
    /// <c>standard_conforming_strings</c> off reads it. Null for other tokens.
    /// </summary>
    /// <param name="unicodeEscape">The escape character of a <c>U&amp;'…'</c> string (<c>UESCAPE '!'</c> changes it).</param>
    public static string? DecodeForDetection(string source, SqlToken token, char unicodeEscape = '\\')
    {
        if (token.Kind is not (SqlTokenKind.String or SqlTokenKind.EscapeString))
        {
            return null;
        }

        var raw = source.AsSpan(token.Start, token.Length);
        var quote = raw.IndexOf('\'');
        if (quote < 0)
        {
            return null;
        }

        var unicode = raw[0] is 'u' or 'U';
        var body = Pieces(source, token.Start + quote, token.End, backslashes: !unicode, token.Unterminated, out _);
        if (unicode)
        {
            // U&'\0034' and U&'\+000034': the same code points as E'\u0034' and E'\U00000034'.
            var escapes = new StringBuilder(body.Length + 8);
            for (var i = 0; i < body.Length; i++)
            {
                if (body[i] == '\'' && i + 1 < body.Length && body[i + 1] == '\'')
                {
                    escapes.Append('\'');
                    i++;
                }
                else if (body[i] == unicodeEscape && i + 1 < body.Length)
                {
                    var next = body[++i];
                    escapes.Append(next == '+' ? "\\U00" : next == unicodeEscape ? (next == '\\' ? "\\\\" : next.ToString()) : "\\u" + next);
                }
                else
                {
                    escapes.Append(body[i] == '\\' ? "\\\\" : body[i].ToString());
                }
            }

            body = escapes.ToString();
        }

        return DecodeEscapes(body);
    }

    /// <summary>Whether a string constant was written in pieces on several lines, which PostgreSQL joins.</summary>
    public static bool IsContinued(string source, SqlToken token)
    {
        if (token.Kind is not (SqlTokenKind.String or SqlTokenKind.EscapeString))
        {
            return false;
        }

        var quote = source.AsSpan(token.Start, token.Length).IndexOf('\'');
        Pieces(source, token.Start + quote, token.End, token.Kind == SqlTokenKind.EscapeString, token.Unterminated, out var pieces);
        return pieces > 1;
    }

    /// <summary>
    /// The raw bodies of a string constant's pieces joined (<c>'ab'</c> newline <c>'cd'</c> is
    /// <c>abcd</c>), escapes and doubled quotes still as written.
    /// </summary>
    private static string Pieces(string source, int quote, int end, bool backslashes, bool unterminated, out int pieces)
    {
        pieces = 1;
        var body = new System.Text.StringBuilder();
        var i = quote + 1;
        var pieceStart = i;
        while (i < end)
        {
            var c = source[i];
            if (c == '\\' && backslashes)
            {
                i += 2;
            }
            else if (c == '\'' && i + 1 < end && source[i + 1] == '\'')
            {
                i += 2;
            }
            else if (c == '\'')
            {
                body.Append(source, pieceStart, i - pieceStart);
                var next = SqlLexer.ContinuationQuote(source, i + 1, end);
                if (next < 0)
                {
                    return body.ToString();
                }

                i = pieceStart = next + 1;
                pieces++;
            }
            else
            {
                i++;
            }
        }

        if (unterminated)
        {
            body.Append(source, pieceStart, Math.Min(i, end) - pieceStart);
        }

        return body.ToString();
    }

    /// <summary>An identifier's name: unquoted words fold to lower case, quoted ones are exact.</summary>
    public static string Identifier(string source, SqlToken token)
    {
        var raw = source.AsSpan(token.Start, token.Length);
        if (token.Kind == SqlTokenKind.QuotedIdentifier && raw.Length >= 2 && raw[0] == '"')
        {
            var inner = token.Unterminated ? raw[1..] : raw[1..^1];
            return Truncated(inner.ToString().Replace("\"\"", "\"", StringComparison.Ordinal));
        }

        // PostgreSQL folds only ASCII letters (downcase_identifier with a multi-byte encoding).
        Span<char> lower = raw.Length <= 128 ? stackalloc char[raw.Length] : new char[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            lower[i] = char.IsAsciiLetterUpper(c) ? (char)(c | 0x20) : c;
        }

        return Truncated(lower.ToString());
    }

    /// <summary>The longest identifier PostgreSQL keeps, in bytes (NAMEDATALEN - 1).</summary>
    public const int MaxIdentifierBytes = 63;

    /// <summary>
    /// An identifier as PostgreSQL keeps it: cut to 63 bytes of UTF-8 at a character's start
    /// (truncate_identifier). Two names alike in their first 63 bytes are one name there: the
    /// gateway told them apart, and one approval ran a DELETE twice, a portal was masked by another
    /// statement's plan (probe EF1, EF2).
    /// </summary>
    public static string Truncated(string identifier)
    {
        if (identifier.Length <= MaxIdentifierBytes / 3 || Encoding.UTF8.GetByteCount(identifier) <= MaxIdentifierBytes)
        {
            return identifier;
        }

        var bytes = 0;
        var end = 0;
        foreach (var rune in identifier.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > MaxIdentifierBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            end += rune.Utf16SequenceLength;
        }

        return identifier[..end];
    }

    /// <summary>E'…' escapes (the PostgreSQL manual, 4.1.2.2): \b \f \n \r \t, octal, \x hex, \u and \U.</summary>
    private static string DecodeEscapes(ReadOnlySpan<char> body)
    {
        var sb = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '\'' && i + 1 < body.Length && body[i + 1] == '\'')
            {
                sb.Append('\'');
                i++;
                continue;
            }

            if (c != '\\' || i + 1 >= body.Length)
            {
                sb.Append(c);
                continue;
            }

            var e = body[++i];
            switch (e)
            {
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'x' or 'X':
                    i = AppendNumber(sb, body, i + 1, 2, 16, i);
                    break;
                case 'u':
                    i = AppendNumber(sb, body, i + 1, 4, 16, i);
                    break;
                case 'U':
                    i = AppendNumber(sb, body, i + 1, 8, 16, i);
                    break;
                case >= '0' and <= '7':
                    i = AppendNumber(sb, body, i, 3, 8, i);
                    break;
                default:
                    sb.Append(e);
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Reads up to <paramref name="maxDigits"/> digits at <paramref name="from"/>; returns the index of the last one used.</summary>
    private static int AppendNumber(StringBuilder sb, ReadOnlySpan<char> body, int from, int maxDigits, int radix, int escapeIndex)
    {
        var value = 0;
        var count = 0;
        while (count < maxDigits && from + count < body.Length)
        {
            var digit = radix == 8
                ? (body[from + count] is >= '0' and <= '7' ? body[from + count] - '0' : -1)
                : (char.IsAsciiHexDigit(body[from + count]) ? int.Parse(body.Slice(from + count, 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture) : -1);
            if (digit < 0)
            {
                break;
            }

            value = (value * radix) + digit;
            count++;
        }

        if (count == 0)
        {
            sb.Append(body[escapeIndex]);
            return escapeIndex;
        }

        if (radix == 8)
        {
            value &= 0xFF;
        }

        if (value is > 0 and <= 0x10FFFF && !(value is >= 0xD800 and <= 0xDFFF))
        {
            sb.Append(char.ConvertFromUtf32(value));
        }

        return from + count - 1;
    }
}
