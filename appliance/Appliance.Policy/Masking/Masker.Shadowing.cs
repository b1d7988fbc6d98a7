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
        if (relations is null)
        {
            return null;
        }

        if (RenamedTo(statement, text, tokens) is var (from, to) && relations.RelationHasMaskedColumn(to) == false
            && relations.RelationHasMaskedColumn(from) != false)
        {
            // ALTER TABLE copy RENAME TO tags: a relation not known clean takes a clean one's name (probe BF1).
            return to;
        }

        if (CreatedName(statement, text, tokens) is not { } name || relations.RelationHasMaskedColumn(name) != false)
        {
            return null;
        }

        // AS EXECUTE pd: what pd reads is not in this text (probe BF2).
        var index = new TokenIndex(text, tokens);
        return NamesRelationThatMayHoldOne(text, tokens, relations) || RowSourceNames(text, tokens, relations, index) is { Count: > 0 }
            || tokens.Exists(t => IsWord(text, t, "EXECUTE")) ? name : null;
    }

    /// <summary>
    /// <c>ALTER TABLE | VIEW | MATERIALIZED VIEW | FOREIGN TABLE | INDEX [IF EXISTS] [ONLY] name RENAME TO new</c>:
    /// both names' last parts. PostgreSQL's ALTER INDEX renames a table too (probe BG1).
    /// </summary>
    private static (string From, string To)? RenamedTo(SqlStatement statement, string text, List<SqlToken> tokens)
    {
        if (statement.Kind != "ALTER" || tokens.Count < 6 || !IsWord(text, tokens[^3], "RENAME") || !IsWord(text, tokens[^2], "TO")
            || tokens[^1].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return null;
        }

        var name = tokens.FindIndex(t => IsWord(text, t, "TABLE") || IsWord(text, t, "VIEW") || IsWord(text, t, "INDEX"));
        if (name < 0)
        {
            return null;
        }

        name = NameAfter(text, tokens, name + 1);
        return name < tokens.Count - 3 ? (SqlLiteral.Identifier(text, tokens[name]), SqlLiteral.Identifier(text, tokens[^1])) : null;
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

        var name = NameAfter(text, tokens, i + 1);
        return name < tokens.Count && tokens[name].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier ? SqlLiteral.Identifier(text, tokens[name]) : null;
    }

    /// <summary>Words between a statement's TABLE, VIEW or INTO and the relation's name (<c>INTO LOCAL TEMP</c>: probe BG2).</summary>
    private static readonly HashSet<string> BeforeRelationName = new(StringComparer.OrdinalIgnoreCase)
    {
        "LOCAL", "GLOBAL", "TEMP", "TEMPORARY", "UNLOGGED", "TABLE", "IF", "NOT", "EXISTS", "ONLY",
    };

    /// <summary>The index of the last part of the relation's name from <paramref name="i"/>, past the words before it and its schema.</summary>
    private static int NameAfter(string text, List<SqlToken> tokens, int i)
    {
        while (i < tokens.Count && tokens[i].Kind == SqlTokenKind.Word && IsWordIn(text, tokens[i], BeforeRelationName))
        {
            i++;
        }

        while (i + 2 < tokens.Count && tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && IsDot(text, tokens[i + 1]))
        {
            i += 2;
        }

        return i;
    }
}
