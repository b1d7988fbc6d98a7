using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Sql;

public class SqlIntegerRunsTests
{
    private static string? Shape(string sql)
    {
        var utf8 = Encoding.UTF8.GetBytes(sql);
        var shape = new byte[utf8.Length];
        return SqlIntegerRuns.TryShape(utf8, shape, out var info) ? Encoding.UTF8.GetString(shape, 0, info.Length).Replace('\0', '#') : null;
    }

    [Theory]
    [InlineData("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;", "SELECT abalance FROM pgbench_accounts WHERE aid = #;")]
    [InlineData("SELECT 1", "SELECT #")]
    [InlineData("SELECT -12, (3)", "SELECT -#, (#)")]
    [InlineData("SELECT 'x 42' -- 7", "SELECT 'x #' -- #")]
    [InlineData("SELECT a FROM t1 WHERE b = 22", "SELECT a FROM t1 WHERE b = #")]
    public void TryShape_StandaloneIntegers_BecomeOneMarkerEach(string sql, string expected) => Assert.Equal(expected, Shape(sql));

    [Theory]
    [InlineData("SELECT * FROM t1")]
    [InlineData("SELECT $1")]
    [InlineData("SELECT 1.5, .5, 2.")]
    [InlineData("SELECT 1e5")]
    [InlineData("SELECT 0x1F, 1_000")]
    [InlineData("SELECT \"col9\", ä9")]
    [InlineData("SELECT $a1$ body $a1$")]
    [InlineData("SELECT a")]
    public void TryShape_DigitsInNamesParametersAndOtherNumbers_AreNoRuns(string sql)
    {
        Assert.Null(Shape(sql));
        Assert.False(SqlIntegerRuns.HasRun(Encoding.UTF8.GetBytes(sql)));
    }

    [Fact]
    public void TryShape_TextWithANulByte_HasNoShape()
    {
        // The marker must not stand for anything but a run, or two different texts could share a shape.
        Assert.Null(Shape("SELECT 1\0"));
    }

    [Fact]
    public void TryShape_TextsThatDifferOnlyInIntegers_ShareAShape_OthersDoNot()
    {
        Assert.Equal(Shape("SELECT * FROM t WHERE a = 1 AND b = 22"), Shape("SELECT * FROM t WHERE a = 333 AND b = 4"));
        Assert.NotEqual(Shape("SELECT * FROM t WHERE a = 1"), Shape("SELECT * FROM t WHERE a = -1"));
        Assert.NotEqual(Shape("SELECT * FROM t WHERE a = 1"), Shape("SELECT * FROM u WHERE a = 1"));
    }

    [Fact]
    public void TryShape_ReportsWhereTheRunsLie()
    {
        var utf8 = "SELECT 12 + 345"u8;
        var shape = new byte[utf8.Length];
        Assert.True(SqlIntegerRuns.TryShape(utf8, shape, out var info));
        Assert.Equal(7, info.FirstRun);
        Assert.Equal(utf8.Length, info.LastRunEnd);
        Assert.Equal(utf8.Length - 3, info.Length);
    }
}
