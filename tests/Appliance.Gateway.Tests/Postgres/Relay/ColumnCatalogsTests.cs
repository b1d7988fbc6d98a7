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
        Assert.StartsWith("SET LOCAL statement_timeout = 0; SELECT ", query, StringComparison.Ordinal);
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
}
