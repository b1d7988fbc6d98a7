using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// The statements of a WITH are judged apart from the WITH queries they read (SqlClassifier gives
/// each its own text), so a WITH query is an unknown relation there, whose rows count as carrying a
/// masked column. One whose body reads only relations the catalog knows to hold none holds none
/// either: the archive idiom <c>WITH moved AS (DELETE FROM orders … RETURNING *) INSERT INTO
/// archive SELECT * FROM moved</c> copies no masked column (probe AK4: refused as if it did).
/// </summary>
internal sealed partial class Masker
{
    /// <summary>
    /// <paramref name="relations"/>, also answering "none" for the WITH queries of the statement
    /// that statement <paramref name="index"/> belongs to whose bodies read no masked column.
    /// </summary>
    private IColumnNameLookup? WithQueriesKnown(IReadOnlyList<SqlStatement> statements, int index, IColumnNameLookup? relations)
    {
        if (relations is null || statements[index].Origin != SqlStatementOrigin.With)
        {
            return relations;
        }

        var parent = index - 1;
        while (parent >= 0 && statements[parent].Depth >= statements[index].Depth)
        {
            parent--;
        }

        if (parent < 0 || statements[parent].Kind != "WITH")
        {
            return relations;
        }

        var text = statements[parent].Text.ToString();
        var tokens = Tokens(text);
        var qualified = QualifiedNames(text, tokens);
        var lookup = relations;
        HashSet<string>? clean = null;
        foreach (var (name, body) in WithQueryBodies(text, tokens, out _))
        {
            // In order: a later query may read an earlier one. A name the catalog knows for a
            // relation with masked columns stays that relation's wherever it is written (probe AP3:
            // WITH customers AS (SELECT 1) … FROM public.customers read the table as the clean query),
            // and so does one the statement writes with a schema, which no WITH query is (AS1: a view
            // made since the login, public.zz, read as the clean zz).
            // A body that names one only to filter gives its rows none, as a write's source would
            // (review R7: WITH t AS (… WHERE ssn LIKE '1%') INSERT INTO archive SELECT * FROM t was refused).
            var bodyTokens = Tokens(body);
            if (relations.RelationHasMaskedColumn(name) != true && !qualified.Contains(name)
                && (!NamesRelationThatMayHoldOne(body, bodyTokens, lookup)
                    && !Mentions(body, bodyTokens, depth: 0, lookInStrings: true, relations: lookup)
                    && RowSourceNames(body, bodyTokens, lookup, new TokenIndex(body, bodyTokens)) is not { Count: > 0 }
                    || !QueryCarriesMaskedValue(body, lookup)))
            {
                (clean ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
                lookup = new WithQueriesHoldingNone(relations, clean);
            }
        }

        return lookup;
    }

    /// <summary>
    /// What a WITH query of the statement may give the statement after the list (as
    /// <see cref="QueryCopy"/> answers), or null. Each statement of a WITH is judged apart, its WITH
    /// queries unknown there, so one that names a masked column anywhere refused the whole WITH before
    /// a write: a filter in a WITH query, or the write's own <c>SET ssn = …</c> after <c>WITH t AS
    /// (SELECT 7 AS id)</c> (probe DA2). Only a query body is read so; a writing one's RETURNING is
    /// taken to carry one.
    /// </summary>
    /// <param name="named">What the statement names, answered for a list the reader stopped in.</param>
    private string? WithQueriesCopy(string text, List<SqlToken> tokens, IColumnNameLookup? relations, string named)
    {
        var bodies = WithQueryBodies(text, tokens, out var complete);
        if (!complete)
        {
            // It carries what it could not read (review R1: a recursive query's SEARCH or CYCLE clause
            // stopped the reader, and the queries after it went unread), and says so (probe DD4).
            return named[0] == UnreadableMark ? named : Unreadable(named);
        }

        foreach (var (_, body) in bodies)
        {
            if (QueryCopy(body, relations) is { } copied)
            {
                return copied;
            }
        }

        return null;
    }

    /// <summary>The names written after a dot: relations with their schema, columns with their relation.</summary>
    private static HashSet<string> QualifiedNames(string text, List<SqlToken> tokens)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < tokens.Count; i++)
        {
            if (tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && IsDot(text, tokens[i - 1]))
            {
                names.Add(SqlLiteral.Identifier(text, tokens[i]));
            }
        }

