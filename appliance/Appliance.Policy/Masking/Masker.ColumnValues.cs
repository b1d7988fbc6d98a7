using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// A value a statement writes to a masked column, or compares with one, is that column's value:
/// the audit log and approvers must not read it in clear where a result shows the column as
/// <c>****</c>. The detectors miss many such values (an SSN without dashes, any value of a column
/// masked by name), and SQL gives a value to a column in more ways than a reader can follow
/// (probe BH1: <c>WHERE ssn = '219099999'</c>; BJ3 and BN1: in parentheses, calls, CASE, casts,
/// subqueries; BN2: <c>SET ssn = v.x FROM (VALUES …) v</c>, <c>INSERT … SELECT</c>). So in a
/// statement that names a masked column (as a word or a quoted name, anywhere in it), every
/// literal and parameter is recorded masked: <c>'****'</c> for a string, <c>****</c> for a number
/// and for a parameter's value. An SQL-level <c>EXECUTE name(…)</c> is read so too, as the
/// prepared statement's text is not at hand. Counts and offsets (<c>LIMIT 10</c>,
/// <c>ORDER BY 2</c>) are no column's value and stay. Not read: a statement that gives a value to a
/// masked column without naming it (an INSERT without a column list), and values inside a
/// routine's or DO block's body.
/// </summary>
internal sealed partial class Masker
{
    private const string MaskedLiteral = "'****'";

    /// <summary>Words after which a number is a count, an offset or a position, not a value.</summary>
    private static readonly HashSet<string> CountWords = new(StringComparer.OrdinalIgnoreCase) { "LIMIT", "OFFSET", "FIRST", "NEXT", "BY" };

    /// <summary><paramref name="sql"/> with the literals of statements that name a masked column shown masked.</summary>
    public string MaskColumnValues(string sql)
    {
        if (!MayNameMaskedColumn(sql))
        {
            return sql;
        }

        var tokens = Tokens(sql);
        var literals = new List<SqlToken>();
        ColumnValues(sql, tokens, literals, parameters: null);
        if (literals.Count == 0)
        {
            return sql;
        }

        var masked = new StringBuilder(sql.Length);
        var copied = 0;
        foreach (var literal in literals)
        {
            masked.Append(sql, copied, literal.Start - copied).Append(literal.Kind == SqlTokenKind.Number ? "****" : MaskedLiteral);
            copied = literal.End;
        }

        var result = masked.Append(sql, copied, sql.Length - copied).ToString();
        if (!sql.Contains(MaskedLiteral, StringComparison.Ordinal))
        {
            ColumnMasksOnly.AddOrUpdate(result, MaskedLiteral);
        }

        return result;
    }

    /// <summary>
    /// Texts whose every <c>'****'</c> is a masked column's value: a <c>'****'</c> written before
    /// (a password, an escaped card) makes the gateway keep none of a statement's parameters and
    /// sample values, and a column's value is no reason to (probe BL1: every sample of a query
    /// filtering on ssn was recorded as ****). Known by the string itself; a copy is not known,
    /// and then counts as holding a secret.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, object> ColumnMasksOnly = [];

    /// <summary>Whether every <c>'****'</c> in <paramref name="sql"/> was written by <see cref="MaskColumnValues"/>.</summary>
    public static bool HasOnlyColumnMasks(string sql) => ColumnMasksOnly.TryGetValue(sql, out _);

    /// <summary>The numbers of the parameters (<c>$n</c>) of statements that name a masked column; null when none.</summary>
    public IReadOnlySet<int>? ColumnParameters(string sql)
    {
        if (!MayNameMaskedColumn(sql) || !sql.Contains('$', StringComparison.Ordinal))
        {
            return null;
        }

        var parameters = new HashSet<int>();
        ColumnValues(sql, Tokens(sql), literals: null, parameters);
        return parameters.Count > 0 ? parameters : null;
    }

    /// <summary>A quick test before the text is read: a masked column's name may be in it, or an EXECUTE.</summary>
    private bool MayNameMaskedColumn(string sql)
    {
        if (_columns.Count == 0)
        {
            return false;
        }

        foreach (var column in _columns)
        {
            if (sql.Contains(column, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        // A Unicode-escaped name (U&"\0073sn"), and EXECUTE name(…), whose prepared statement's text is not at hand.
        return sql.Contains("U&", StringComparison.OrdinalIgnoreCase) || sql.Contains("EXECUTE", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The literals (in order) and parameter numbers of each statement of the text that names a masked column or is an EXECUTE.</summary>
    private void ColumnValues(string sql, List<SqlToken> tokens, List<SqlToken>? literals, HashSet<int>? parameters)
    {
        var start = 0;
        for (var i = 0; i <= tokens.Count; i++)
        {
            if (i < tokens.Count && tokens[i].Kind != SqlTokenKind.Semicolon)
            {
                continue;
            }

            if (NamesMaskedColumn(sql, tokens, start, i))
            {
                for (var j = start; j < i; j++)
                {
                    var token = tokens[j];
                    if (token.Kind == SqlTokenKind.Parameter
                        && int.TryParse(sql.AsSpan(token.Start + 1, token.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
                    {
                        parameters?.Add(number);
                    }
                    else if (token.IsStringLiteral || token.Kind == SqlTokenKind.Number && !(j > start && IsWordIn(sql, tokens[j - 1], CountWords)))
                    {
                        literals?.Add(token);
                    }
                }
            }

            start = i + 1;
        }
    }

    private bool NamesMaskedColumn(string sql, List<SqlToken> tokens, int from, int to)
    {
        if (from < to && IsWord(sql, tokens[from], "EXECUTE"))
        {
            return true;
        }

        for (var i = from; i < to; i++)
        {
            if (tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && _columns.Contains(SqlLiteral.Identifier(sql, tokens[i])))
            {
                return true;
            }
        }

        return false;
    }
}
