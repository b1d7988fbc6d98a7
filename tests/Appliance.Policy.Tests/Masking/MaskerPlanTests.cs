using System.Diagnostics.CodeAnalysis;
using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

public class MaskerPlanTests
{
    private const uint Customers = 16401;

    private readonly Masker _masker = MaskingTestData.Masker();

    private static ResultField Column(string name, short attnum, uint type = PgTypes.Text) => new(name, Customers, attnum, type);

    private static ResultField Computed(string name, uint type = PgTypes.Text) => new(name, 0, 0, type);

    [Fact]
    public void GetPlan_ATextSearchVector_IsMaskedWhole_ForItsWordsAreSortedPastTheDetectors()
    {
        var plan = _masker.GetPlan("SELECT to_tsvector('simple', note) FROM orders", [Computed("v", PgTypes.TsVector), Computed("q", PgTypes.TsQuery)], new Catalog());
        Assert.Equal(ColumnMaskAction.MaskWhole, plan[0].Action);
        Assert.Equal(ColumnMaskAction.MaskWhole, plan[1].Action);
    }

    [Fact]
    public void GetPlan_FieldNamedAfterAMaskedColumn_IsMaskedWhole()
    {
        var plan = _masker.GetPlan("SELECT id, ssn, name FROM customers", [Column("id", 1, PgTypes.Int4), Column("SSN", 2), Column("name", 3)], new Catalog());
        Assert.Equal(ColumnMaskAction.Pass, plan[0].Action);
        Assert.Equal(ColumnMaskAction.MaskWhole, plan[1].Action);
        Assert.Equal(ColumnMaskAction.Detect, plan[2].Action);
        Assert.False(plan.PassesAll);
    }

    [Fact]
    public void GetPlan_AliasedDirectColumn_IsMaskedWholeThroughItsSource()
    {
        var plan = _masker.GetPlan("SELECT c.\"ssn\" AS x FROM customers c", [Column("x", 2)], new Catalog());
        Assert.Equal(ColumnMaskAction.MaskWhole, plan[0].Action);
    }

    /// <summary>
    /// A column carrying a masked one under its own name that comes back NULL (a view's boolean
    /// computed from it) is named in the withheld-columns notice (probe DT5); one that comes back
    /// <c>****</c>, or the masked column under its own name, is not.
    /// </summary>
    [Theory]
    [InlineData("has_card", PgTypes.Bool, true)]
    [InlineData("x", PgTypes.Int8, true)]
    [InlineData("x", PgTypes.Text, false)]
    [InlineData("ssn", PgTypes.Int8, false)]
    public void GetPlan_AColumnCarryingAMaskedOneAsNull_IsNamedWithheld(string name, uint type, bool named)
    {
        var plan = _masker.GetPlan("SELECT * FROM customer_flags", [Column("id", 1, PgTypes.Int4), Column(name, 2, type)], new Catalog());

        Assert.Equal(ColumnMaskAction.MaskWhole, plan[1].Action);
        Assert.Equal(named ? [name] : null, plan.Withheld);
    }

    [Theory]
    [InlineData("SELECT encode(ssn::bytea, 'hex') AS h FROM customers")]
    [InlineData("SELECT upper(ssn) FROM customers")]
    [InlineData("SELECT ssn || '' AS s FROM customers")]
    [InlineData("SELECT \"card_number\"::text AS c FROM customers")]
    public void GetPlan_ComputedFieldInAStatementNamingAMaskedColumn_IsMaskedWhole(string sql) =>
        Assert.Equal(ColumnMaskAction.MaskWhole, _masker.GetPlan(sql, [Computed("h")], new Catalog())[0].Action);

    [Theory]
    [InlineData("SELECT 'ssn' AS label")]
    [InlineData("SELECT 1 -- ssn")]
    [InlineData("SELECT ssn_hint FROM t")]
    public void GetPlan_MaskedNameOnlyInAStringCommentOrLongerWord_DoesNotCount(string sql) =>
        Assert.Equal(ColumnMaskAction.Detect, _masker.GetPlan(sql, [Computed("label")], new Catalog())[0].Action);

    /// <summary>An EXPLAIN's plan holds no column's values: naming ssn in its query does not mask it whole (probe DA4).</summary>
    [Theory]
    [InlineData("EXPLAIN SELECT email, ssn FROM customers WHERE id = 14", PgTypes.Text)]
    [InlineData("explain (analyze, buffers, format json) SELECT upper(ssn) FROM customers", PgTypes.Json)]
    [InlineData("EXPLAIN (FORMAT XML) UPDATE customers SET ssn = '000-00-0000' WHERE id = 9", PgTypes.Xml)]
    public void GetPlan_AQueryPlan_IsReadByTheDetectorsOnly(string sql, uint type) =>
        Assert.Equal(ColumnMaskAction.Detect, _masker.GetPlan(sql, [Computed("QUERY PLAN", type)], new Catalog())[0].Action);

