using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Sql;

/// <summary>SQL that runs from a value: dynamic EXECUTE, functions that run query text, MERGE actions, U&amp; names.</summary>
public class SqlClassifierDynamicSqlTests
{
    private static IReadOnlyList<SqlStatement> Classify(string sql) => SqlClassifier.Classify(sql).Statements;

    [Theory]
    [InlineData("DO $$ begin execute 'DR'||'OP TABLE orders'; end $$")]
    [InlineData("DO $$ begin execute chr(68)||'ROP TABLE orders'; end $$")]
    [InlineData("DO $$ begin execute 'DEL'||'ETE FROM orders'; end $$")]
    [InlineData("DO $x$ begin execute 'select pg_' || 'sleep(1)'; end $x$")]
    [InlineData("DO $$ begin execute format('select %s', 1); end $$")]
    [InlineData("DO $$ declare q text := 'drop table t'; begin execute q; end $$")]
    [InlineData("CREATE FUNCTION f() RETURNS SETOF int LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY EXECUTE 'select ' || 1; END $$")]
    [InlineData("DO $$ declare c refcursor; begin open c for execute $q$select $q$ || 'x'; end $$")]
    [InlineData("DO $$ declare r record; begin for r in execute 'select ' || 'x' loop end loop; end $$")]
    public void DynamicExecute_OfAnythingButOneLiteral_IsUnknown(string sql)
    {
        var unknown = Assert.Single(Classify(sql), s => s.IsUnknown);
        Assert.Equal(SqlStatementOrigin.DynamicSql, unknown.Origin);
        Assert.StartsWith("execute", unknown.Text.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("DO $$ begin execute 'select 1'; end $$", "SELECT")]
    [InlineData("DO $$ declare n int; begin execute ('select 1') into n; end $$", "SELECT")]
    [InlineData("DO $$ declare n int; begin execute 'select $1' into strict n using 'DROP'; end $$", "SELECT")]
    [InlineData("DO $$ declare r record; begin for r in execute 'select 1' loop end loop; end $$", "SELECT")]
    [InlineData("DO $$ begin execute $q$delete from t$q$; end $$", "DELETE")]
    public void DynamicExecute_OfOneLiteral_ClassifiesItsContent(string sql, string kind)
    {
        var statements = Classify(sql);
        Assert.DoesNotContain(statements, s => s.IsUnknown);
        Assert.Contains(statements, s => s.Kind == kind && s.Origin == SqlStatementOrigin.DynamicSql);
    }

    [Theory]
    [InlineData("DO $$ begin grant execute on function f() to r; end $$")]
    [InlineData("DO $$ begin create trigger t after insert on x for each row execute function f(); end $$")]
    [InlineData("DO $$ begin create trigger t after insert on x for each row execute procedure f(); end $$")]
    public void ExecuteThatRunsNoText_IsNotUnknown(string sql) =>
        Assert.DoesNotContain(Classify(sql), s => s.IsUnknown);

    [Theory]
    [InlineData("select query_to_xml('DROP TABLE orders', true, false, '')", "DROP TABLE")]
    [InlineData("SELECT pg_catalog.query_to_xmlschema('delete from t', true, false, '')", "DELETE")]
    [InlineData("select \"query_to_xml_and_xmlschema\"('truncate t', true, false, '')", "TRUNCATE")]
    [InlineData("select * from dblink('dbname=x', 'drop table t') as r(a int)", "DROP TABLE")]
    [InlineData("select dblink_exec('conn', 'delete from t', false)", "DELETE")]
    [InlineData("select dblink_exec('update t set a = 1')", "UPDATE")]
    [InlineData("select dblink_send_query('conn', 'drop table t')", "DROP TABLE")]
    [InlineData("select dblink_open('conn', 'cur', 'select pg_sleep(1)', true)", "SELECT")]
    [InlineData("select * from ts_stat('delete from t returning v')", "DELETE")]
    [InlineData("select ts_rewrite('a'::tsquery, 'drop table t')", "DROP TABLE")]
    [InlineData("DO $$ begin perform query_to_xml('drop table t', true, false, ''); end $$", "DROP TABLE")]
    [InlineData("WITH x AS (SELECT query_to_xml('drop table t', true, false, '')) SELECT * FROM x", "DROP TABLE")]
    [InlineData("select * from crosstab('delete from t returning a, b, c') as ct(a int, b int)", "DELETE")]
    [InlineData("select * from crosstab('select 1, 2, 3', 'drop table t') as ct(a int, b int)", "DROP TABLE")]
    [InlineData("select * from public.crosstab3($q$truncate t$q$)", "TRUNCATE")]
    [InlineData("select * from connectby('t', 'query_to_xml(''drop table t'', true, false, '''')', 'pid', '1', 0) as x(a xml, b int, l int)", "DROP TABLE")]
    public void SqlTextFunction_WithALiteral_ClassifiesItsQuery(string sql, string command)
    {
        var statements = Classify(sql);
        Assert.DoesNotContain(statements, s => s.IsUnknown);
        Assert.Contains(statements, s => s.Command == command && s.Origin == SqlStatementOrigin.DynamicSql && s.Depth > 0);
    }

    [Theory]
    [InlineData("select query_to_xml('select pg_sl'||'eep(1)', true, false, '')")]
    [InlineData("select query_to_xml($1, true, false, '')")]
    [InlineData("select dblink_exec('conn', 'drop ' || 'table t')")]
    [InlineData("select dblink('conn', q) from queries")]
    [InlineData("select dblink_exec('conn', 'drop table t', $1)")]
    [InlineData("DO $$ begin perform dblink_exec('c', 'drop ' || 'table t'); end $$")]
    [InlineData("select * from crosstab('select id, 1, reverse(s'||'sn) from customers') as ct(id int, v text)")]
    [InlineData("select * from crosstab('select 1, 2, 3', 'select ' || 'x') as ct(a int, b text)")]
    [InlineData("select * from crosstab2(convert_from(decode('c2VsZWN0', 'base64'), 'UTF8'))")]
    [InlineData("select * from connectby('customers', 'reverse(s'||'sn)', 'card_brand', 'visa', 1) as t(k text, p text, l int)")]
    [InlineData("select * from connectby('t', 'id', 'pid', $1, '1', 0) as t(k int, p int, l int, o int)")]
    [InlineData("select * from xpath_table('id', '''<a>''||reverse(s'||'sn)||''</a>''', 'customers', '/a', 'id<4') as t(id int, v text)")]
    [InlineData("select * from xpath_table('id', 'doc', 'customers', '/a', $1) as t(id int, v text)")]
    [InlineData("select * from connectby('t', 'id', 'pid', $1, 0, '~') as x(a int, b int, l int, p text)")]
    public void SqlTextFunction_WithComputedQuery_IsUnknown(string sql) =>
        Assert.Contains(Classify(sql), s => s.IsUnknown && s.Origin == SqlStatementOrigin.DynamicSql);

    [Theory]
    [InlineData("select ts_rewrite('a'::tsquery, 'b'::tsquery, 'c'::tsquery)")]
    [InlineData("GRANT EXECUTE ON FUNCTION dblink_exec(text, text) TO r")]
    [InlineData("select query_to_xml_x('drop table t')")]
    [InlineData("DROP FUNCTION crosstab(text)")]
    public void SqlTextFunction_ThatIsNotACallWithSql_IsNotClassified(string sql) =>
        Assert.DoesNotContain(Classify(sql), s => s.Origin == SqlStatementOrigin.DynamicSql);

    /// <summary>
    /// connectby and xpath_table paste their field, relation and criteria arguments into a SELECT
    /// of their own; its values (start_with, max_depth, branch_delim, the XPaths) are not SQL, and
    /// the deprecated crosstab(text, int) takes a number (probe ZB1).
    /// </summary>
    [Theory]
    [InlineData("select * from connectby('t', 'id', 'pid', '1', 0) as x(a int, b int, l int)", "SELECT id, pid FROM t")]
    [InlineData("select * from connectby('t', 'id', 'pid', '1', 0, '~') as x(a int, b int, l int, p text)", "SELECT id, pid, 1 FROM t")]
    [InlineData("select * from connectby('t', 'id', 'pid', '(CASE WHEN id = 151 THEN reverse(ssn)::int END)', '0'::text, '0') as x(a int, b int, l int, o int)", "SELECT id, pid, (CASE WHEN id = 151 THEN reverse(ssn)::int END) FROM t")]
    [InlineData("select * from connectby('t', 'id', 'pid', 'pos', $1, 0) as x(a int, b int, l int, o int)", "SELECT id, pid, pos FROM t")]
    [InlineData("select * from connectby('t', 'id', 'pid', 'pos', $1, 0, '~') as x(a int, b int, l int, p text, o int)", "SELECT id, pid, pos FROM t")]
    [InlineData("select * from xpath_table('id', 'doc', 'docs', $1, 'id < 4') as t(id int, v text)", "SELECT id, doc FROM docs WHERE id < 4")]
    [InlineData("select * from connectby('t', 'id', 'pid', '1'::text, 0, '~') as x(a int, b int, l int, p text)", "SELECT id, pid, 1 FROM t")] // probe AE3
    [InlineData("select * from crosstab('select 1, 2, 3'::text, 2::int) as ct(a int, b int)", "select 1, 2, 3")]
    public void FragmentFunction_WithLiterals_ClassifiesTheSelectItBuilds(string sql, string built)
    {
        var statements = Classify(sql);
        Assert.DoesNotContain(statements, s => s.IsUnknown);
        Assert.Contains(statements, s => s.Origin == SqlStatementOrigin.DynamicSql && s.Kind == "SELECT" && s.Text.ToString() == built);
    }

    [Fact]
    public void Crosstab_WithAColumnCount_ReadsOnlyItsQuery()
    {
        var statements = Classify("select * from crosstab('select 1, 2, 3', 2) as ct(a int, b int)");
        Assert.DoesNotContain(statements, s => s.IsUnknown);
        Assert.Equal("select 1, 2, 3", Assert.Single(statements, s => s.Origin == SqlStatementOrigin.DynamicSql).Text.ToString());
    }

    [Theory]
    [InlineData("MERGE INTO orders o USING orders s ON o.id = s.id WHEN MATCHED THEN DELETE", "DELETE")]
    [InlineData("MERGE INTO orders o USING orders s ON o.id = s.id WHEN MATCHED THEN UPDATE SET note = 'x'", "UPDATE")]
    [InlineData("merge into t using s on t.id = s.id when not matched then insert values (s.id)", "INSERT")]
    [InlineData("WITH s AS (SELECT 1 AS id) MERGE INTO t USING s ON t.id = s.id WHEN MATCHED AND t.id > 0 THEN DELETE", "DELETE")]
    [InlineData("EXPLAIN ANALYZE MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", "DELETE")]
    public void Merge_ActionsAreStatementsWithoutWhere(string sql, string kind)
    {
        var action = Assert.Single(Classify(sql), s => s.Origin == SqlStatementOrigin.MergeAction);
        Assert.Equal(kind, action.Kind);
        Assert.False(action.HasWhere);
        Assert.StartsWith(kind, action.Text.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Merge_EveryActionIsFound_AndCaseExpressionsDoNotSplitThem()
    {
        var actions = Classify("""
            MERGE INTO t USING s ON t.id = s.id
            WHEN MATCHED AND CASE WHEN s.a THEN true ELSE false END THEN UPDATE SET a = CASE WHEN s.b THEN 1 ELSE 2 END
            WHEN MATCHED THEN DELETE
            WHEN NOT MATCHED BY SOURCE THEN DO NOTHING
            WHEN NOT MATCHED THEN INSERT DEFAULT VALUES
            """).Where(s => s.Origin == SqlStatementOrigin.MergeAction).ToList();
        Assert.Equal(["UPDATE", "DELETE", "INSERT"], actions.Select(a => a.Kind));
        Assert.EndsWith("ELSE 2 END", actions[0].Text.ToString().TrimEnd(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("select U&\"pg\\005fsleep\"(1)")]
    [InlineData("select * from pg_catalog.U&\"pg_sle\\0065p\"(0.5)")]
    [InlineData("select u&\"a!0062\" UESCAPE '!' from t")]
    [InlineData("DO $$ begin perform U&\"pg\\005fsleep\"(1); end $$")]
    [InlineData("DO $$ begin execute 'select U&\"pg\\005fsleep\"(1)'; end $$")]
    [InlineData("DO E'begin perform pg\\137sleep(1); end'")]
    [InlineData("DO $$ begin execute U&'\\0044ROP TABLE t'; end $$")]
    public void UnicodeEscapedNamesOrEscapedBodies_AreUnknown(string sql) =>
        Assert.Contains(Classify(sql), s => s.IsUnknown);

    [Theory]
    [InlineData("select \"pg_sleep\"(1), \"Users\".id from \"Users\"")]
    [InlineData("select U&'caf\\00e9'")]
    [InlineData("select u, \"u\" from t")]
    public void OrdinaryIdentifiers_AreKnown(string sql) =>
        Assert.DoesNotContain(Classify(sql), s => s.IsUnknown);

    [Fact]
    public void WriteInParenthesesBeforeABodyStatement_IsFound()
    {
        var statements = Classify("DO $$ declare n int; begin n := (with d as (delete from t returning 1) select count(*) from d); end $$");
        Assert.False(Assert.Single(statements, s => s.Kind == "DELETE").HasWhere);
    }
}
