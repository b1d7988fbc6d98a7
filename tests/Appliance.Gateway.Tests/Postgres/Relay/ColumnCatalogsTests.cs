using System.Collections.Frozen;
using Appliance.Gateway.Postgres.Policy;

namespace Appliance.Gateway.Tests.Postgres.Relay;

public sealed class ColumnCatalogsTests
{
    [Fact]
    public void Query_QuotesColumnNames_AndAsksOnlyForNewerRelations()
    {
        var query = ColumnCatalogs.Query(["SSN", "o'neil"], 16384);

        Assert.Contains("ARRAY['ssn', 'o''neil']", query, StringComparison.Ordinal);
        Assert.Contains("c.oid > 16384::oid", query, StringComparison.Ordinal);

        // Not cut short by the client's statement_timeout, which is the client's again after it.
        Assert.StartsWith("SET LOCAL statement_timeout = 0; SET LOCAL jit = off; WITH RECURSIVE ", query, StringComparison.Ordinal);

        // Views whose queries are known by version are not sent again; a version is only ever digits.
        var withViews = ColumnCatalogs.Query(["ssn"], 0, ["16390:5521", "1'; DROP TABLE x; --"]);
        Assert.Contains("ARRAY['16390:5521']::text[]", withViews, StringComparison.Ordinal);
        Assert.DoesNotContain("DROP TABLE", withViews, StringComparison.Ordinal);
    }

