using System.Text;
using Appliance.Policy.Configuration;
using Appliance.Policy.Guardrails;
using System.Text.RegularExpressions;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Guardrails;

public class GuardrailEngineTests
{
    internal static readonly GuardrailRule DestructiveDdl = new()
    {
        Name = "destructive-ddl",
        Statements = ["DROP", "TRUNCATE"],
        Action = GuardrailAction.Block,
        Message = "Destructive DDL is not allowed through the gateway.",
    };

    internal static readonly GuardrailRule UnboundedWrite = new()
    {
        Name = "unbounded-write",
        Statements = ["DELETE", "UPDATE"],
        Missing = "WHERE",
        Action = GuardrailAction.Review,
    };

    internal static readonly GuardrailRule NoSleep = new() { Name = "no-sleep", Regex = "pg_sleep", Action = GuardrailAction.Block };

    private static readonly GuardrailRule AlertOnGrant = new() { Name = "grants", Statements = ["grant", "Revoke"], Action = GuardrailAction.Alert };

    private static GuardrailEngine Engine(params GuardrailRule[] rules) =>
        GuardrailEngine.Compile(rules.Length == 0 ? [DestructiveDdl, UnboundedWrite, NoSleep, AlertOnGrant] : rules);

    private static GuardrailVerdict Evaluate(string sql, SqlSession? session = null) => Engine().Evaluate(sql, session ?? new SqlSession());

    [Theory]
    [InlineData("SELECT * FROM t WHERE id = 1")]
    [InlineData("DELETE FROM t WHERE id = 1")]
    [InlineData("UPDATE t SET a = 1 WHERE id = 1")]
    [InlineData("SELECT 'DROP TABLE t; TRUNCATE' -- DROP TABLE t")]
    [InlineData("EXPLAIN DELETE FROM t")]
    [InlineData("")]
    public void Evaluate_HarmlessQuery_IsAllowed(string sql)
    {
        var verdict = Evaluate(sql);
        Assert.Equal(GuardrailOutcome.None, verdict.Outcome);
        Assert.Empty(verdict.Matches);
        Assert.True(verdict.MayRun);
    }

    [Theory]
    [InlineData("DROP TABLE orders")]
    [InlineData("/* x */ dRoP table t")]
    [InlineData("truncate t")]
    [InlineData("SELECT 1; DROP TABLE t")]
    [InlineData("DO $$ BEGIN DROP TABLE t; END $$")]
    [InlineData("CREATE FUNCTION f() RETURNS void AS $$ DROP TABLE t $$ LANGUAGE sql")]
    [InlineData("PREPARE p AS TRUNCATE t")]
    [InlineData("ALTER TABLE orders DROP COLUMN note")]
    [InlineData("alter table if exists only public.orders drop if exists note cascade")]
    [InlineData("ALTER TABLE orders ADD COLUMN x int, DROP note")]
    [InlineData("ALTER TABLE \"Orders\" ALTER COLUMN a DROP DEFAULT, DROP COLUMN b")]
    [InlineData("ALTER FOREIGN TABLE f DROP COLUMN c")]
    [InlineData("ALTER TYPE address DROP ATTRIBUTE zip")]
    [InlineData("DO $$ BEGIN ALTER TABLE t DROP COLUMN c; END $$")]
    [InlineData("DO 'begin '\n'drop table orders; end'")]
    [InlineData("DO 'begin dr'  -- a comment\n  'op table orders; end'")]
    [InlineData("DO E'begin '\r\n'truncate orders; end'")]
    public void Evaluate_DestructiveDdl_IsBlockedWithTheRulesMessage(string sql)
    {
        var verdict = Evaluate(sql);
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        var match = Assert.Single(verdict.Matches, m => m.RuleName == "destructive-ddl");
        Assert.Equal("Destructive DDL is not allowed through the gateway.", match.Message);
        Assert.Equal(GuardrailMatchReason.Matched, match.Reason);
        Assert.False(verdict.MayRun);
    }

