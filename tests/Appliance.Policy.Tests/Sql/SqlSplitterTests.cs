using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Sql;

public class SqlSplitterTests
{
    private static string[] Split(string sql) =>
        [.. SqlSplitter.Split(sql).Select(s => sql[s.Start..s.End])];

    [Fact]
    public void Split_TwoStatements_ReturnsBoth() =>
        Assert.Equal(["SELECT 1", "DROP TABLE t"], Split("SELECT 1; DROP TABLE t;"));

    [Fact]
    public void Split_EmptyStatementsAndComments_AreDropped() =>
        Assert.Equal(["SELECT 1", "SELECT 2"], Split(";; SELECT 1 ;  ; /* nothing */ ; -- x\n; SELECT 2"));

    [Theory]
    [InlineData("SELECT 'a;b'; SELECT 2", "SELECT 'a;b'")]
    [InlineData("SELECT 'it''s; here'; SELECT 2", "SELECT 'it''s; here'")]
    [InlineData("SELECT E'\\';'; SELECT 2", "SELECT E'\\';'")]
    [InlineData("SELECT e'a\\\\'; SELECT 2", "SELECT e'a\\\\'")]
    [InlineData("SELECT \"a;b\"\"c\"; SELECT 2", "SELECT \"a;b\"\"c\"")]
    [InlineData("SELECT $$a;b$$; SELECT 2", "SELECT $$a;b$$")]
    [InlineData("SELECT $x;y$ a;b $x;y$; SELECT 2", "SELECT $x")]
    [InlineData("SELECT $fn$ $$; $ $fn$; SELECT 2", "SELECT $fn$ $$; $ $fn$")]
    [InlineData("SELECT 1 -- a;b\n; SELECT 2", "SELECT 1")]
    [InlineData("SELECT 1 /* a; /* nested; */ still; */; SELECT 2", "SELECT 1")]
    [InlineData("SELECT /* a; /* nested; */ still; */ 1; SELECT 2", "SELECT /* a; /* nested; */ still; */ 1")]
    [InlineData("SELECT U&'d\\0061t;a'; SELECT 2", "SELECT U&'d\\0061t;a'")]
    [InlineData("SELECT B'101', X'1F'; SELECT 2", "SELECT B'101', X'1F'")]
    public void Split_QuotingAndComments_HideSemicolons(string sql, string first)
    {
        var statements = Split(sql);
        Assert.Equal(first, statements[0]);
        Assert.Equal("SELECT 2", statements[^1]);
    }

    [Fact]
    public void Split_DollarTagWithSemicolon_IsNotATag()
    {
        // "$x;y$" is not a dollar quote (a tag is an identifier), so both ';' split.
        Assert.Equal(["SELECT $x", "y$ a", "b $x", "y$"], Split("SELECT $x;y$ a;b $x;y$"));
    }

    [Fact]
    public void Split_IdentifierWithDollar_IsNotADollarQuote() =>
        Assert.Equal(["SELECT a$b$ FROM t", "DROP TABLE u"], Split("SELECT a$b$ FROM t; DROP TABLE u"));

    [Fact]
    public void Split_PositionalParameter_IsNotADollarQuote() =>
        Assert.Equal(["SELECT $1", "DROP TABLE t"], Split("SELECT $1; DROP TABLE t"));

    [Theory]
    [InlineData("SELECT 'abc; DROP TABLE t")]
    [InlineData("SELECT $$abc; DROP TABLE t")]
    [InlineData("SELECT 1 /* abc; DROP TABLE t")]
    [InlineData("SELECT \"abc; DROP TABLE t")]
    [InlineData("SELECT E'abc\\'; DROP TABLE t")]
    public void Split_Unterminated_RestIsOneStatement(string sql)
    {
        var spans = SqlSplitter.Split(sql);
        var span = Assert.Single(spans);
        Assert.True(span.Unterminated);
        Assert.Equal(sql.Length, span.End);
    }

    [Fact]
    public void Split_BeginAtomicBody_StaysOneStatement()
    {
        const string sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC DELETE FROM t; SELECT CASE WHEN true THEN 1 END; END; SELECT 2";
        var statements = Split(sql);
        Assert.Equal(2, statements.Length);
        Assert.EndsWith("END; END", statements[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CREATE VIEW v AS SELECT begin atomic FROM (SELECT 1 AS begin) s; DROP TABLE t")]
    [InlineData("CREATE FUNCTION f(begin atomic) RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql; DROP TABLE t")]
    [InlineData("SELECT 1 AS begin, 2 AS atomic; DROP TABLE t")]
    public void Split_BeginAtomicOutsideARoutineBody_DoesNotJoinStatements(string sql) =>
        Assert.Equal("DROP TABLE t", Split(sql)[^1]);

    [Fact]
    public void Split_CreateOrReplaceProcedureAtomic_StaysOneStatement() =>
        Assert.Single(Split("create or replace procedure p() begin atomic insert into t values (1); delete from u; end"));

    [Fact]
    public void Split_Unicode_KeepsText() =>
        Assert.Equal(["SELECT 'żółć;'", "SELECT \"名前\" FROM t"], Split("SELECT 'żółć;'; SELECT \"名前\" FROM t"));
}
