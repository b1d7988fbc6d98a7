namespace Appliance.Policy.Sql;

/// <summary>
/// Words of an expression's own syntax inside a condition of constants, which name no column:
/// <c>extract(year FROM now())</c>, <c>now() AT TIME ZONE 'UTC'</c>,
/// <c>'2020-01-01'::timestamp with time zone</c>, <c>interval '1' day</c>,
/// <c>trim(both 'x' FROM 'y')</c>, <c>'a' IS NFC NORMALIZED</c>. Without them such a condition
/// read as naming a column and so as limiting. The unreserved ones (<c>year</c>, <c>zone</c>,
/// <c>normalized</c>…) can be column names too, so they count only in their place.
/// </summary>
internal static partial class SqlClassifier
{
    /// <summary>Reserved words that appear only inside the calls SQL gives their own syntax (trim, substring, overlay).</summary>
    private static readonly HashSet<string> ReservedCallWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "BOTH", "LEADING", "TRAILING", "FOR", "PLACING", "UNIQUE",
    };

    private static readonly HashSet<string> IntervalFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND",
    };

    private static readonly HashSet<string> NormalForms = new(StringComparer.OrdinalIgnoreCase) { "NFC", "NFD", "NFKC", "NFKD" };

    /// <summary>What may follow <c>IS</c> or <c>IS NOT</c> besides the constant words.</summary>
    private static readonly HashSet<string> IsPredicates = new(StringComparer.OrdinalIgnoreCase) { "NORMALIZED", "DOCUMENT", "JSON" };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> ReservedCallWordsLookup =
        ReservedCallWords.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> IntervalFieldsLookup =
        IntervalFields.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> NormalFormsLookup =
        NormalForms.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> IsPredicatesLookup =
        IsPredicates.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The word at <paramref name="i"/> (within <paramref name="from"/>..<paramref name="to"/>) is syntax, not a column.</summary>
    private static bool IsSyntaxWord(Statement statement, int i, int from, int to)
    {
        var word = statement.Word(i);
        if (ReservedCallWordsLookup.Contains(word))
        {
            return true;
        }

        bool Is(int at, string keyword) => at >= from && at < to && statement.IsKeyword(at, keyword);

        // AT TIME ZONE, AT LOCAL, WITH TIME ZONE and WITHOUT TIME ZONE (in a type).
        if (SqlKeywords.Is(word, "AT"))
        {
            return (Is(i + 1, "TIME") && Is(i + 2, "ZONE")) || Is(i + 1, "LOCAL");
        }

        if (SqlKeywords.Is(word, "TIME") || SqlKeywords.Is(word, "LOCAL"))
        {
            return Is(i - 1, "AT") || Is(i - 1, "WITH") || Is(i - 1, "WITHOUT");
        }

        if (SqlKeywords.Is(word, "ZONE"))
        {
            return Is(i - 1, "TIME") && (Is(i - 2, "AT") || Is(i - 2, "WITH") || Is(i - 2, "WITHOUT"));
        }

        if (SqlKeywords.Is(word, "WITH") || SqlKeywords.Is(word, "WITHOUT"))
        {
            return (Is(i + 1, "TIME") && Is(i + 2, "ZONE")) || Is(i + 1, "UNIQUE");
        }

        // extract(field FROM …): any field name (epoch, dow, …).
        if (i - 2 >= from && statement.Tokens[i - 1].Kind == SqlTokenKind.OpenParen && Is(i - 2, "EXTRACT") && Is(i + 1, "FROM"))
        {
            return true;
        }

        // interval '1' day, interval '1-2' year TO month.
        if (IntervalFieldsLookup.Contains(word) && i - 1 >= from)
        {
            var previous = statement.Tokens[i - 1].Kind;
            return previous is SqlTokenKind.String or SqlTokenKind.EscapeString || Is(i - 1, "INTERVAL")
                || (Is(i - 1, "TO") && i - 2 >= from && IntervalFieldsLookup.Contains(statement.Word(i - 2)));
        }

        // IS [NOT] [NFC] NORMALIZED, normalize(x, NFC).
        if (NormalFormsLookup.Contains(word))
        {
            return Is(i + 1, "NORMALIZED")
                || (i - 1 >= from && statement.Word(i - 1) is "," && i + 1 < to && statement.Tokens[i + 1].Kind == SqlTokenKind.CloseParen);
        }

        // IS JSON OBJECT WITH UNIQUE KEYS.
        if (SqlKeywords.Is(word, "VALUE") || SqlKeywords.Is(word, "OBJECT") || SqlKeywords.Is(word, "SCALAR"))
        {
            return Is(i - 1, "JSON");
        }

        if (SqlKeywords.Is(word, "KEYS"))
        {
            return Is(i - 1, "UNIQUE");
        }

        // IS [NOT] NORMALIZED, IS [NOT] DOCUMENT, IS [NOT] JSON.
        if (IsPredicatesLookup.Contains(word))
        {
            var before = i - 1 >= from && NormalFormsLookup.Contains(statement.Word(i - 1)) ? i - 2 : i - 1;
            return Is(before, "IS") || (Is(before, "NOT") && Is(before - 1, "IS"));
        }

        return false;
    }
}
