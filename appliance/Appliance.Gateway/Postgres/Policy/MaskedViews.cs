using System.Globalization;

namespace Appliance.Gateway.Postgres.Policy;

/// <summary>
/// The columns of views (and materialized views) that carry a masked column under another name.
/// A RowDescription names a view's column by the view's OID and the column's number, never the
/// table's, so a view written <c>SELECT ssn AS s</c> by whoever administers the database let
/// <c>s</c> out with only the value detectors on it (probe OA1). Each such view's query, as
/// PostgreSQL keeps it (<c>pg_rewrite.ev_action</c>), says where each output column comes from
/// (<c>resorigtbl</c>, <c>resorigcol</c>, as a RowDescription would for the query itself): a column
/// read straight from a masked column is masked by its rule; a computed one is masked whole when
/// the view reads a masked column at all (as a computed column of a statement is); a column read
/// from any other column is not. Views over such views follow, to any depth.
/// </summary>
internal static partial class MaskedViews
{
    /// <summary>A view the catalog query found reading a masked column, directly or through other views.</summary>
    /// <param name="Columns">Its columns' names by number.</param>
    /// <param name="Query">What its query says (<see cref="Read"/>).</param>
    /// <param name="Reads">What its query depends on: relation OID and column number (0: the whole row).</param>
    /// <param name="CallsMaskedFunction">It calls a function that may return a masked column (ColumnCatalogs.FunctionsQuery): it reads one.</param>
    /// <param name="RowTypes">The row type of each relation it reads (<c>pg_class.reltype</c>), which names a whole-row Var's relation; null when not known.</param>
    internal sealed record View(
        uint Oid, string Name, IReadOnlyDictionary<short, string> Columns, ViewQuery Query, IReadOnlyList<(uint Relation, short Column)> Reads,
        bool CallsMaskedFunction = false, IReadOnlyDictionary<uint, uint>? RowTypes = null);

    /// <param name="Origins">Where each output column comes from (<see cref="OutputOrigins"/>); null when the query could not be read.</param>
    /// <param name="WholeRows">
    /// It uses a relation's whole row somewhere (<c>row_to_json(c)</c>): read with some of the
    /// relation's columns, PostgreSQL keeps only the columns' dependencies, so the whole row's
    /// relation is any it reads (probe QA1).
    /// </param>
    /// <param name="WholeRowTypes">The types of its whole-row Vars (a table's row type names the table); null when not all could be read.</param>
    internal sealed record ViewQuery(IReadOnlyDictionary<short, (uint Relation, short Column)>? Origins, bool WholeRows, IReadOnlySet<uint>? WholeRowTypes = null)
    {
        public static readonly ViewQuery Unknown = new(null, true);
    }

