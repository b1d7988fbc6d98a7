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
        var escapes = HasValueDetection && sql.Contains('\\', StringComparison.Ordinal);
        var secrets = sql.Contains("password", StringComparison.OrdinalIgnoreCase);
        if (!escapes && !secrets)
        {
            return sql;
        }

        StringBuilder? masked = null;
        var copied = 0;
        var lexer = new SqlLexer(sql);
        var afterPassword = false;
        for (var token = lexer.Next(); token.Kind != SqlTokenKind.End; token = lexer.Next())
        {
            var text = sql.AsSpan(token.Start, token.Length);
            var hide = token.IsStringLiteral && (
                (secrets && (afterPassword || text.Contains("password", StringComparison.OrdinalIgnoreCase)))
                || (escapes && text.Contains('\\') && SqlLiteral.DecodeForDetection(sql, token) is { } decoded && Detects(Encoding.UTF8.GetBytes(decoded))));
            afterPassword = token.IsWord && text.Equals("password", StringComparison.OrdinalIgnoreCase);
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
}