    /// <summary>
    /// Not when the plan may hold a value: an IMMUTABLE function already in the database is folded
    /// into it as a constant; nor for anything else than one EXPLAIN's plan column.
    /// </summary>
    [Theory]
    [InlineData("EXPLAIN VERBOSE SELECT leak(), ssn FROM customers", "QUERY PLAN", PgTypes.Text)]
    // A function folded into a filter is printed with it (probe DC1), also next to another statement.
    [InlineData("EXPLAIN SELECT 1 FROM customers WHERE name <> translate(leak(), '0123456789', 'abcdefghij')", "QUERY PLAN", PgTypes.Text)]
    [InlineData("SELECT 1; EXPLAIN SELECT 1 FROM orders o JOIN customers c ON c.name = leak()", "QUERY PLAN", PgTypes.Text)]
    [InlineData("SELECT 1; EXPLAIN SELECT 1 FROM customers WHERE ssn = '1'", "QUERY PLAN", PgTypes.Text)]
    // A write's Output lines hold what it would store, defaults of a table reached through a view or rule too (probe DE2).
    [InlineData("EXPLAIN (VERBOSE, FORMAT JSON) INSERT INTO v (id) VALUES (1)", "QUERY PLAN", PgTypes.Json)]
    [InlineData("explain verbose update orders set note = 'x' where id = 1", "QUERY PLAN", PgTypes.Text)]
    [InlineData("EXPLAIN (VERBOSE) DELETE FROM clean WHERE id = 1", "QUERY PLAN", PgTypes.Text)]
    [InlineData("EXPLAIN (VERBOSE) EXECUTE p(1)", "QUERY PLAN", PgTypes.Text)]
    [InlineData("EXPLAIN SELECT ssn FROM customers; SELECT upper(ssn) FROM customers", "QUERY PLAN", PgTypes.Text)]
    [InlineData("SELECT upper(ssn) AS \"QUERY PLAN\" FROM customers", "QUERY PLAN", PgTypes.Text)]
    [InlineData("EXPLAIN SELECT ssn FROM customers", "QUERY PLAN", PgTypes.Bytea)]
    [InlineData("EXPLAIN SELECT ssn FROM customers", "plan", PgTypes.Text)]
    public void GetPlan_AnythingElse_NamingAMaskedColumn_IsMaskedWhole(string sql, string name, uint type) =>
        Assert.Equal(ColumnMaskAction.MaskWhole, _masker.GetPlan(sql, [Computed(name, type)], new Catalog())[0].Action);

    [Fact]
    public void GetPlan_UnresolvableSource_FailsClosedAndIsNotCached()
    {
        var catalog = new Catalog { Known = false };
        var fields = new[] { Column("x", 2) };
        Assert.Equal(ColumnMaskAction.MaskWhole, _masker.GetPlan("SELECT ssn AS x FROM customers", fields, catalog)[0].Action);
        Assert.Equal(ColumnMaskAction.Detect, _masker.GetPlan("SELECT name AS x FROM customers", fields, catalog)[0].Action);
        var first = _masker.GetPlan("SELECT name AS x FROM customers", fields, catalog);
        Assert.NotSame(first, _masker.GetPlan("SELECT name AS x FROM customers", fields, catalog));
    }

    [Fact]
    public void GetPlan_AWholeRowOfATableWithAMaskedColumn_IsMaskedWhole()
    {
        var plan = _masker.GetPlan("SELECT c FROM customers c", [new ResultField("c", Customers, 0, 16403)], new Catalog());
        Assert.Equal(ColumnMaskAction.MaskWhole, plan[0].Action);
    }

