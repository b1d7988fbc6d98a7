using System.Globalization;
using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// How much of a huge statement the audit log keeps. A grant holder may send statements of up to
/// the gateway's message limit (64 MiB); recorded whole, each cost the store and every reader of the
/// session that much again. A statement up to <see cref="RecordedTextLimit"/> characters is kept as
/// it is. Above it, what makes it huge is almost always data: a literal or comments (a file's
/// contents, generated padding). Only what cannot run is shortened, so nothing that runs can be
/// pushed out of the record: each run of comments and spaces longer than <see cref="LongPartLimit"/>
/// becomes a marker that says how long it was, and so does each string literal past its first
/// <see cref="KeptPartLength"/> characters, unless the statement runs SQL from a string (a DO or
/// routine body, EXECUTE, query_to_xml…: then no literal is shortened). When that is not enough
/// (padding of many smaller parts), a second pass does the same from <see cref="ShortPartLimit"/>
/// characters on. What is left is recorded whole: a statement that is huge in keywords, names and
/// numbers (a VALUES list of a million rows) is what it is; so is one with a backslash in a plain
/// string, which another setting of <c>standard_conforming_strings</c> reads differently.
/// </summary>
internal sealed partial class Masker
{
    public const int RecordedTextLimit = 256 * 1024;

    public const int LongPartLimit = 16 * 1024;

    public const int KeptPartLength = 1024;

    public const int ShortPartLimit = 256;

    private const int ShortKeptLength = 64;

    public const int RecordedValueLimit = 1024;

    /// <summary><paramref name="sql"/> (already masked) as the audit log keeps it.</summary>
    public static string ShortenForRecord(string sql)
    {
        if (sql.Length <= RecordedTextLimit)
        {
            return sql;
        }

        // A plain string holding a backslash ends elsewhere when standard_conforming_strings is off
        // ('x\'' …): what is a literal or a comment in one reading can be SQL that runs in the other.
        var tokens = Tokens(sql, backslashQuotes: false, out var sawBackslash);
        if (sawBackslash)
        {
            return sql;
        }

        // Both passes read the original tokens: the first pass's markers are never lexed again.
        var literals = !RunsSqlFromAString(sql);
        var shortened = Shorten(sql, tokens, LongPartLimit, KeptPartLength, literals);
        return shortened.Length <= RecordedTextLimit ? shortened : Shorten(sql, tokens, ShortPartLimit, ShortKeptLength, literals);
    }

    /// <summary>
    /// Whether a statement in the text runs SQL written in a string literal: then every literal may
    /// be code. A DO block or a routine's body is code whatever the classifier found in it (a body
    /// of PERFORMs holds no statement it lists).
    /// </summary>
    private static bool RunsSqlFromAString(string sql)
    {
        foreach (var statement in SqlClassifier.Classify(sql).Statements)
        {
            if (statement.Depth > 0 || statement.IsUnknown || statement.Kind == "DO"
                || statement.Command is "CREATE FUNCTION" or "CREATE PROCEDURE")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A parameter's value (already masked) as the audit log keeps it: up to
    /// <see cref="RecordedValueLimit"/> characters as it is; beyond, runs of one character longer
    /// than 16 are written once with their count (padding cannot hide the value it surrounds:
    /// <c>' ' × 250 || '4253'</c> is a valid integer), then, if still too long, its start and end
    /// with what was left out counted between them.
    /// </summary>
    public static string ShortenValueForRecord(string value)
    {
        if (value.Length <= RecordedValueLimit)
        {
            return value;
        }

        var runs = new StringBuilder(Math.Min(value.Length, 4 * RecordedValueLimit));
        for (var i = 0; i < value.Length;)
        {
            var end = i + 1;
            while (end < value.Length && value[end] == value[i])
            {
                end++;
            }

            if (end - i > 16 && !char.IsSurrogate(value[i]))
            {
                runs.Append(value[i]).Append(CultureInfo.InvariantCulture, $"…[×{end - i}]");
            }
            else
            {
                runs.Append(value, i, end - i);
            }

            i = end;
        }

        if (runs.Length <= RecordedValueLimit)
        {
            return runs.ToString();
        }

        var text = runs.ToString();
        var half = RecordedValueLimit / 2;
        var head = WholeCharacters(text, 0, half);
        var tailStart = text.Length - half + (char.IsLowSurrogate(text[text.Length - half]) ? 1 : 0);
        return string.Concat(
            text.AsSpan(0, head),
            string.Create(CultureInfo.InvariantCulture, $"…[{tailStart - head} characters not recorded]…"),
            text.AsSpan(tailStart));
    }

    private static string Shorten(string sql, List<SqlToken> tokens, int limit, int kept, bool literals)
    {
        var shortened = new StringBuilder(Math.Min(sql.Length, RecordedTextLimit));
        var copied = 0;
        var previousEnd = 0;
        foreach (var token in tokens)
        {
            if (token.Start - previousEnd > limit)
            {
                shortened.Append(sql, copied, previousEnd - copied).Append(GapMarker(token.Start - previousEnd));
                copied = token.Start;
            }

            if (literals && token.IsStringLiteral && token.Length > limit)
            {
                var keep = KeptLiteralLength(sql, token.Start, kept);
                shortened.Append(sql, copied, token.Start - copied).Append(sql, token.Start, keep)
                    .Append(CultureInfo.InvariantCulture, $"…[{token.Length - keep} more characters not recorded]").Append(Closing(sql, token));
                copied = token.End;
            }

            previousEnd = token.End;
        }

        if (sql.Length - previousEnd > limit)
        {
            // Comments and spaces after the last token.
            shortened.Append(sql, copied, previousEnd - copied).Append(GapMarker(sql.Length - previousEnd));
            copied = sql.Length;
        }

        return shortened.Append(sql, copied, sql.Length - copied).ToString();
    }

    private static string GapMarker(int length) =>
        string.Create(CultureInfo.InvariantCulture, $" /* {length} characters of comments and spaces not recorded */ ");

    /// <summary>
    /// A literal's kept start: not ending on a quote or a backslash (half of a doubled <c>''</c>
    /// or an escape would make the marker after it read as part of the literal or end it).
    /// </summary>
    private static int KeptLiteralLength(string sql, int start, int length)
    {
        var keep = WholeCharacters(sql, start, length);
        while (keep > 1 && sql[start + keep - 1] is '\'' or '\\')
        {
            keep--;
        }

        return keep;
    }

    /// <summary>At most <paramref name="length"/> characters from <paramref name="start"/>, not ending inside a surrogate pair.</summary>
    private static int WholeCharacters(string text, int start, int length) =>
        char.IsHighSurrogate(text[start + length - 1]) ? length - 1 : length;

    /// <summary>What ends the literal: its quote, or a dollar-quoted string's tag; nothing when it never ended.</summary>
    private static string Closing(string sql, SqlToken token)
    {
        if (token.Unterminated)
        {
            return "";
        }

        if (token.Kind == SqlTokenKind.DollarString)
        {
            var tagEnd = sql.IndexOf('$', token.Start + 1);
            return sql.Substring(token.Start, tagEnd - token.Start + 1);
        }

        return "'";
    }
}
