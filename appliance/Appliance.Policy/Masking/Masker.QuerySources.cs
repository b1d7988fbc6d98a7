using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// The queries whose rows fill a table: a WITH query before a write, a <c>CREATE TABLE … AS</c>'s
/// and a <c>SELECT … INTO</c>'s. Each is read as an INSERT's source is (Masker.WrittenRow.cs), so a
/// masked column named only to filter copies nothing (probe DA2, DA3, DB6: any mention refused them).
/// </summary>
internal sealed partial class Masker
{
    /// <summary>
    /// Whether the rows of <paramref name="query"/> (SELECT, VALUES, TABLE or WITH) may carry a masked
    /// column's value, read as an INSERT's source is (Masker.WrittenRow.cs): a masked column named
    /// only in its filters carries none; one selected, or a whole row, <c>*</c> or an alias list of a
    /// relation that may hold one, does.
    /// </summary>
    private bool QueryCarriesMaskedValue(string query, IColumnNameLookup? relations) => QueryCopy(query, relations) is not null;

    /// <summary>
    /// What <paramref name="query"/>'s rows copy, as <see cref="CopiedColumn"/> answers for an INSERT
    /// of them (a masked column, a mark of one reached without its name or of a write it could not
    /// read), or null. Read through an INSERT, the one reader of a write's source, into a name no
    /// relation has, whose rows are taken to be anything; a query not read as one copies anything.
    /// </summary>
    private string? QueryCopy(string query, IColumnNameLookup? relations)
    {
        var tokens = Tokens(query);
        if (!StartsQuery(query, tokens, 0))
        {
            return Renamed;
        }

        if (tokens[0].Kind == SqlTokenKind.OpenParen && new TokenIndex(query, tokens).Match(0) == tokens.Count - 1)
        {
            // A query in parentheses is the query inside (probe DH3: (WITH w AS (SELECT 1) TABLE td) was
            // not read as one; DH4: one filtering on ssn was refused).
            return QueryCopy(query[tokens[0].End..tokens[^1].Start], relations);
        }

        if (IsWordAt(query, tokens, 0, "WITH"))
        {
            // Its WITH queries, then the query after the list, which reads them as relations holding
            // none (probe DE4: CREATE TABLE … AS WITH x AS (… WHERE ssn > '5') SELECT id FROM x was refused).
            var bodies = WithQueryBodies(query, tokens, out var complete, out var after);
            if (!complete)
            {
                return Renamed;
            }

            foreach (var (_, body) in bodies)
            {
                if (QueryCopy(body, relations) is { } copied)
                {
                    return copied;
                }
            }

            // Not a name the catalog knows for a relation holding one, nor one written with a schema,
            // which no WITH query is (probe DF2: WITH td AS (SELECT 1) … FROM s.td read the table as the query).
            var qualified = QualifiedNames(query, tokens);
            HashSet<string> clean = [.. bodies.Select(b => b.Name).Where(name => relations?.RelationHasMaskedColumn(name) != true && !qualified.Contains(name))];
            var known = relations is null ? null : new WithQueriesHoldingNone(relations, clean);
            return QueryCopy(query[tokens[after].Start..], known);
        }

        var source = "INSERT INTO \"a query's rows\" " + query;
        var insert = new SqlStatement { Text = source.AsMemory(), Kind = "INSERT", Command = "INSERT" };
        return CopiedColumn(insert, source, Tokens(source), [], relations);
    }

    /// <summary>
    /// A query that starts with its own WITH list, in parentheses or not, read by its tokens (probe
    /// DI2: a comment or a form feed after the parenthesis hid the WITH from a search of the text).
    /// </summary>
    private static bool StartsWithWithList(string query)
    {
        var tokens = Tokens(query);
        var first = tokens.FindIndex(t => t.Kind != SqlTokenKind.OpenParen);
        return first >= 0 && IsWord(query, tokens[first], "WITH");
    }

    /// <summary>
    /// <c>CREATE TABLE … AS EXECUTE name</c>: the rows of a prepared statement the gateway does not read
    /// here (probe DH2: PREPARE p AS TABLE customers, then CREATE TABLE t (a, …) AS EXECUTE p copied every SSN).
    /// </summary>
    private static bool CreatesTableFromExecute(string text, List<SqlToken> tokens) =>
        TopLevelWordIndex(text, tokens, "AS") + 1 is var query && query < tokens.Count && IsWord(text, tokens[query], "EXECUTE");

    /// <summary>The query of <c>CREATE TABLE name [(…)] … AS query</c>, or null (<c>AS EXECUTE</c>, no AS).</summary>
    private static string? CreatedTableQuery(string text, List<SqlToken> tokens)
    {
        var start = TopLevelWordIndex(text, tokens, "AS") + 1;
        if (start > tokens.Count || !StartsQuery(text, tokens, start))
        {
            return null;
        }

        // Without a closing WITH [NO] DATA, which is the statement's, not the query's (probe DI3:
        // AS (… WHERE ssn …) WITH NO DATA was not read as a query in parentheses). Only WITH DATA or
        // WITH NO DATA: a relation named data ends many a query (probe DJ2).
        var end = tokens.Count;
        var with = end - 3 >= start && IsWord(text, tokens[end - 2], "NO") ? end - 3 : end - 2;
        if (with > start && IsWord(text, tokens[end - 1], "DATA") && IsWord(text, tokens[with], "WITH"))
        {
            end = with;
        }

        return text[tokens[start].Start..tokens[end - 1].End];
    }

    /// <summary>
    /// <c>SELECT … INTO [TEMP | UNLOGGED] [TABLE] name FROM …</c> without its INTO clause: the query
    /// whose rows fill the new table, read as a CREATE TABLE … AS query is (probe DB6: refused where
    /// that CREATE TABLE ran); null when the name cannot be read.
    /// </summary>
    private static string? SelectIntoQuery(string text, List<SqlToken> tokens)
    {
        var into = TopLevelWordIndex(text, tokens, "INTO");
        var i = into + 1;
        while (i < tokens.Count && IsWordIn(text, tokens[i], IntoOptions))
        {
            i++;
        }

        if (i >= tokens.Count || tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return null;
        }

        while (i + 2 < tokens.Count && IsDot(text, tokens[i + 1]) && tokens[i + 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            i += 2;
        }

        return i + 1 < tokens.Count ? string.Concat(text.AsSpan(0, tokens[into].Start), " ", text.AsSpan(tokens[i + 1].Start)) : text[..tokens[into].Start];
    }

    private static readonly HashSet<string> IntoOptions = new(StringComparer.OrdinalIgnoreCase) { "TEMPORARY", "TEMP", "UNLOGGED", "TABLE", "LOCAL", "GLOBAL" };
}
