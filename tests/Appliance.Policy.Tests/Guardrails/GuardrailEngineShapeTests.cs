using System.Text;
using Appliance.Policy.Configuration;
using Appliance.Policy.Guardrails;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Guardrails;

/// <summary>
/// Verdicts remembered per shape (texts that differ only in integers) must be exactly the
/// verdicts a fresh engine gives each text: the cache may never let a statement through that the
/// rules would stop, nor stop one they would let through.
/// </summary>
public class GuardrailEngineShapeTests
{
    private static readonly GuardrailRule[] Rules =
    [
        new() { Name = "destructive-ddl", Statements = ["DROP", "TRUNCATE"], Action = GuardrailAction.Block },
        new() { Name = "unbounded-write", Statements = ["DELETE", "UPDATE"], Missing = "WHERE", Action = GuardrailAction.Review },
        new() { Name = "no-sleep", Regex = "pg_sleep", Action = GuardrailAction.Block },
        new() { Name = "the-beast", Regex = @"id\s*=\s*666\b", Action = GuardrailAction.Block },
        new() { Name = "seven-first", Regex = "^select 7", Action = GuardrailAction.Block },
        new() { Name = "big-limit", Statements = ["SELECT"], Regex = @"limit\s+\d{5,}", Action = GuardrailAction.Alert },
    ];

    private static GuardrailEngine Engine() => GuardrailEngine.Compile(Rules);

    private static GuardrailVerdict Evaluate(GuardrailEngine engine, string sql, SqlSession? session = null) =>
        engine.Evaluate(Encoding.UTF8.GetBytes(sql), session ?? new SqlSession());

    private static string Summary(GuardrailVerdict verdict) =>
        $"{verdict.Outcome}: {string.Join(", ", verdict.Matches.Select(m => $"{m.RuleName}/{m.StatementCommand}/{m.StatementText}"))}";

    public static TheoryData<string, string> Siblings => new()
    {
        { "SELECT * FROM t WHERE id = 1", "SELECT * FROM t WHERE id = 666" },
        { "SELECT 6 FROM t", "SELECT 7 FROM t" },
        { "SELECT * FROM t LIMIT 10", "SELECT * FROM t LIMIT 99999" },
        { "EXPLAIN (ANALYZE 0) DELETE FROM t", "EXPLAIN (ANALYZE 1) DELETE FROM t" },
        { "EXPLAIN (ANALYZE 1) DELETE FROM t", "EXPLAIN (ANALYZE 0) DELETE FROM t" },
        { "DO $$ BEGIN EXECUTE E'\\105ROP TABLE t'; END $$", "DO $$ BEGIN EXECUTE E'\\104ROP TABLE t'; END $$" },
        { "CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql", "CREATE FUNCTION f() RETURNS int AS 'SELECT 2' LANGUAGE sql" },
        { "SELECT 1; SELECT 2", "SELECT 1; SELECT 666" },
        { "/* 1 */ SELECT 2", "/* 3 */ SELECT 7" },
        { "SELECT 2 /* 1 */", "SELECT 7 /* 3 */" },
        { "SELECT 1 -- pg_sleep", "SELECT 2 -- pg_sleep" },
        { "SELECT 'id = 1'", "SELECT 'id = 666'" },
        { "UPDATE t SET a = 1 WHERE id = 2", "UPDATE t SET a = 1 WHERE id = 666" },
        { "DELETE FROM t WHERE id = 5", "DELETE FROM t WHERE id = 6" },
        { "DELETE FROM t WHERE 1 = 2", "DELETE FROM t WHERE 1 = 1" },
        { "DELETE FROM t WHERE id = 5", "DELETE FROM t WHERE 5 = 5" },
        { "DELETE FROM t WHERE id + 1 = id + 2", "DELETE FROM t WHERE id + 1 = id + 1" },
        { "UPDATE t SET a = 1 WHERE coalesce(id, 0) = coalesce(id, 1)", "UPDATE t SET a = 1 WHERE coalesce(id, 0) = coalesce(id, 0)" },
        { "WITH d AS (DELETE FROM t WHERE id = 1) SELECT 1", "WITH d AS (DELETE FROM t WHERE id = 2) SELECT 2" },
        { "SELECT (DELETE FROM t WHERE a = 1)", "SELECT (DELETE FROM t WHERE a = 666)" },
        { "PREPARE p1 AS SELECT 1", "PREPARE p2 AS SELECT 2" },
        { "SELECT 'a\\' 1; DROP TABLE t; --'", "SELECT 'a\\' 2; DROP TABLE t; --'" },
        { "SELECT 1 FROM t WHERE a = 'unterminated", "SELECT 2 FROM t WHERE a = 'unterminated" },
        { "select 1", "SELECT 1" },
    };