    /// <summary>
    /// The functions are found in the views' statement (which has the relations holding a masked
    /// column at hand), their bodies matched as words with backslashes that survive any
    /// standard_conforming_strings, and C or internal functions' symbol names are not read as bodies.
    /// </summary>
    [Fact]
    public void Query_AsksForTheFunctionsThatMayReturnAMaskedColumn_InTheViewsStatement()
    {
        var query = ColumnCatalogs.Query(["ssn"], 0);
        var statements = query.Split("; ");

        Assert.Equal(4, statements.Length);
        Assert.Contains("FROM pg_catalog.pg_proc p", statements[3], StringComparison.Ordinal);
        Assert.Contains("SELECT DISTINCT f.oid, f.proname::text, NULL, NULL, NULL, NULL, 'f' FROM fnall f", statements[3], StringComparison.Ordinal);
        Assert.Contains($"fn{ColumnCatalogs.FunctionCallDepth} AS (SELECT", statements[3], StringComparison.Ordinal);
        Assert.Contains($"OR f.src ~* E'{ColumnCatalogs.UnreadableBody}' OR f.lang NOT IN ('sql', 'plpgsql', 'c', 'internal') OR f.parsed ~ (SELECT re FROM fdynamic)", statements[3], StringComparison.Ordinal);
        Assert.Contains(@"'(?:^|[^[:alnum:]_$])(?:' || string_agg(replace(regexp_replace(w, E'([^[:alnum:]_])', E'\\\\\\1', 'g'), '""', '""""?') || CASE WHEN octet_length(w) >= 63 THEN '[[:alnum:]_$]*' ELSE '' END, '|') || ')(?:$|[^[:alnum:]_$])'", statements[3], StringComparison.Ordinal);
        Assert.Contains("WHEN l.lanname IN ('c', 'internal') THEN NULL ELSE p.prosrc END", statements[3], StringComparison.Ordinal);
        Assert.DoesNotContain("pg_proc", statements[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Lookup_TellsMaskedColumns_KnownRelations_AndUnknownOnesApart()
    {
        var catalog = new ColumnCatalog(
            new Dictionary<long, string> { [ColumnCatalog.Key(100, 3)] = "ssn" }.ToFrozenDictionary(),
            new HashSet<uint> { 100, 200 }.ToFrozenSet(),
            new HashSet<string> { "customers" }.ToFrozenSet(),
            new HashSet<string> { "customers", "orders" }.ToFrozenSet());

        Assert.True(catalog.TryGetColumnName(100, 3, out var masked));
        Assert.Equal("ssn", masked);
        Assert.True(catalog.TryGetColumnName(200, 1, out var plain));
        Assert.Equal("", plain);
        Assert.False(catalog.TryGetColumnName(300, 1, out _));
    }

    [Fact]
    public void RelationNames_TellWhichHoldAMaskedColumn()
    {
        var catalog = new ColumnCatalog(
            FrozenDictionary<long, string>.Empty, FrozenSet<uint>.Empty,
            new HashSet<string> { "customers" }.ToFrozenSet(), new HashSet<string> { "customers", "orders" }.ToFrozenSet());

        Assert.True(catalog.RelationHasMaskedColumn("customers"));
        Assert.False(catalog.RelationHasMaskedColumn("orders"));
        Assert.Null(catalog.RelationHasMaskedColumn("cte"));
    }

    [Fact]
    public void Lookup_OfAWholeRow_IsAMaskedColumnItHolds_OrNone()
    {
        var catalog = new ColumnCatalog(
            new Dictionary<long, string> { [ColumnCatalog.Key(100, 3)] = "ssn" }.ToFrozenDictionary(),
            new HashSet<uint> { 100, 200 }.ToFrozenSet(),
            new HashSet<string> { "customers" }.ToFrozenSet(),
            new HashSet<string> { "customers", "orders" }.ToFrozenSet());

        Assert.True(catalog.TryGetColumnName(100, 0, out var row));
        Assert.Equal("ssn", row);
        Assert.True(catalog.TryGetColumnName(200, 0, out var plain));
        Assert.Equal("", plain);
        Assert.False(catalog.TryGetColumnName(300, 0, out _));
    }

    /// <summary>
    /// A view's query as PostgreSQL prints it: the top target list's origins are read, not a
    /// subquery's, and a name holding braces (escaped) or looking like a field misleads nothing.
    /// </summary>
    [Fact]
    public void ViewOrigins_AreTheTopTargetList_AndEscapedNamesDoNotMislead()
    {
        const string Definition =
            "({QUERY :commandType 1 :rtable ({RANGETBLENTRY :eref {ALIAS :aliasname x\\}\\{ :colnames (\"a\")} :subquery {QUERY :targetList " +
            "({TARGETENTRY :expr {VAR :varno 1} :resno 1 :resname a :resorigtbl 999 :resorigcol 9 :resjunk false})}}) " +
            ":targetList ({TARGETENTRY :expr {VAR :varno 1 :varattno 3} :resno 1 :resname s\\}\\ :resorigtbl\\ 5 :ressortgroupref 0 :resorigtbl 700 :resorigcol 3 :resjunk false} " +
            "{TARGETENTRY :expr {FUNCEXPR :funcid 878 :args ({VAR :varno 1})} :resno 2 :resname tr :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false} " +
            "{TARGETENTRY :expr {VAR :varno 1} :resno 3 :resname <> :ressortgroupref 1 :resorigtbl 700 :resorigcol 1 :resjunk true})})";

        var origins = MaskedViews.OutputOrigins(Definition);

        Assert.NotNull(origins);
        Assert.Equal(2, origins.Count);
        Assert.Equal((700u, (short)3), origins[1]);
        Assert.Equal((0u, (short)0), origins[2]);
        Assert.Null(MaskedViews.OutputOrigins("({QUERY :targetList ({TARGETENTRY :resno 1})})"));
        Assert.Null(MaskedViews.OutputOrigins("({QUERY :targetList <>} {QUERY :targetList <>})"));
        Assert.Null(MaskedViews.OutputOrigins("({NOTIFY :conditionname x})"));
    }

    /// <summary>
    /// Views over views resolve in any order: a column read from a masked one is masked by its
    /// rule, a computed one of a view reading a masked column is masked, the rest is not.
    /// </summary>
    [Fact]
    public void MaskedViews_FollowViewsOverViews_AndLeaveOtherColumnsAlone()
    {
        var masked = new Dictionary<long, string> { [ColumnCatalog.Key(700, 3)] = "ssn" };
        static string Query(params (short Number, uint Relation, short Column)[] entries) =>
            "({QUERY :targetList (" + string.Join(' ', entries.Select(e =>
                $"{{TARGETENTRY :expr <> :resno {e.Number} :resname c :ressortgroupref 0 :resorigtbl {e.Relation} :resorigcol {e.Column} :resjunk false}}")) + ")})";

        static Dictionary<short, string> Columns(params string[] names) =>
            names.Select((name, i) => (name, i)).ToDictionary(c => (short)(c.i + 1), c => c.name);

        var names = MaskedViews.Resolve(masked,
        [
            new MaskedViews.View(802, "outer_v", Columns("s2", "n"), MaskedViews.Read(Query((1, 801, 2), (2, 801, 1))), [(801, 1), (801, 2)]),
            new MaskedViews.View(801, "inner_v", Columns("id", "s", "tr"), MaskedViews.Read(Query((1, 700, 1), (2, 700, 3), (3, 0, 0))), [(700, 1), (700, 3)]),
            new MaskedViews.View(803, "rows_v", Columns("r"), MaskedViews.Read("not a query"), [(700, 0)]),
        ]);

        Assert.Equal(["inner_v", "outer_v", "rows_v"], names.Keys.Order());
        Assert.Equal(["s", "tr"], names["inner_v"].Order());
        Assert.Equal(["s2"], names["outer_v"]);
        Assert.Equal("ssn", masked[ColumnCatalog.Key(801, 2)]);
        Assert.Equal("ssn", masked[ColumnCatalog.Key(801, 3)]);
        Assert.False(masked.ContainsKey(ColumnCatalog.Key(801, 1)));
        Assert.Equal("ssn", masked[ColumnCatalog.Key(802, 1)]);
        Assert.False(masked.ContainsKey(ColumnCatalog.Key(802, 2)));
        Assert.Equal("ssn", masked[ColumnCatalog.Key(803, 1)]);
    }

    /// <summary>
    /// A whole-row Var's type names its table: a view reading a masked table's clean columns and
    /// the whole row of a clean table (count(i.*)) keeps its computed columns (probe DT1); a whole
    /// row of the masked table, or one whose type names no table it reads (a subquery's record),
    /// still counts, as does a query whose whole rows could not all be read.
    /// </summary>
    [Theory]
    [InlineData("{VAR :varno 3 :varattno 0 :vartype 7101 :vartypmod -1}", false)]
    [InlineData("{VAR :varno 2 :varattno 0 :vartype 7001 :vartypmod -1}", true)]
    [InlineData("{VAR :varno 4 :varattno 0 :vartype 2249 :vartypmod -1}", true)]
    [InlineData("{VAR :varno 3 :varattno 0 :vartype 7101 :vartypmod -1} {VAR :varno 3 :varattno 0 :vartypmod -1}", true)]
    public void MaskedViews_AWholeRowOfACleanTable_DoesNotMakeAViewReadAMaskedColumn(string wholeRows, bool computedMasked)
    {
        var masked = new Dictionary<long, string> { [ColumnCatalog.Key(700, 3)] = "ssn" };
        var query = "({QUERY :targetList ({TARGETENTRY :expr <> :resno 1 :resname n :ressortgroupref 0 :resorigtbl 700 :resorigcol 2 :resjunk false} " +
            "{TARGETENTRY :expr {AGGREF :args (" + wholeRows + ")} :resno 2 :resname items :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false})})";

        var names = MaskedViews.Resolve(masked,
        [
            new MaskedViews.View(804, "summary_v", new Dictionary<short, string> { [1] = "full_name", [2] = "items" }, MaskedViews.Read(query),
                [(700, 2), (710, 1)], RowTypes: new Dictionary<uint, uint> { [700] = 7001, [710] = 7101 }),
        ]);

        Assert.Equal(computedMasked, masked.ContainsKey(ColumnCatalog.Key(804, 2)));
        Assert.False(masked.ContainsKey(ColumnCatalog.Key(804, 1)));
        Assert.Equal(computedMasked, names.ContainsKey("summary_v"));
    }

    /// <summary>
    /// A view calling a function that may return a masked column reads one: its columns read from
    /// the call (no origin) are masked as computed ones, a column read from a clean table is not, and
    /// a view over it follows; with no masked name given, nothing is.
    /// </summary>
    [Fact]
    public void MaskedViews_AViewCallingAMaskedFunction_ReadsAMaskedColumn()
    {
        static string Query(params (short Number, uint Relation, short Column)[] entries) =>
            "({QUERY :targetList (" + string.Join(' ', entries.Select(e =>
                $"{{TARGETENTRY :expr <> :resno {e.Number} :resname c :ressortgroupref 0 :resorigtbl {e.Relation} :resorigcol {e.Column} :resjunk false}}")) + ")})";

        MaskedViews.View[] Views() =>
        [
            new(901, "calls_v", new Dictionary<short, string> { [1] = "x", [2] = "note" }, MaskedViews.Read(Query((1, 0, 0), (2, 600, 2))), [(600, 2)], CallsMaskedFunction: true),
            new(902, "over_v", new Dictionary<short, string> { [1] = "y" }, MaskedViews.Read(Query((1, 901, 1))), [(901, 1)]),
        ];

        var masked = new Dictionary<long, string>();
        var names = MaskedViews.Resolve(masked, Views(), "ssn");

        Assert.Equal(["x"], names["calls_v"]);
        Assert.Equal(["y"], names["over_v"]);
        Assert.Equal("ssn", masked[ColumnCatalog.Key(901, 1)]);
        Assert.False(masked.ContainsKey(ColumnCatalog.Key(901, 2)));
        Assert.Equal("ssn", masked[ColumnCatalog.Key(902, 1)]);
        Assert.Empty(MaskedViews.Resolve([], Views()));
    }
}
