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
/// and for a parameter's value. So are statements that may give one without naming it
/// (<see cref="NamesMaskedColumn"/>). Counts and offsets (<c>LIMIT 10</c>, <c>ORDER BY 2</c>) are
/// no column's value and stay. Not read: values inside a routine's or DO block's body, and a
/// value a routine or trigger gives a masked column from arguments that do not name it.
/// </summary>
internal sealed partial class Masker
{
    private const string MaskedLiteral = "'****'";

    /// <summary>Words after which a number is a count, an offset or a position, not a value.</summary>
    private static readonly HashSet<string> CountWords = new(StringComparer.OrdinalIgnoreCase) { "LIMIT", "OFFSET", "FIRST", "NEXT", "BY" };

    /// <summary>
    /// <paramref name="sql"/> with the literals of statements that may give a masked column a value,
    /// as the text alone tells, shown masked (cached per text by the connection's runtime).
    /// </summary>
    public string MaskColumnValues(string sql) => MaskValues(sql, relations: null);

    /// <summary>
    /// Then, with a session's catalog: the literals of a write to a relation it does not know to hold
    /// no masked column (probes BT1, BT2: a view's renamed column, a composite column's field, a whole
    /// row). A text with nothing more to mask is returned as it is, without being read again in full.
    /// </summary>
    public string MaskWrittenValues(string sql, IColumnNameLookup relations) => MaskValues(sql, relations);