    [Theory]
    [MemberData(nameof(Siblings))]
    public void Evaluate_AfterASibling_GivesTheVerdictOfAFreshEngine(string first, string second)
    {
        var engine = Engine();
        var session = new SqlSession();
        Evaluate(engine, first, session);

        var cached = Evaluate(engine, second, session);
        var fresh = Evaluate(Engine(), second);

        Assert.Equal(Summary(fresh), Summary(cached));
    }

    [Theory]
    [InlineData("DELETE FROM t WHERE 1 = 1")]
    [InlineData("UPDATE t SET a = 1 WHERE id = 3 OR true")]
    [InlineData("INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE SET a = 0")]
    public void Evaluate_AWriteWhoseWhereIsAlwaysTrue_IsHeldForReview(string sql)
    {
        var verdict = Evaluate(Engine(), sql);
        Assert.Equal(GuardrailOutcome.Review, verdict.Outcome);
        Assert.Equal("unbounded-write", Assert.Single(verdict.Matches).RuleName);
    }

    [Fact]
    public void Evaluate_ARegexRuleReadingTheIntegers_StillStopsASiblingOfAnAllowedText()
    {
        var engine = Engine();
        var session = new SqlSession();
        Assert.Equal(GuardrailOutcome.None, Evaluate(engine, "SELECT * FROM t WHERE id = 1", session).Outcome);
        Assert.Equal(1, engine.CachedShapes);
        Assert.Equal(0, engine.CachedTexts);

        var verdict = Evaluate(engine, "SELECT * FROM t WHERE id = 666", session);

        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Equal("the-beast", Assert.Single(verdict.Matches).RuleName);
        Assert.Equal("SELECT * FROM t WHERE id = 666", verdict.Matches[0].StatementText);
        Assert.Equal(GuardrailOutcome.None, Evaluate(engine, "SELECT * FROM t WHERE id = 665", session).Outcome);
    }

    [Fact]
    public void Evaluate_AnAnchoredRegex_IsRunOnTheStatementNotTheWholeText()
    {
        var engine = Engine();
        Assert.Equal(GuardrailOutcome.None, Evaluate(engine, "  SELECT 6 FROM t;  ", new SqlSession()).Outcome);
        Assert.Equal(1, engine.CachedShapes);

        Assert.Equal(GuardrailOutcome.Block, Evaluate(engine, "  SELECT 7 FROM t;  ", new SqlSession()).Outcome);
    }

    [Theory]
    [InlineData("EXPLAIN (ANALYZE 0) DELETE FROM t")]
    [InlineData("SELECT 1; SELECT 2")]
    [InlineData("DO $$ BEGIN PERFORM 1; END $$")]
    [InlineData("/* 1 */ SELECT 2")]
    [InlineData("SELECT * FROM t LIMIT 99999")]
    [InlineData("DELETE FROM t")]
    [InlineData("SELECT (DELETE FROM t WHERE a = 1)")]
    [InlineData("DELETE FROM t WHERE id = 5")]
    [InlineData("UPDATE t SET a = 1 WHERE id = 2")]
    public void Evaluate_TextsWhoseVerdictMayHangOnAnInteger_AreNotRememberedByShape(string sql)
    {
        var engine = Engine();

        Evaluate(engine, sql);

        Assert.Equal(0, engine.CachedShapes);
    }

    [Fact]
    public void Evaluate_InvalidUtf8_IsNotRememberedByShape()
    {
        var engine = Engine();
        byte[] sql = [.. "SELECT 'x"u8, 0xFF, .. "' FROM t WHERE id = 1"u8];

        Assert.Equal(GuardrailOutcome.None, engine.Evaluate(sql, new SqlSession()).Outcome);

        Assert.Equal(0, engine.CachedShapes);
    }

    [Fact]
    public void Evaluate_ManySiblings_AreJudgedByOneShape()
    {
        var engine = Engine();
        var session = new SqlSession();
        for (var id = 0; id < 100; id++)
        {
            Assert.Equal(GuardrailOutcome.None, Evaluate(engine, $"SELECT abalance FROM pgbench_accounts WHERE aid = {id};", session).Outcome);
        }

        Assert.Equal(1, engine.CachedShapes);
        Assert.Equal(0, engine.CachedTexts);
    }
}