        return names;
    }

    /// <summary>
    /// The body names a relation with a masked column anywhere, or reads one not known by
    /// <c>TABLE name</c> (probe AP2: <c>WITH q AS (TABLE customers)</c> passed as clean, TABLE being
    /// no from-item).
    /// </summary>
    private static bool NamesRelationThatMayHoldOne(string body, List<SqlToken> tokens, IColumnNameLookup lookup)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                continue;
            }

            if (lookup.RelationHasMaskedColumn(SqlLiteral.Identifier(body, tokens[i])) == true)
            {
                return true;
            }

            if (IsWord(body, tokens[i], "TABLE"))
            {
                // TABLE [ONLY] [schema.]name [*]: its relation is the last part of the name.
                var j = i + 1 < tokens.Count && IsWord(body, tokens[i + 1], "ONLY") ? i + 2 : i + 1;
                while (j + 2 < tokens.Count && tokens[j].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && IsDot(body, tokens[j + 1]))
                {
                    j += 2;
                }

                if (j >= tokens.Count || lookup.RelationHasMaskedColumn(SqlLiteral.Identifier(body, tokens[j])) != false)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// <c>WITH [RECURSIVE] name [(…)] AS [[NOT] MATERIALIZED] (body), …</c>: each name and body, until
    /// the list ends or reads otherwise; <paramref name="complete"/> when the list was read to the
    /// statement after it (not a SEARCH or CYCLE clause, which the reader does not follow).
    /// </summary>
    private static List<(string Name, string Body)> WithQueryBodies(string text, List<SqlToken> tokens, out bool complete) =>
        WithQueryBodies(text, tokens, out complete, out _);

    /// <inheritdoc cref="WithQueryBodies(string, List{SqlToken}, out bool)"/>
    /// <param name="after">Where the statement after the list starts, when <paramref name="complete"/>.</param>
    private static List<(string Name, string Body)> WithQueryBodies(string text, List<SqlToken> tokens, out bool complete, out int after)
    {
        var bodies = new List<(string Name, string Body)>();
        complete = false;
        after = tokens.Count;
        var index = new TokenIndex(text, tokens);
        var i = IsWordAt(text, tokens, 1, "RECURSIVE") ? 2 : 1;
        while (i + 2 < tokens.Count && tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            var name = SqlLiteral.Identifier(text, tokens[i++]);
            if (tokens[i].Kind == SqlTokenKind.OpenParen && index.Match(i) is var columns and >= 0)
            {
                i = columns + 1;
            }

            if (!IsWordAt(text, tokens, i++, "AS"))
            {
                return bodies;
            }

            i += IsWordAt(text, tokens, i, "NOT") ? 1 : 0;
            i += IsWordAt(text, tokens, i, "MATERIALIZED") ? 1 : 0;
            if (i >= tokens.Count || tokens[i].Kind != SqlTokenKind.OpenParen || index.Match(i) is not (var close and > 0) || close == i + 1)
            {
                return bodies;
            }

            bodies.Add((name, text[tokens[i + 1].Start..tokens[close].Start]));
            i = close + 1;
            if (i >= tokens.Count || tokens[i].Kind != SqlTokenKind.Comma)
            {
                complete = i < tokens.Count && IsWordIn(text, tokens[i], StatementsAfterWith);
                after = i;
                return bodies;
            }

            i++;
        }

        return bodies;
    }

    private static readonly HashSet<string> StatementsAfterWith =
        new(StringComparer.OrdinalIgnoreCase) { "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE" };

    /// <summary>The catalog's answers, and "none" for WITH queries found to read no masked column.</summary>
    private sealed class WithQueriesHoldingNone(IColumnNameLookup catalog, HashSet<string> withQueries) : IColumnNameLookup
    {
        public bool TryGetColumnName(uint tableOid, short attributeNumber, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? columnName) =>
            catalog.TryGetColumnName(tableOid, attributeNumber, out columnName);

        public bool? RelationHasMaskedColumn(string relationName) =>
            withQueries.Contains(relationName) ? false : catalog.RelationHasMaskedColumn(relationName);

        public IReadOnlySet<string>? MaskedColumnsUnderOtherNames(string relationName) =>
            withQueries.Contains(relationName) ? null : catalog.MaskedColumnsUnderOtherNames(relationName);

        public bool HasMaskedColumnsUnderOtherNames => catalog.HasMaskedColumnsUnderOtherNames;

        public bool SideChannelsMayHoldMasked => catalog.SideChannelsMayHoldMasked;

        public long Version => catalog.Version;
    }
}
