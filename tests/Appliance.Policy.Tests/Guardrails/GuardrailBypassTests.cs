using System.Text;
using Appliance.Policy.Configuration;
using Appliance.Policy.Guardrails;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Guardrails;

/// <summary>Statements that once reached PostgreSQL past the demo policy: SQL that runs from a value.</summary>
public class GuardrailBypassTests
{
    private static readonly GuardrailRule DestructiveDdl = GuardrailEngineTests.DestructiveDdl;
    private static readonly GuardrailRule UnboundedWrite = GuardrailEngineTests.UnboundedWrite;
    private static readonly GuardrailRule NoSleep = GuardrailEngineTests.NoSleep;

    private static readonly GuardrailRule InsertAlert = new() { Name = "insert", Statements = ["INSERT"], Action = GuardrailAction.Alert };

    private static GuardrailVerdict Demo(string sql) =>
        GuardrailEngine.Compile([DestructiveDdl, UnboundedWrite, NoSleep]).Evaluate(sql, new SqlSession());

    [Theory]
    [InlineData("DO $$ begin execute 'DR'||'OP TABLE orders'; end $$")]
    [InlineData("DO $$ begin execute chr(68)||'ROP TABLE orders'; end $$")]
    [InlineData("DO $$ begin execute 'DEL'||'ETE FROM orders'; end $$")]
    [InlineData("DO $x$ begin execute 'select pg_' || 'sleep(1)'; end $x$")]
    [InlineData("select query_to_xml('select pg_sl'||'eep(1)', true, false, '')")]
    [InlineData("select U&\"pg\\005fsleep\"(1)")]
    [InlineData("select * from pg_catalog.U&\"pg_sle\\0065p\"(0.5)")]
    [InlineData("EXPLAIN ANALYZE select U&\"pg\\005fsleep\"(1)")]
    [InlineData("PREPARE p AS select query_to_xml('select pg_sl'||'eep(1)', true, false, '')")]
    public void Unreadable_IsBlockedAsUnknown(string sql)
    {
        var verdict = Demo(sql);
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Contains(verdict.Matches, m => m.Reason == GuardrailMatchReason.UnknownStatement && m.StatementCommand == SqlKeywords.Unknown);
    }

    [Theory]
    [InlineData("DO $x$ begin execute 'select pg_' || 'sleep(1)'; end $x$")]
    [InlineData("select U&\"pg\\005fsleep\"(1)")]
    [InlineData("DO E'begin perform pg\\137sleep(1); end'")]
    public void Unreadable_UnderARegexOnlyPolicy_IsBlocked(string sql)
    {
        var verdict = GuardrailEngine.Compile([NoSleep]).Evaluate(sql, new SqlSession());
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Equal(GuardrailMatchReason.UnknownStatement, Assert.Single(verdict.Matches).Reason);
    }

    [Theory]
    [InlineData("select query_to_xml('DROP TABLE orders', true, false, '')", "destructive-ddl", "DROP TABLE")]
    [InlineData("select * from dblink('conn', 'truncate orders') as t(x text)", "destructive-ddl", "TRUNCATE")]
    [InlineData("select dblink_exec('conn', 'delete from orders')", "unbounded-write", "DELETE")]
    [InlineData("DO $$ begin execute E'select pg\\137sleep(1)'; end $$", "no-sleep", "SELECT")]
    [InlineData("EXPLAIN ANALYZE select query_to_xml('drop table orders', true, false, '')", "destructive-ddl", "DROP TABLE")]
    public void SqlInALiteral_IsJudgedByWhatItRuns(string sql, string rule, string command)
    {
        var verdict = Demo(sql);
        Assert.False(verdict.MayRun);
        var match = Assert.Single(verdict.Matches);
        Assert.Equal(rule, match.RuleName);
        Assert.Equal(command, match.StatementCommand);
        Assert.Equal(GuardrailMatchReason.Matched, match.Reason);
        Assert.Equal(SqlStatementOrigin.DynamicSql, match.StatementOrigin);
    }

    [Theory]
    [InlineData("MERGE INTO orders o USING orders s ON o.id=s.id WHEN MATCHED THEN DELETE", "DELETE")]
    [InlineData("MERGE INTO orders o USING orders s ON o.id=s.id WHEN MATCHED THEN UPDATE SET note='x'", "UPDATE")]
    [InlineData("merge into orders o using (select 1 as id) s on o.id = s.id when matched and o.id = 1 then delete", "DELETE")]
    public void MergeDeleteOrUpdate_IsHeldForReview(string sql, string command)
    {
        var verdict = Demo(sql);
        Assert.Equal(GuardrailOutcome.Review, verdict.Outcome);
        var match = Assert.Single(verdict.Matches);
        Assert.Equal("unbounded-write", match.RuleName);
        Assert.Equal(command, match.StatementCommand);
        Assert.Equal(SqlStatementOrigin.MergeAction, match.StatementOrigin);
    }

