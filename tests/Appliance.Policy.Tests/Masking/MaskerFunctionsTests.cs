using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

/// <summary>
/// A function already in the database that may return a masked column is named, in the session's
/// catalog, as carrying itself (the gateway's ColumnCatalogs): wherever a statement calls it, the
/// statement names a masked column (probes CX1, CX2).
/// </summary>
public sealed class MaskerFunctionsTests
{
    private static readonly Masker Columns = Masker.Compile([new MaskingProfile { Name = "pii", Columns = ["ssn", "card_number"] }]);

    [Theory]
    [InlineData("SELECT reverse(f::text) FROM all_customers() f")]
    [InlineData("SELECT translate(s, '0123456789', 'abcdefghij') FROM sales.cust_s() AS x")]
    [InlineData("SELECT s FROM \"cust_s\"()")]
    [InlineData("SELECT (all_customers()).ssn")]
    [InlineData("SELECT reverse(all_customers()::text)")]
    [InlineData("SELECT x.* FROM orders o CROSS JOIN LATERAL cust_s() x")]
    [InlineData("CALL cust_p(NULL)")]
    public void ACallOfSuchAFunction_NamesAMaskedColumn(string sql) =>
        Assert.True(Columns.MentionsMaskedColumnInResults(sql, new Catalog()));

    [Theory]
    [InlineData("SELECT reverse(t) FROM clean_fn()", false)]
    [InlineData("SELECT count(*) AS all_customers FROM orders", false)]
    // A call only in a filter decides which rows come back: none of its values reaches a result column.
    [InlineData("SELECT upper(note) FROM orders WHERE id IN (SELECT cid FROM cust_s())", false)]
    // A function's name is one more masked name: any word spelled so counts, a column or alias too (fail closed).
    [InlineData("SELECT reverse(cust_s) FROM orders", true)]
    public void OtherFunctions_AndFilters_DoNotCount(string sql, bool counts) =>
        Assert.Equal(counts, Columns.MentionsMaskedColumnInResults(sql, new Catalog()));

    [Theory]
    [InlineData("INSERT INTO orders (note) SELECT reverse(f::text) FROM all_customers() f")]
    [InlineData("INSERT INTO orders (note) SELECT s FROM sales.cust_s()")]
    [InlineData("CREATE TABLE t AS SELECT * FROM cust_s()")]
    [InlineData("SELECT * INTO t FROM all_customers()")]
    [InlineData("UPDATE orders SET note = (SELECT s FROM cust_s() LIMIT 1)")]
    public void ACopyOfItsOutput_IsRefused_SayingWhatItCopies(string sql)
    {
        var refusal = Columns.FlowRefusal(sql, relations: new Catalog());

        Assert.NotNull(refusal);
        Assert.Matches("copies \"(all_customers|cust_s)\", which may hold a masked column", refusal);
    }

    [Theory]
    [InlineData("INSERT INTO orders (note) SELECT reverse(t) FROM clean_fn()")]
    [InlineData("INSERT INTO orders (note) SELECT note FROM orders WHERE id IN (SELECT cid FROM cust_s())")]
    public void ACopyOfAnotherFunctionsOutput_OrAFilterOnOne_IsNotRefused(string sql) =>
        Assert.Null(Columns.FlowRefusal(sql, relations: new Catalog()));

    /// <summary>
    /// As the catalog read at login answers: customers has a masked column, orders none, and
    /// all_customers, cust_s and cust_p may return one (each carries itself); clean_fn is not known.
    /// </summary>
    private sealed class Catalog : IColumnNameLookup
    {
        private static readonly Dictionary<string, IReadOnlySet<string>> Functions = new(StringComparer.Ordinal)
        {
            ["all_customers"] = new HashSet<string> { "all_customers" },
            ["cust_s"] = new HashSet<string> { "cust_s" },
            ["cust_p"] = new HashSet<string> { "cust_p" },
        };

        public bool TryGetColumnName(uint tableOid, short attributeNumber, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? columnName)
        {
            columnName = null;
            return false;
        }

        public bool? RelationHasMaskedColumn(string relationName) =>
            Functions.ContainsKey(relationName) || relationName == "customers" ? true : relationName == "orders" ? false : null;

        public IReadOnlySet<string>? MaskedColumnsUnderOtherNames(string relationName) => Functions.GetValueOrDefault(relationName);

        public bool HasMaskedColumnsUnderOtherNames => true;
    }
}