    private string MaskValues(string sql, IColumnNameLookup? relations)
    {
        if (!MayHoldValues(sql, relations))
        {
            return sql;
        }

        var tokens = Tokens(sql);
        var literals = new List<SqlToken>();
        ColumnValues(sql, tokens, literals, parameters: null, relations);
        literals.RemoveAll(t => sql.AsSpan(t.Start, t.Length).SequenceEqual(MaskedLiteral));
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
        if (!sql.Contains(MaskedLiteral, StringComparison.Ordinal) || HasOnlyColumnMasks(sql))
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

    /// <summary>The numbers of the parameters (<c>$n</c>) of statements that may give a masked column a value; null when none.</summary>
    public IReadOnlySet<int>? ColumnParameters(string sql, IColumnNameLookup? relations = null)
    {
        var byName = MayHoldValues(sql, relations: null);
        var byWrite = relations is not null && MayHoldValues(sql, relations);
        if (!sql.Contains('$', StringComparison.Ordinal) || !byName && !byWrite)
        {
            return null;
        }

        var parameters = new HashSet<int>();
        var tokens = Tokens(sql);
        if (byName)
        {
            ColumnValues(sql, tokens, literals: null, parameters, relations: null);
        }

        if (byWrite)
        {
            ColumnValues(sql, tokens, literals: null, parameters, relations);
        }

        return parameters.Count > 0 ? parameters : null;
    }

    /// <summary>
    /// A quick test before the text is read, on every statement the connection records: a masked
    /// column's name may be in it, a Unicode-escaped name (<c>U&amp;"\0073sn"</c>), an EXECUTE
    /// (whose prepared statement's text is not at hand) or an INSERT (by position). One vectorized
    /// pass: case-insensitive Contains calls take the slow casing path under invariant globalization.
    /// </summary>
    private bool MayGiveMaskedColumnAValue(string sql) => _columns.Count > 0 && sql.AsSpan().IndexOfAny(_valueHints) >= 0;

    /// <summary>The quick test of a pass: by the text alone, or (with a catalog) for a write.</summary>
    private bool MayHoldValues(string sql, IColumnNameLookup? relations) =>
        relations is null ? MayGiveMaskedColumnAValue(sql) : _columns.Count > 0 && sql.AsSpan().IndexOfAny(WriteWords) >= 0;

    private static readonly System.Buffers.SearchValues<string> WriteWords =
        System.Buffers.SearchValues.Create(["INSERT", "UPDATE", "MERGE"], StringComparison.OrdinalIgnoreCase);

    private void ColumnValues(string sql, List<SqlToken> tokens, List<SqlToken>? literals, HashSet<int>? parameters, IColumnNameLookup? relations)
    {
        var start = 0;
        for (var i = 0; i <= tokens.Count; i++)
        {
            if (i < tokens.Count && tokens[i].Kind != SqlTokenKind.Semicolon)
            {
                continue;
            }

            if (relations is null ? NamesMaskedColumn(sql, tokens, start, i) : WritesRelationThatMayHoldOne(sql, tokens, start, i, relations))
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

    /// <summary>
    /// Whether a statement may give a value to a masked column: it names one (a word, a quoted
    /// name, a string holding the name: <c>json_populate_record(…, '{"ssn": …}')</c>), names a
    /// column in a way not read here (<c>U&amp;"\0073sn"</c>), runs a prepared statement
    /// (<c>EXECUTE</c>, also under EXPLAIN or CREATE … AS: probe BQ1), or inserts by position
    /// (an INSERT without a column list: BQ3).
    /// </summary>
    private bool NamesMaskedColumn(string sql, List<SqlToken> tokens, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var token = tokens[i];
            switch (token.Kind)
            {
                case SqlTokenKind.Word when IsWord(sql, token, "EXECUTE") || IsWord(sql, token, "INSERT") && InsertsByPosition(sql, tokens, i, to):
                    return true;
                case SqlTokenKind.QuotedIdentifier when token.Length > 1 && sql[token.Start] is 'U' or 'u':
                    return true;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier when _columns.Contains(SqlLiteral.Identifier(sql, token)):
                    return true;
                case SqlTokenKind.String or SqlTokenKind.EscapeString or SqlTokenKind.DollarString when ContainsColumnName(sql.AsSpan(token.Start, token.Length)):
                    return true;
            }
        }

        return false;
    }

    /// <summary><c>INSERT INTO t</c>, <c>UPDATE [ONLY] t</c>, <c>MERGE INTO t</c> anywhere in the statement, where t may hold a masked column (or is not known).</summary>
    private static bool WritesRelationThatMayHoldOne(string sql, List<SqlToken> tokens, int from, int to, IColumnNameLookup relations)
    {
        for (var i = from; i < to; i++)
        {
            var at = IsWord(sql, tokens[i], "UPDATE") ? i + 1 : (IsWord(sql, tokens[i], "INSERT") || IsWord(sql, tokens[i], "MERGE")) && i + 1 < to && IsWord(sql, tokens[i + 1], "INTO") ? i + 2 : -1;
            if (at < 0)
            {
                continue;
            }

            if (at < to && IsWord(sql, tokens[at], "ONLY"))
            {
                at++;
            }

            while (at + 2 < to && tokens[at].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && IsDot(sql, tokens[at + 1]))
            {
                at += 2;
            }

            // FOR UPDATE, ON CONFLICT DO UPDATE SET, a trigger's, policy's or rule's event: no relation follows.
            if (at < to && tokens[at].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && !IsWordIn(sql, tokens[at], NoRelationAfterUpdate)
                && relations.RelationHasMaskedColumn(SqlLiteral.Identifier(sql, tokens[at])) != false)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Words after UPDATE where it names no relation written (probe BV4: CREATE POLICY … FOR UPDATE USING, CREATE RULE … ON UPDATE TO).</summary>
    private static readonly HashSet<string> NoRelationAfterUpdate = new(StringComparer.OrdinalIgnoreCase)
    {
        "SET", "OF", "ON", "OR", "NOWAIT", "SKIP", "USING", "TO", "WITH", "FOR",
    };

    /// <summary>A masked column's name as a word of its own in a literal (<c>'{"ssn": …}'</c>), not inside another (<c>'carelessness'</c>: probe BT5).</summary>
    private bool ContainsColumnName(ReadOnlySpan<char> text)
    {
        foreach (var column in _columns)
        {
            for (var at = text.IndexOf(column, StringComparison.OrdinalIgnoreCase); at >= 0;)
            {
                var end = at + column.Length;
                if ((at == 0 || !IsNameCharacter(text[at - 1])) && (end == text.Length || !IsNameCharacter(text[end])))
                {
                    return true;
                }

                var next = text[(at + 1)..].IndexOf(column, StringComparison.OrdinalIgnoreCase);
                at = next < 0 ? -1 : at + 1 + next;
            }
        }

        return false;
    }

    private static bool IsNameCharacter(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    /// <summary><c>INSERT INTO name [[AS] alias] VALUES | SELECT | DEFAULT | (query)</c>, or a MERGE's <c>INSERT VALUES</c>: no column list.</summary>
    private static bool InsertsByPosition(string sql, List<SqlToken> tokens, int insert, int to)
    {
        var i = insert + 1;
        while (i < to && tokens[i].Kind != SqlTokenKind.OpenParen && !IsWord(sql, tokens[i], "VALUES") && !IsWord(sql, tokens[i], "SELECT")
               && !IsWord(sql, tokens[i], "DEFAULT") && !IsWord(sql, tokens[i], "OVERRIDING") && !IsWord(sql, tokens[i], "WITH") && !IsWord(sql, tokens[i], "TABLE"))
        {
            i++;
        }

        return i >= to || tokens[i].Kind != SqlTokenKind.OpenParen
            || i + 1 < to && (IsWord(sql, tokens[i + 1], "SELECT") || IsWord(sql, tokens[i + 1], "VALUES") || IsWord(sql, tokens[i + 1], "WITH") || IsWord(sql, tokens[i + 1], "TABLE"));
    }
}