    /// <summary>
    /// With standard_conforming_strings off, a backslash escapes the quote, and what read as a WHERE
    /// is inside a string: held, as the server runs it on every row (probe UB2: it passed as bounded).
    /// A write whose WHERE is a WHERE in both readings is not held.
    /// </summary>
    [Theory]
    [InlineData("UPDATE s.t SET v = 'a\\' WHERE id = 1 --'", true)]
    [InlineData("DELETE FROM s.tr USING (SELECT 'a\\' AS k WHERE false) z WHERE s.tr.id = 1 --' AS k) z", true)]
    [InlineData("UPDATE s.t SET v = 'C:\\dir' WHERE id = 1", false)]
    [InlineData("DELETE FROM s.t WHERE v = 'a\\b'", false)]
    public void AWhereThatIsAStringWithBackslashQuotes_DoesNotBoundTheWrite(string sql, bool held) =>
        Assert.Equal(held ? GuardrailOutcome.Review : GuardrailOutcome.None, Demo(sql).Outcome);

    /// <summary>
    /// B'…' and X'…' take no backslash escapes in either reading: a trailing B'\' no longer ends the
    /// other reading inside a string, which dropped it and let what it hid run unjudged (probes VA1–VA5).
    /// A DO body is read both ways too, as PL/pgSQL reads it with the session's setting (VA4).
    /// </summary>
    [Theory]
    [InlineData("UPDATE s.t SET v = 'a\\' WHERE id = 1 --'\n;COMMIT;SELECT B'\\'", "Review")]
    [InlineData("SELECT 'x\\'' ; DROP TABLE s.v; --'\n;COMMIT;SELECT x'\\'", "Block")]
    [InlineData("PREPARE p AS UPDATE s.t SET v = 'a\\' WHERE id = 1 --'\n;SELECT b'\\'", "Review")]
    [InlineData("DO $$ BEGIN UPDATE s.t SET v = 'a\\' WHERE id = 1 --'\n; COMMIT; END $$", "Block")] // the readings split it differently: not read
    [InlineData("SELECT B'\\', X'\\', 'C:\\dir'", "None")]
    // A body split with the setting on and a statement of it read with it off (probe WA1).
    [InlineData("DO $$BEGIN\nPERFORM set_config('standard_conforming_strings', 'off', true);\nUPDATE acct SET bal = bal WHERE id = 1 AND 'a\\'' IS NULL; DROP TABLE victim; --' = 'x'\n;\nIF false THEN PERFORM 'z\\'; END IF;\nEND$$", "Block")]
    [InlineData("DO $$BEGIN\nPERFORM set_config('standard_conforming_strings', 'off', true);\nUPDATE acct SET bal = 0 WHERE 'a\\'' IS NOT NULL OR true --' = 'x' AND id = 1\n;\nIF false THEN PERFORM 'z\\'; END IF;\nEND$$", "Block")]
    // Split with the setting off and a statement read with it on (probe XA1): the readings split it differently.
    [InlineData("DO $$BEGIN\nPERFORM 'z\\'';\nSET LOCAL standard_conforming_strings TO on;\nPERFORM 'q\\'; DROP TABLE victim; --';\nEND$$", "Block")]
    // A cursor's query may be a write (probe XA2); FOR UPDATE is a lock.
    [InlineData("DO $$DECLARE c refcursor; x int; BEGIN OPEN c FOR DELETE FROM acct RETURNING id; FETCH c INTO x; END$$", "Review")]
    [InlineData("DO $$DECLARE c CURSOR FOR UPDATE kv SET v = 'x' RETURNING k; BEGIN OPEN c; END$$", "Review")]
    [InlineData("DO $$DECLARE c refcursor; r record; BEGIN OPEN c FOR UPDATE ONLY public.ya_t AS t SET v = 'A' RETURNING *; FETCH c INTO r; END$$", "Review")] // probe YA1
    [InlineData("DO $$DECLARE r record; BEGIN FOR r IN SELECT * FROM acct a WHERE a.id = 1 FOR UPDATE OF a SKIP LOCKED LOOP END LOOP; END$$", "None")]
    [InlineData("DO $$DECLARE r record; BEGIN FOR r IN SELECT * FROM acct WHERE id = 1 FOR UPDATE LOOP END LOOP; END$$", "None")]
    public void WhatTheOtherReadingHidesBehindABitString_IsJudged(string sql, string outcome) =>
        Assert.Equal(outcome, Demo(sql).Outcome.ToString());

