using System.Globalization;
using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// How much of a huge statement the audit log keeps. A grant holder may send statements of up to
/// the gateway's message limit (64 MiB); recorded whole, each cost the store and every reader of the
/// session that much again, and the recorder several times that in memory. A statement up to
/// <see cref="RecordedTextLimit"/> characters is kept as it is. Above it, what makes it huge is
/// almost always one literal or comment (a file's contents, generated padding): each string
/// literal and each run of comments and spaces longer than <see cref="LongPartLimit"/> keeps its
/// first <see cref="KeptPartLength"/> characters and says how many it lost, so every keyword and
/// name of the statement stays in the record; padding cannot push an action out of it. Only a
/// statement still too long after that (a VALUES list of a million rows) loses its middle.
/// </summary>
internal sealed partial class Masker
{
    public const int RecordedTextLimit = 256 * 1024;

    public const int LongPartLimit = 16 * 1024;

    public const int KeptPartLength = 1024;

    private const int MaxRecordedLength = 4 * RecordedTextLimit;

    /// <summary><paramref name="sql"/> (already masked) as the audit log keeps it.</summary>
    public static string ShortenForRecord(string sql)
    {
        if (sql.Length <= RecordedTextLimit)
        {
            return sql;
        }

        var tokens = Tokens(sql);
        var shortened = new StringBuilder(RecordedTextLimit);
        var copied = 0;
        var previousEnd = 0;
        foreach (var token in tokens)
        {
            if (token.Start - previousEnd > LongPartLimit)
            {
                // Comments and spaces between two tokens.
                shortened.Append(sql, copied, previousEnd - copied)
                    .Append(CultureInfo.InvariantCulture, $" /* {token.Start - previousEnd} characters of comments and spaces not recorded */ ");
                copied = token.Start;
            }

            if (token.IsStringLiteral && token.Length > LongPartLimit)
            {
                var kept = WholeCharacters(sql, token.Start, KeptPartLength);
                shortened.Append(sql, copied, token.Start - copied).Append(sql, token.Start, kept)
                    .Append(CultureInfo.InvariantCulture, $"…[{token.Length - kept} more characters not recorded]").Append(Closing(sql, token));
                copied = token.End;
            }

            previousEnd = token.End;
        }

        shortened.Append(sql, copied, sql.Length - copied);
        if (shortened.Length <= MaxRecordedLength)
        {
            return shortened.ToString();
        }

        var text = shortened.ToString();
        var head = WholeCharacters(text, 0, MaxRecordedLength / 2);
        var tailStart = text.Length - (MaxRecordedLength / 2);
        tailStart += char.IsLowSurrogate(text[tailStart]) ? 1 : 0;
        return string.Concat(
            text.AsSpan(0, head),
            $" /* … {(tailStart - head).ToString(CultureInfo.InvariantCulture)} characters of the statement not recorded … */ ",
            text.AsSpan(tailStart));
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
