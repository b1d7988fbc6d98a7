using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Sql;

public sealed class SqlCursorsTests
{
    [Fact]
    public void Declared_NamesEachCursorWithItsQuery_FoldedOrQuotedAsPostgreSQLDoes()
    {
        var declared = SqlCursors.Declared("BEGIN; DECLARE C1 CURSOR FOR SELECT ssn FROM customers; DECLARE \"My Cur\" NO SCROLL CURSOR WITH HOLD FOR SELECT 1");

        Assert.Equal(["c1", "My Cur"], declared.Select(d => d.Name));
        Assert.Equal([false, true], declared.Select(d => d.WithHold));
        Assert.Equal("SELECT ssn FROM customers", declared[0].Query.Trim().TrimEnd(';'));
        Assert.Equal("SELECT 1", declared[1].Query.Trim());
    }

    /// <summary>Only statements that run no code and close nothing keep the names known (probe FB1).</summary>
    [Theory]
    [InlineData("BEGIN; SAVEPOINT s; RELEASE s; SHOW work_mem; START TRANSACTION", "")]
    [InlineData("DECLARE a CURSOR FOR SELECT 1; FETCH 5 FROM a; MOVE NEXT IN a", "Fetch:a Declare:a Fetch:a Fetch:a")]
    [InlineData("CLOSE ALL", "ForgetAll")]
    [InlineData("close a; rollback; commit", "ForgetAll ForgetAll ForgetAll")]
    [InlineData("SELECT reopen('a'); FETCH ALL a", "ForgetAll Fetch:a")]
    [InlineData("DELETE FROM t", "ForgetAll")] // a trigger may run
    public void Changes_ForgetEveryNameAtAStatementThatMayCloseOrOpenACursor(string sql, string expected) =>
        Assert.Equal(expected, string.Join(' ', SqlCursors.Changes(sql).Select(c => c.Name is null ? $"{c.Kind}" : $"{c.Kind}:{c.Name}")));

    [Fact]
    public void WithoutFetches_KeepsTheOtherStatements()
    {
        var kept = SqlCursors.WithoutFetches("SELECT upper(ssn) FROM customers; FETCH FIRST FROM y; MOVE 1 IN y; CLOSE y");

        Assert.Contains("SELECT upper(ssn) FROM customers", kept, StringComparison.Ordinal);
        Assert.Contains("CLOSE y", kept, StringComparison.Ordinal);
        Assert.DoesNotContain("FETCH", kept, StringComparison.Ordinal);
        Assert.DoesNotContain("MOVE", kept, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FETCH FORWARD 50 FROM _psql_cursor", "_psql_cursor")]
    [InlineData("fetch c", "c")]
    [InlineData("FETCH ALL IN \"My Cur\";", "My Cur")]
    [InlineData("SELECT 1; FETCH NEXT FROM C2", "c2")]
    [InlineData("MOVE 1 IN c", "c")]
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
    public void Names_AreCutTo63Bytes_AsPostgreSQLCutsThem()
    {
        var p = new string('p', 63);
        Assert.Equal(p, SqlCursors.Fetched($"FETCH 2 {p}XYZ")![0]);
        Assert.Equal(p, SqlCursors.Declared($"DECLARE {p}Z CURSOR FOR SELECT 1")[0].Name);
        // At a character boundary: 31 two-byte letters fill 62 bytes, the 32nd does not fit.
        Assert.Equal(new string('é', 31), SqlCursors.Fetched($"FETCH \"{new string('é', 40)}\"")![0]);
    }
}
