using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// Relations are known by name, as the catalog read at login lists them. A copy that keeps a
/// masked relation's column names (<c>CREATE TABLE s2.tags AS SELECT * FROM customers</c>, a
/// temporary table, <c>SELECT * INTO</c>) stays masked by those names, but one named like a
/// relation the catalog knows to hold no masked column is taken for that one: its whole rows
/// (<c>translate(t::text, …)</c>) went out in clear (probes BE1, BE2). Such a copy is refused.
/// </summary>
internal sealed partial class Masker
{
    /// <summary>The name of the relation a copy of rows that may hold masked columns would be taken for; null when none.</summary>
    private static string? CopyNamedLikeCleanRelation(SqlStatement statement, string text, List<SqlToken> tokens, IColumnNameLookup? relations)
    {
        if (relations is null || CreatedName(statement, text, tokens) is not { } name || relations.RelationHasMaskedColumn(name) != false)
        {
            return null;
        }

        var index = new TokenIndex(text, tokens);
        return NamesRelationThatMayHoldOne(text, tokens, relations) || RowSourceNames(text, tokens, relations, index) is { Count: > 0 } ? name : null;
    }

    /// <summary>
    /// What <c>CREATE [TEMP | UNLOGGED] TABLE | [MATERIALIZED] VIEW [IF NOT EXISTS] name … AS</c>
    /// or <c>SELECT … INTO [TEMP] [TABLE] name</c> creates (the last part of the name); null for other statements.
    /// </summary>
    private static string? CreatedName(SqlStatement statement, string text, List<SqlToken> tokens)
    {
        var i = statement.Kind switch
        {
            "CREATE" => tokens.FindIndex(t => IsWord(text, t, "TABLE") || IsWord(text, t, "VIEW")),
            "SELECT" => TopLevelWordIndex(text, tokens, "INTO"),
            _ => -1,
        };
        if (i < 0 || (statement.Kind == "CREATE" && !tokens.Exists(t => IsWord(text, t, "AS"))))
        {
            return null;
        }

        i++;
        while (i < tokens.Count && tokens[i].Kind == SqlTokenKind.Word
            && Word(text, tokens[i]) is var word && (word.Equals("TEMP", StringComparison.OrdinalIgnoreCase) || word.Equals("TEMPORARY", StringComparison.OrdinalIgnoreCase)
                || word.Equals("UNLOGGED", StringComparison.OrdinalIgnoreCase) || word.Equals("TABLE", StringComparison.OrdinalIgnoreCase)
                || word.Equals("IF", StringComparison.OrdinalIgnoreCase) || word.Equals("NOT", StringComparison.OrdinalIgnoreCase)
                || word.Equals("EXISTS", StringComparison.OrdinalIgnoreCase)))
        {
            i++;
        }

        while (i + 2 < tokens.Count && tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && IsDot(text, tokens[i + 1]))
        {
            i += 2;
        }

        return i < tokens.Count && tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier ? SqlLiteral.Identifier(text, tokens[i]) : null;
    }
}
