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
    /// <c>password=</c>), whatever the masking rules; and a literal written with escapes
    /// (<c>E'\x34…'</c>, <c>U&amp;'\0034…'</c>, or a plain one that a session with
    /// <c>standard_conforming_strings</c> off reads as escapes) whose decoded value the detectors
    /// flag: the escapes hid its digits from them.
    /// </summary>
    public string MaskSqlLiterals(string sql)
    {
        var escapes = HasValueDetection && (sql.Contains('\\', StringComparison.Ordinal) || sql.Contains("uescape", StringComparison.OrdinalIgnoreCase));
        var secrets = sql.Contains("password", StringComparison.OrdinalIgnoreCase);
        if (!escapes && !secrets)
        {
            return sql;
        }

        var tokens = new List<SqlToken>();
        var lexer = new SqlLexer(sql);
        for (var token = lexer.Next(); token.Kind != SqlTokenKind.End; token = lexer.Next())
        {
            tokens.Add(token);
        }

        StringBuilder? masked = null;
        var copied = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.IsStringLiteral)
            {
                continue;
            }

            var text = sql.AsSpan(token.Start, token.Length);
            var afterPassword = i > 0 && tokens[i - 1].IsWord && sql.AsSpan(tokens[i - 1].Start, tokens[i - 1].Length).Equals("password", StringComparison.OrdinalIgnoreCase);
            var hide = (secrets && (afterPassword || text.Contains("password", StringComparison.OrdinalIgnoreCase)))
                || (escapes && HidesADetectedValue(sql, tokens, i));
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

    /// <summary>A literal whose escapes (backslashes, or a U&amp; string's own escape character from a following UESCAPE) hide what the detectors find once decoded.</summary>
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

        return sql.AsSpan(token.Start, token.Length).Contains(escape)
            && SqlLiteral.DecodeForDetection(sql, token, escape) is { } decoded
            && Detects(Encoding.UTF8.GetBytes(decoded));
    }
}