    [Theory]
    [InlineData("ALTER TABLE t ALTER COLUMN c DROP DEFAULT")]
    [InlineData("ALTER TABLE t ALTER c DROP NOT NULL")]
    [InlineData("ALTER TABLE t ALTER COLUMN c DROP IDENTITY IF EXISTS")]
    [InlineData("ALTER TABLE t ALTER COLUMN c DROP EXPRESSION")]
    [InlineData("ALTER TABLE t DROP CONSTRAINT t_pkey")]
    [InlineData("ALTER TABLE t ADD COLUMN dropped int")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT c CHECK (note <> 'drop x')")]
    public void Evaluate_AlterThatDropsNoColumn_IsNotADrop(string sql)
    {
        var verdict = Evaluate(sql);
        Assert.DoesNotContain(verdict.Matches, m => m.RuleName == "destructive-ddl");
        Assert.DoesNotContain(SqlClassifier.Classify(sql).Statements, s => s.Kind == "DROP");
    }

    [Fact]
    public void Classify_AlterTableDropColumn_IsAlsoADropColumn()
    {
        var statements = SqlClassifier.Classify("ALTER TABLE orders DROP COLUMN note").Statements;
        Assert.Equal(["ALTER TABLE", "DROP COLUMN"], statements.Select(s => s.Command));
    }

    [Theory]
    [InlineData("DO 'begin perform pg_sl'\n'eep(3); end'")]
    [InlineData("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'select pg_s' -- split\n 'leep(1)'")]
    public void Evaluate_ARegex_ReadsABodyWrittenInPieces(string sql)
    {
        var verdict = Evaluate(sql);
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Contains(verdict.Matches, m => m.RuleName == "no-sleep");
    }

    [Theory]
    [InlineData("CREATE FUNCTION f() RETURNS void LANGUAGE plperl AS 'spi_exec_query(\"TRUNC\".\"ATE orders\")'")]
    [InlineData("CREATE PROCEDURE p() LANGUAGE pltcl AS 'spi_exec \"TRUNC[]ATE orders\"'")]
    [InlineData("DO LANGUAGE plperl 'spi_exec_query(\"DR\".\"OP TABLE orders\")'")]
    [InlineData("DO 'x(1)' LANGUAGE \"foo\"")]
    [InlineData("CREATE FUNCTION f() RETURNS int LANGUAGE 'plpython3u' AS 'return 1'")]
    public void Evaluate_ABodyInALanguageTheEngineDoesNotRead_IsBlocked(string sql)
    {
        var verdict = Evaluate(sql);
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Contains(verdict.Matches, m => m.Reason == GuardrailMatchReason.UnknownStatement);
    }

    [Theory]
    [InlineData("DO LANGUAGE plpgsql $$ BEGIN PERFORM 1; END $$")]
    [InlineData("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'")]
    [InlineData("CREATE FUNCTION f() RETURNS int LANGUAGE 'SQL' AS 'SELECT 1'")]
    public void Evaluate_ABodyInSqlOrPlpgsql_IsRead(string sql) =>
        Assert.Equal(GuardrailOutcome.None, Evaluate(sql).Outcome);

    [Theory]
    [InlineData("DELETE FROM t")]
    [InlineData("update t set a = 1")]
    [InlineData("EXPLAIN ANALYZE DELETE FROM t")]
    [InlineData("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d")]
    [InlineData("DO $$ BEGIN UPDATE t SET a = 1; END $$")]
    [InlineData("DELETE FROM t -- WHERE id = 1")]
    [InlineData("DO 'begin '\n'delete from orders; end'")]
    public void Evaluate_WriteWithoutWhere_IsHeldForReview(string sql)
    {
        var verdict = Evaluate(sql);
        Assert.Equal(GuardrailOutcome.Review, verdict.Outcome);
        var match = Assert.Single(verdict.Matches);
        Assert.Equal("Held for review by guardrail 'unbounded-write'.", match.Message);
        Assert.Equal(TimeSpan.FromSeconds(30), match.Rule.Hold);
    }

    [Fact]
    public void Evaluate_MissingWhereWithoutKinds_AppliesToDeleteAndUpdate()
    {
        var engine = Engine(new GuardrailRule { Name = "w", Missing = "where", Action = GuardrailAction.Review });
        Assert.Equal(GuardrailOutcome.Review, engine.Evaluate("DELETE FROM t", new SqlSession()).Outcome);
        Assert.Equal(GuardrailOutcome.Review, engine.Evaluate("UPDATE t SET a = 1", new SqlSession()).Outcome);
        Assert.Equal(GuardrailOutcome.None, engine.Evaluate("INSERT INTO t VALUES (1)", new SqlSession()).Outcome);
        Assert.Equal(GuardrailOutcome.None, engine.Evaluate("DELETE FROM t WHERE a = 1", new SqlSession()).Outcome);
    }

    [Fact]
    public void Evaluate_ARuleOnSelect_CoversTableAndValuesQueries()
    {
        // Probe AI: TABLE orders is SELECT * FROM orders, and passed a block on SELECT.
        var engine = Engine(new GuardrailRule { Name = "reads", Statements = ["SELECT"], Action = GuardrailAction.Block });
        Assert.Equal(GuardrailOutcome.Block, engine.Evaluate("TABLE orders", new SqlSession()).Outcome);
        Assert.Equal(GuardrailOutcome.Block, engine.Evaluate("VALUES (1)", new SqlSession()).Outcome);
        Assert.Equal(GuardrailOutcome.Block, engine.Evaluate("SELECT 1", new SqlSession()).Outcome);
        Assert.Equal(GuardrailOutcome.None, engine.Evaluate("INSERT INTO t VALUES (1)", new SqlSession()).Outcome);

        var tableOnly = Engine(new GuardrailRule { Name = "table", Statements = ["TABLE"], Action = GuardrailAction.Block });
        Assert.Equal(GuardrailOutcome.None, tableOnly.Evaluate("SELECT 1", new SqlSession()).Outcome);
    }

    [Fact]
    public void Evaluate_MultiStatementMixingAllowedAndBlocked_TakesTheStrongestAndReportsAll()
    {
        var verdict = Evaluate("SELECT 1; DELETE FROM t; GRANT SELECT ON t TO r; DROP TABLE t; SELECT pg_sleep(1)");
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Equal(
            [("destructive-ddl", 3), ("unbounded-write", 1), ("no-sleep", 4), ("grants", 2)],
            verdict.Matches.Select(m => (m.RuleName, m.StatementIndex)));
        Assert.Equal("destructive-ddl", verdict.Deciding!.RuleName);
        Assert.Equal("DROP TABLE t", verdict.Matches[0].StatementText);
    }

    [Fact]
    public void Evaluate_Alert_MayRun()
    {
        var verdict = Evaluate("GRANT SELECT ON t TO r");
        Assert.Equal(GuardrailOutcome.Alert, verdict.Outcome);
        Assert.True(verdict.MayRun);
        Assert.Equal("Guardrail 'grants' raised an alert.", verdict.Matches[0].Message);
    }

    [Theory]
    [InlineData("SELECT PG_SLEEP(10)")]
    [InlineData("SELECT \"pg_sleep\"(10)")]
    [InlineData("SELECT pg_catalog.pg_sleep(10)")]
    public void Evaluate_Regex_IsCaseInsensitiveOnRawText(string sql) =>
        Assert.Equal("no-sleep", Assert.Single(Evaluate(sql).Matches).RuleName);

    [Fact]
    public void Evaluate_MultiWordKind_MatchesOnlyThatCommand()
    {
        var engine = Engine(new GuardrailRule { Name = "no-drop-table", Statements = ["drop  table"], Action = GuardrailAction.Block });
        Assert.Equal(GuardrailOutcome.Block, engine.Evaluate("DROP TABLE t", new SqlSession()).Outcome);
        Assert.Equal(GuardrailOutcome.None, engine.Evaluate("DROP VIEW v", new SqlSession()).Outcome);
    }

    [Fact]
    public void Evaluate_CopyDirection_CanBeTargeted()
    {
        var engine = Engine(new GuardrailRule { Name = "no-export", Statements = ["COPY TO"], Action = GuardrailAction.Block });
        Assert.Equal(GuardrailOutcome.Block, engine.Evaluate("COPY (SELECT * FROM t) TO STDOUT", new SqlSession()).Outcome);
        Assert.Equal(GuardrailOutcome.None, engine.Evaluate("COPY t FROM STDIN", new SqlSession()).Outcome);
    }

    [Fact]
    public void Evaluate_PrepareThenExecute_JudgesWhatExecuteRuns()
    {
        var engine = Engine();
        var session = new SqlSession();
        Assert.Equal(GuardrailOutcome.Review, engine.Evaluate("PREPARE wipe AS DELETE FROM t", session).Outcome);
        var verdict = engine.Evaluate("EXECUTE wipe", session);
        Assert.Equal(GuardrailOutcome.Review, verdict.Outcome);
        Assert.Equal(SqlStatementOrigin.Execute, verdict.Matches[0].StatementOrigin);
        Assert.Equal("DELETE FROM t", verdict.Matches[0].StatementText);

        // Another session never prepared it: unknown, so it matches kind rules (fail closed).
        var other = engine.Evaluate("EXECUTE wipe", new SqlSession());
        Assert.Equal(GuardrailOutcome.Block, other.Outcome);
        Assert.All(other.Matches, m => Assert.Equal(GuardrailMatchReason.UnknownStatement, m.Reason));
    }

    [Fact]
    public void Evaluate_ExecuteTexts_AreNeverCached()
    {
        var engine = Engine();
        var session = new SqlSession();
        engine.Evaluate("PREPARE s AS SELECT 1", session);
        Assert.Equal(GuardrailOutcome.None, engine.Evaluate("EXECUTE s", session).Outcome);
        engine.Evaluate("DEALLOCATE s", session);
        engine.Evaluate("PREPARE s AS DROP TABLE t", session);
        Assert.Equal(GuardrailOutcome.Block, engine.Evaluate("EXECUTE s", session).Outcome);
        Assert.Equal(0, engine.CachedTexts);
    }

    [Fact]
    public void Evaluate_RepeatedText_IsServedFromTheCache()
    {
        var engine = Engine();
        var first = engine.Evaluate("DROP TABLE t", new SqlSession());
        var second = engine.Evaluate(Encoding.UTF8.GetBytes("DROP TABLE t"), new SqlSession());
        Assert.Same(first, second);
        Assert.Same(GuardrailVerdict.Allow, engine.Evaluate("SELECT 1", new SqlSession()));
        Assert.Equal(2, engine.CachedTexts);
    }

    [Fact]
    public void Evaluate_CacheFull_StaysBounded()
    {
        var engine = GuardrailEngine.Compile([DestructiveDdl], new GuardrailEngineOptions { CacheCapacity = 10 });
        for (var i = 0; i < 100; i++)
        {
            engine.Evaluate($"SELECT {i}", new SqlSession());
        }

        Assert.InRange(engine.CachedTexts, 1, 10);
        Assert.Equal(GuardrailOutcome.Block, engine.Evaluate("DROP TABLE t", new SqlSession()).Outcome);
    }

    [Fact]
    public void EvaluateParse_NamedStatement_IsRememberedForSqlExecute()
    {
        var engine = Engine();
        var session = new SqlSession();
        var parse = engine.EvaluateParse("stmt1"u8, "TRUNCATE t"u8, session);
        Assert.Equal(GuardrailOutcome.Block, parse.Outcome);
        engine.EvaluateParse("stmt2"u8, "SELECT 1"u8, session);
        Assert.Equal(GuardrailOutcome.None, engine.Evaluate("EXECUTE stmt2", session).Outcome);
        Assert.Equal(GuardrailOutcome.Block, engine.Evaluate("EXECUTE stmt1", session).Outcome);
    }

    [Fact]
    public void Evaluate_ExecuteAfterAPolicyReload_RegexSeesThePreparedText()
    {
        var session = new SqlSession();
        GuardrailEngine.Compile([DestructiveDdl]).EvaluateParse("slow"u8, "SELECT pg_sleep(60)"u8, session);
        var reloaded = GuardrailEngine.Compile([NoSleep]);
        var verdict = reloaded.Evaluate("EXECUTE slow", session);
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Equal("SELECT pg_sleep(60)", Assert.Single(verdict.Matches).StatementText);
    }

    [Fact]
    public void EvaluateParse_Unnamed_IsNotRemembered()
    {
        var session = new SqlSession();
        Engine().EvaluateParse([], "SELECT 1"u8, session);
        Assert.Equal(0, session.PreparedCount);
    }

    [Theory]
    [InlineData("SELECT 'never closed; DROP TABLE t")]
    [InlineData("SELECT 1 /* DROP TABLE t")]
    public void Evaluate_Unterminated_FailsClosed(string sql)
    {
        var verdict = Evaluate(sql);
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Contains(verdict.Matches, m => m.Reason == GuardrailMatchReason.UnknownStatement);
    }

    [Fact]
    public void Evaluate_UnterminatedText_RegexStillSeesAllOfIt()
    {
        var engine = Engine(NoSleep);
        var verdict = engine.Evaluate("SELECT $$ x; SELECT pg_sleep(5)", new SqlSession());
        Assert.Equal("no-sleep", Assert.Single(verdict.Matches).RuleName);
    }

    [Fact]
    public void Evaluate_RegexTimeout_CountsAsAMatchAndIsReported()
    {
        var engine = GuardrailEngine.Compile(
            [new GuardrailRule { Name = "slow", Regex = @"^SELECT '(\w+\s?)+'$", Action = GuardrailAction.Block }],
            new GuardrailEngineOptions { RegexTimeout = TimeSpan.FromMilliseconds(1) });
        var verdict = engine.Evaluate("SELECT '" + new string('a', 64) + "!'", new SqlSession());
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Equal(GuardrailMatchReason.RegexTimeout, verdict.Matches[0].Reason);
        Assert.Equal(1, engine.RegexTimeouts);
    }

    [Fact]
    public void Compile_RuleWithoutCondition_IsRejected() =>
        Assert.Throws<ArgumentException>(() => GuardrailEngine.Compile([new GuardrailRule { Name = "empty", Action = GuardrailAction.Block }]));

    [Fact]
    public void Compile_InvalidRegex_IsRejected() =>
        Assert.Throws<RegexParseException>(() => GuardrailEngine.Compile([new GuardrailRule { Name = "bad", Regex = "(", Action = GuardrailAction.Block }]));
}