    [Theory]
    [InlineData("SELECT row_to_json(o) FROM orders o", false)]
    [InlineData("SELECT row_to_json(o) FROM public.orders AS o JOIN LATERAL (SELECT 1) x ON true", false)]
    [InlineData("SELECT row_to_json(c) FROM customers c", true)]
    [InlineData("SELECT row_to_json(orders) FROM customers orders", true)]
    [InlineData("SELECT row_to_json(o) FROM orders o, customers c", false)]
    [InlineData("SELECT row_to_json(c) FROM orders o, customers c", true)]
    [InlineData("SELECT row_to_json(t) FROM unknown_table t", true)]
    [InlineData("DELETE FROM archive a USING ONLY customers c WHERE a.id = c.id RETURNING row_to_json(c)", true)]
    [InlineData("DELETE FROM archive a USING (customers c JOIN orders o ON true) WHERE a.id = c.id RETURNING row_to_json(c)", true)]
    [InlineData("DELETE FROM archive a USING LATERAL (SELECT * FROM customers) c WHERE true RETURNING row_to_json(c)", true)]
    [InlineData("DELETE FROM archive a USING orders o WHERE a.id = o.id RETURNING row_to_json(o)", false)]
    public void GetPlan_AComputedWholeRow_IsMaskedWholeOnlyWhenItsRelationHasAMaskedColumn(string sql, bool maskedWhole)
    {
        var plan = _masker.GetPlan(sql, [new ResultField("row_to_json", 0, 0, PgTypes.Json)], new Catalog());
        Assert.Equal(maskedWhole ? ColumnMaskAction.MaskWhole : ColumnMaskAction.Detect, plan[0].Action);
    }

    [Theory]
    [InlineData("")]
    public void GetPlan_AComputedColumnOfAStatementWhoseTextIsElsewhere_IsMaskedWhole(string sql)
    {
        var plan = _masker.GetPlan(sql, [new ResultField("t", 0, 0, PgTypes.Text)], new Catalog());
        Assert.Equal(ColumnMaskAction.MaskWhole, plan[0].Action);
    }

    [Fact]
    public void GetPlan_SameShape_IsCached()
    {
        var catalog = new Catalog();
        var first = _masker.GetPlan("SELECT name FROM customers", [Column("name", 3)], catalog);
        var lookups = catalog.Lookups;
        var second = _masker.GetPlan("SELECT name FROM customers", [Column("name", 3)], catalog);
        Assert.Same(first, second);
        Assert.Equal(lookups, catalog.Lookups);
        Assert.NotSame(first, _masker.GetPlan("SELECT name FROM customers", [Column("name", 3, PgTypes.Int4)], catalog));
    }

    [Fact]
    public void GetPlan_NoMasking_PassesAll()
    {
        var plan = Masker.Compile([]).GetPlan("SELECT ssn FROM customers", [Column("ssn", 2)], null);
        Assert.True(plan.PassesAll);
        Assert.Equal(ColumnMaskAction.Pass, plan[0].Action);
    }

    [Fact]
    public void GetPlan_ColumnsOnly_LeavesOtherColumnsUnscanned()
    {
        var columnsOnly = Masker.Compile([new MaskingProfile { Name = "c", Columns = ["ssn"] }]);
        var plan = columnsOnly.GetPlan("SELECT name, ssn FROM customers", [Column("name", 3), Column("ssn", 2)], new Catalog());
        Assert.Equal(ColumnMaskAction.Pass, plan[0].Action);
        Assert.Equal(ColumnMaskAction.MaskWhole, plan[1].Action);
    }

    [Fact]
    public void GetPlan_FromUtf8Shape_MatchesTheStringOverload()
    {
        var shape = new ResultShape("SELECT ssn AS x FROM customers"u8);
        try
        {
            shape.AddField("x"u8, Customers, 2, PgTypes.Text);
            var plan = _masker.GetPlan(ref shape, new Catalog());
            Assert.Equal(ColumnMaskAction.MaskWhole, plan[0].Action);
            Assert.Equal(1, shape.FieldCount);
        }
        finally
        {
            shape.Dispose();
        }
    }

    /// <summary>customers(id, ssn, name) as pg_attribute would resolve it.</summary>
    private sealed class Catalog : IColumnNameLookup
    {
        public bool Known { get; init; } = true;

        public int Lookups { get; private set; }

        public bool TryGetColumnName(uint tableOid, short attributeNumber, [NotNullWhen(true)] out string? columnName)
        {
            Lookups++;
            columnName = Known && tableOid == Customers ? attributeNumber switch { 0 => "ssn", 1 => "id", 2 => "ssn", 3 => "name", _ => null } : null;
            return columnName is not null;
        }

        public bool? RelationHasMaskedColumn(string relationName) =>
            !Known ? null : relationName switch { "customers" => true, "orders" => false, _ => null };

        /// <summary>A function already in the database that may return a masked column answers its own name.</summary>
        public IReadOnlySet<string>? MaskedColumnsUnderOtherNames(string relationName) =>
            relationName == "leak" ? new HashSet<string> { "leak" } : null;

        public bool HasMaskedColumnsUnderOtherNames => true;
    }
}
