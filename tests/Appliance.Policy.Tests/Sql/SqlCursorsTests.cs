using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Sql;

public sealed class SqlCursorsTests
{
    [Fact]
    public void Declared_NamesEachCursorWithItsDeclaration_FoldedOrQuotedAsPostgreSQLDoes()
    {
        var declared = SqlCursors.Declared("BEGIN; DECLARE C1 CURSOR FOR SELECT ssn FROM customers; DECLARE \"My Cur\" NO SCROLL CURSOR WITH HOLD FOR SELECT 1");

        Assert.Equal(["c1", "My Cur"], declared.Select(d => d.Name));
        Assert.Equal([false, true], declared.Select(d => d.WithHold));
        Assert.Equal("DECLARE C1 CURSOR FOR SELECT ssn FROM customers", declared[0].Declaration.Trim().TrimEnd(';'));
    }

    [Theory]
    [InlineData("FETCH FORWARD 50 FROM _psql_cursor", "_psql_cursor")]
    [InlineData("fetch c", "c")]
    [InlineData("FETCH ALL IN \"My Cur\";", "My Cur")]
    [InlineData("SELECT 1; FETCH NEXT FROM C2", "c2")]
    public void Fetched_NamesTheCursor(string sql, string name) =>
        Assert.Equal([name], SqlCursors.Fetched(sql)!);

    [Fact]
    public void Fetched_WithoutAReadableName_IsNull_AndNoFetchIsEmpty()
    {
        Assert.Null(SqlCursors.Fetched("FETCH"));
        Assert.Null(SqlCursors.Fetched("FETCH 10 FROM 'c'"));
        Assert.Empty(SqlCursors.Fetched("SELECT 'FETCH c'")!);
    }

    [Fact]
    public void Closed_NamesTheCursors_OrAll()
    {
        Assert.Equal(["c1"], SqlCursors.Closed("CLOSE C1", out var all));
        Assert.False(all);
        SqlCursors.Closed("close all", out all);
        Assert.True(all);
    }
}
