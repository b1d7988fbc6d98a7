using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

internal sealed partial class Masker
{
    /// <summary>
    /// A statement's text for the audit log and for approvers, after the detectors have read it
    /// as written: a string literal written with escapes (<c>E'\x34…'</c>, <c>U&amp;'\0034…'</c>,
    /// or a plain one that a session with <c>standard_conforming_strings</c> off reads as escapes)
    /// hides its digits from them, so one whose decoded value they flag is shown as <c>'****'</c>.
    /// </summary>
    public string MaskEscapedLiterals(string sql)
    {
        if (!HasValueDetection || !sql.Contains('\\', StringComparison.Ordinal))
        {
            return sql;
        }

        StringBuilder? masked = null;
        var copied = 0;
        var lexer = new SqlLexer(sql);
        for (var token = lexer.Next(); token.Kind != SqlTokenKind.End; token = lexer.Next())
        {
            if (!sql.AsSpan(token.Start, token.Length).Contains('\\')
                || SqlLiteral.DecodeForDetection(sql, token) is not { } decoded
                || !Detects(Encoding.UTF8.GetBytes(decoded)))
            {
                continue;
            }

            masked ??= new StringBuilder(sql.Length);
            masked.Append(sql, copied, token.Start - copied).Append("'****'");
            copied = token.End;
        }

        return masked is null ? sql : masked.Append(sql, copied, sql.Length - copied).ToString();
    }
}