    /// <summary>A view's query as PostgreSQL keeps it (<c>pg_rewrite.ev_action</c> as text).</summary>
    public static ViewQuery Read(string definition)
    {
        var wholeRows = definition.AsSpan().Count(":varattno 0 ");
        var types = WholeRowVar().Matches(definition);
        return new(OutputOrigins(definition), wholeRows > 0,
            types.Count == wholeRows ? types.Select(m => uint.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture)).ToHashSet() : null);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@":varattno 0 :vartype (\d{1,10}) ")]
    private static partial System.Text.RegularExpressions.Regex WholeRowVar();

    /// <summary>
    /// Adds to <paramref name="masked"/> (column key → the masked column's name) the view columns
    /// that carry one; returns, by view name, the names of those columns (a statement that
    /// computes on one names it, not the masked column).
    /// </summary>
    /// <param name="functionCarries">A masked column's name, which a view calling a function that may return one reads (none: such views read none).</param>
    public static Dictionary<string, HashSet<string>> Resolve(Dictionary<long, string> masked, IReadOnlyList<View> views, string? functionCarries = null)
    {
        var byRelation = new Dictionary<uint, string>();
        foreach (var (key, name) in masked)
        {
            byRelation.TryAdd((uint)(key >> 16), name);
        }

        var names = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        // Views over views: each pass settles at least one more level, so as many passes as views suffice.
        for (var pass = 0; pass <= views.Count; pass++)
        {
            var changed = false;
            for (var i = 0; i < views.Count; i++)
            {
                var view = views[i];
                var reads = ReadsMasked(view, masked, byRelation) ?? (view.CallsMaskedFunction ? functionCarries : null);
                foreach (var (column, columnName) in view.Columns)
                {
                    var name = view.Query.Origins is not { } known ? reads
                        : !known.TryGetValue(column, out var origin) ? null
                        : origin.Relation == 0 ? reads
                        // A whole row (attnum 0) carries any masked column of its relation.
                        : origin.Column == 0 ? byRelation.GetValueOrDefault(origin.Relation)
                        : masked.GetValueOrDefault(ColumnCatalog.Key(origin.Relation, origin.Column));
                    if (name is not null && masked.TryAdd(ColumnCatalog.Key(view.Oid, column), name))
                    {
                        byRelation.TryAdd(view.Oid, name);
                        (names.TryGetValue(view.Name, out var columns) ? columns : names[view.Name] = new HashSet<string>(StringComparer.Ordinal)).Add(columnName);
                        changed = true;
                    }
                }
            }

            if (!changed)
            {
                break;
            }
        }

        return names;
    }

    /// <summary>A masked column the view reads (one of its columns, or a whole row holding one); null when it reads none.</summary>
    private static string? ReadsMasked(View view, Dictionary<long, string> masked, Dictionary<uint, string> byRelation)
    {
        // A whole-row Var's type names its table: only those tables' whole rows count (probe DT1:
        // count(i.*) of a clean table, in a view reading customers' clean columns, masked its computed
        // columns). One of another type (a subquery's or a join's record) leaves any relation's.
        var rowTypes = view.RowTypes;
        var whole = view.Query.WholeRowTypes is { } types && rowTypes is not null && types.All(t => rowTypes.Values.Contains(t)) ? types : null;
        foreach (var (relation, column) in view.Reads)
        {
            var wholeRow = column == 0 || view.Query.WholeRows && (whole is null || whole.Contains(rowTypes!.GetValueOrDefault(relation)));
            if ((wholeRow ? byRelation.GetValueOrDefault(relation) : masked.GetValueOrDefault(ColumnCatalog.Key(relation, column))) is { } name)
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// The origin of each output column of the query in <paramref name="definition"/> (a
    /// <c>pg_node_tree</c> as text: the query of a view's <c>_RETURN</c> rule), by column number:
    /// the table (or view) and column it reads straight from, or (0, 0) when computed. Null when
    /// the text is not the one query expected: every column is then taken as computed.
    /// </summary>
    internal static Dictionary<short, (uint Relation, short Column)>? OutputOrigins(string definition)
    {
        // The top query is the node at brace depth 1; its target list's entries are at depth 2, where
        // no other TARGETENTRY stands (a subquery's, a CTE's, a sublink's are deeper). Names are
        // written with a backslash before each brace or parenthesis they hold (outToken), so
        // counting braces outside escapes finds the nodes.
        var origins = new Dictionary<short, (uint, short)>();
        var depth = 0;
        var queries = 0;
        for (var i = 0; i < definition.Length; i++)
        {
            switch (definition[i])
            {
                case '\\':
                    i++;
                    break;
                case '{':
                    depth++;
                    if (depth == 1 && (!At(definition, i + 1, "QUERY ") || ++queries > 1))
                    {
                        return null;
                    }

                    if (depth == 2 && At(definition, i + 1, "TARGETENTRY "))
                    {
                        if (TargetEntry(definition, ref i) is not { } entry)
                        {
                            return null;
                        }

                        depth--;
                        if (!entry.Junk)
                        {
                            origins[entry.Number] = (entry.Relation, entry.Column);
                        }
                    }

                    break;
                case '}':
                    depth--;
                    break;
            }
        }

        return queries == 1 && depth == 0 ? origins : null;
    }

    /// <summary>Reads the TARGETENTRY node opening at <paramref name="i"/>; leaves <paramref name="i"/> on its closing brace.</summary>
    private static (short Number, uint Relation, short Column, bool Junk)? TargetEntry(string text, ref int i)
    {
        short? number = null, column = null;
        uint? relation = null;
        bool? junk = null;
        var depth = 0;
        for (; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\':
                    i++;
                    break;
                case '{':
                    depth++;
                    break;
                case '}':
                    if (--depth == 0)
                    {
                        return number is { } n && relation is { } r && column is { } c && junk is { } j ? (n, r, c, j) : null;
                    }

                    break;
                case ':' when depth == 1:
                    var field = Word(text, i + 1);
                    var value = Word(text, i + 2 + field.Length);
                    switch (field)
                    {
                        case "resno":
                            number = short.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
                            break;
                        case "resorigtbl":
                            relation = uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : null;
                            break;
                        case "resorigcol":
                            column = short.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : null;
                            break;
                        case "resjunk":
                            junk = value switch { "true" => true, "false" => false, _ => null };
                            break;
                    }

                    break;
            }
        }

        return null;
    }

    private static bool At(string text, int index, string word) => string.CompareOrdinal(text, index, word, 0, word.Length) == 0;

    /// <summary>The characters from <paramref name="start"/> up to the next space or brace.</summary>
    private static string Word(string text, int start)
    {
        var end = start;
        while (end < text.Length && text[end] is not (' ' or '{' or '}' or '(' or ')'))
        {
            end++;
        }

        return start < text.Length ? text[start..end] : "";
    }
}