    /// <summary>
    /// An upsert from VALUES is bounded by its rows unless a row calls a set-returning function,
    /// which makes any number of them (probe UB1: every row rewritten unreviewed).
    /// </summary>
    [Theory]
    [InlineData("INSERT INTO s.t VALUES (generate_series(1,1000), 'x') ON CONFLICT (id) DO UPDATE SET v = 'x'", true)]
    [InlineData("INSERT INTO s.t VALUES (unnest(array(SELECT id FROM s.t)), 'u') ON CONFLICT (id) DO UPDATE SET v = 'u'", true)]
    [InlineData("INSERT INTO s.t VALUES (pg_catalog.\"jsonb_array_elements_text\"('[1,2]')::int, 'j') ON CONFLICT (id) DO UPDATE SET v = excluded.v", true)]
    [InlineData("INSERT INTO s.t VALUES (regexp_split_to_table('1 2', ' ')::int, 'r') ON CONFLICT (id) DO UPDATE SET v = 'r'", true)]
    [InlineData("INSERT INTO s.t VALUES (1, 'x'), (2, lower('Y')) ON CONFLICT (id) DO UPDATE SET v = excluded.v", false)]
    [InlineData("INSERT INTO s.t VALUES (1, now()::text) ON CONFLICT (id) DO UPDATE SET v = excluded.v RETURNING generate_series(1, 2)", false)]
    [InlineData("INSERT INTO s.t VALUES (0, 'x') UNION ALL SELECT id, v FROM s.t ON CONFLICT (id) DO UPDATE SET v = 'u'", true)] // probe VA6
    [InlineData("INSERT INTO kv (k, v) SELECT k, 'pwn' FROM kv AS values ON CONFLICT (k) DO UPDATE SET v = excluded.v", true)] // probe WA2
    [InlineData("INSERT INTO kv SELECT k, 'pwn' AS values FROM kv ON CONFLICT (k) DO UPDATE SET v = excluded.v", true)]
    [InlineData("INSERT INTO public.kv AS t (k, v) OVERRIDING USER VALUE VALUES (1, 'a') ON CONFLICT (k) DO UPDATE SET v = excluded.v", false)]
    [InlineData("INSERT INTO kv DEFAULT VALUES ON CONFLICT (k) DO UPDATE SET v = excluded.v", false)]
    [InlineData("INSERT INTO s.t VALUES (jsonb_path_query_tz('[1]', '$[*]')::int, 'j') ON CONFLICT (id) DO UPDATE SET v = 'j'", true)] // VA7
    [InlineData("INSERT INTO s.t VALUES (my_ids(), 'm') ON CONFLICT (id) DO UPDATE SET v = 'm'", true)] // VA8: a function of the database's own
    [InlineData("INSERT INTO s.t (id, v, at) VALUES ($1, lower($2)::varchar(20), coalesce($3, now())) ON CONFLICT (id) DO UPDATE SET v = excluded.v", false)]
    [InlineData("INSERT INTO s.t VALUES (1, CAST($1 AS numeric(10, 2))) ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE s.t.id IN (SELECT 1)", false)]
    public void AnUpsertFromValuesCallingASetReturningFunction_IsHeld(string sql, bool held) =>
        Assert.Equal(held ? GuardrailOutcome.Review : GuardrailOutcome.None, Demo(sql).Outcome);

    [Fact]
    public void MergeInsert_IsAnInsert()
    {
        const string Sql = "MERGE INTO orders o USING orders s ON o.id = s.id WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id)";
        Assert.Equal(GuardrailOutcome.None, Demo(Sql).Outcome);
        var verdict = GuardrailEngine.Compile([InsertAlert]).Evaluate(Sql, new SqlSession());
        Assert.Equal(GuardrailOutcome.Alert, verdict.Outcome);
        Assert.Equal(SqlStatementOrigin.MergeAction, Assert.Single(verdict.Matches).StatementOrigin);
    }

    [Theory]
    [InlineData("DO $$ begin execute 'select 1'; end $$")]
    [InlineData("DO $$ declare n int; begin execute 'select count(*) from orders where id = $1' into n using 4411; end $$")]
    [InlineData("select query_to_xml('select 1', true, false, '')")]
    [InlineData("select * from dblink('dbname=demo', 'select id from orders') as t(id int)")]
    [InlineData("select \"pg_catalog\".\"now\"(), \"Orders\".id from \"Orders\"")]
    [InlineData("select U&'\\0041 string literal'")]
    [InlineData("DO $$ begin grant execute on function f() to r; end $$")]
    public void LegitimateUses_AreAllowed(string sql) =>
        Assert.Equal(GuardrailOutcome.None, Demo(sql).Outcome);

    [Fact]
    public void ProtocolParse_OfComputedDynamicSql_IsBlocked_AndExecuteOfItFailsClosed()
    {
        var engine = GuardrailEngine.Compile([DestructiveDdl, UnboundedWrite, NoSleep]);
        var session = new SqlSession();
        var parse = engine.EvaluateParse("s1"u8, Encoding.UTF8.GetBytes("DO $$ begin execute 'DR'||'OP TABLE orders'; end $$"), session);
        Assert.Equal(GuardrailOutcome.Block, parse.Outcome);
        Assert.Contains(parse.Matches, m => m.Reason == GuardrailMatchReason.UnknownStatement);

        var merge = engine.EvaluateParse("s2"u8, "MERGE INTO orders o USING orders s ON o.id = s.id WHEN MATCHED THEN DELETE"u8, session);
        Assert.Equal(GuardrailOutcome.Review, merge.Outcome);
        Assert.Equal(GuardrailOutcome.Review, engine.Evaluate("EXECUTE s2", session).Outcome);
    }
}
