using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Sql;

public class SqlClassifierTests
{
    private static IReadOnlyList<SqlStatement> Classify(string sql, SqlSession? session = null) =>
        SqlClassifier.Classify(sql, session).Statements;

    private static string[] Commands(string sql, SqlSession? session = null) => [.. Classify(sql, session).Select(s => s.Command)];

    [Theory]
    [InlineData("SELECT 1", "SELECT")]
    [InlineData("  /* x */ dRoP table t", "DROP TABLE")]
    [InlineData("-- comment\ntruncate t", "TRUNCATE")]
    [InlineData("insert into t values (1)", "INSERT")]
    [InlineData("CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE VIEW")]
    [InlineData("create unique index i on t (a)", "CREATE INDEX")]
    [InlineData("DROP FOREIGN DATA WRAPPER w", "DROP FOREIGN DATA WRAPPER")]
    [InlineData("ALTER TABLE t DROP COLUMN c", "ALTER TABLE")]
    [InlineData("GRANT SELECT ON t TO u", "GRANT")]
    [InlineData("begin", "BEGIN")]
    [InlineData("(SELECT 1) UNION (SELECT 2)", "SELECT")]
    [InlineData("VALUES (1)", "VALUES")]
    [InlineData("SET search_path = x", "SET")]
    [InlineData("show all", "SHOW")]
    [InlineData("FETCH 10 FROM c", "FETCH")]
    [InlineData("CALL p()", "CALL")]
    [InlineData("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", "MERGE")]
    public void Classify_LeadingKeywords_GiveTheCommand(string sql, string command)
    {
        var statement = Classify(sql)[0];
        Assert.Equal(command, statement.Command);
        Assert.Equal(0, statement.Depth);
    }

    [Theory]
    [InlineData("SELECT 'DROP TABLE t'")]
    [InlineData("SELECT 1 -- ; DROP TABLE t")]
    [InlineData("SELECT \"DROP\" FROM t")]
    [InlineData("SELECT $$; DROP TABLE t; $$")]
    [InlineData("SELECT /* ; DROP TABLE t; */ 1")]
    public void Classify_DropInsideStringsCommentsOrIdentifiers_IsNotADrop(string sql) =>
        Assert.DoesNotContain(Classify(sql), s => s.Kind == "DROP");

    [Theory]
    [InlineData("DO 'BEGIN EXECUTE ''DR\\117P TABLE t''; END'")]
    [InlineData("DO 'BEGIN PERFORM pg_\\163leep(2); END'")]
    [InlineData("DO $$BEGIN EXECUTE 'TRUNCAT\\105 t'; END$$")]
    public void Classify_SqlInAPlainStringWithABackslash_IsUnknown(string sql)
    {
        // With standard_conforming_strings off PostgreSQL reads '\117' as O: which SQL runs cannot be known.
        Assert.Contains(Classify(sql), s => s.IsUnknown);
    }

    [Theory]
    [InlineData("INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE SET v = 0", false)]
    [InlineData("WITH u AS (INSERT INTO t SELECT * FROM t ON CONFLICT ON CONSTRAINT t_pkey DO UPDATE SET v = NULL RETURNING 1) SELECT 1", false)]
    [InlineData("INSERT INTO t (SELECT * FROM t) ON CONFLICT (id) DO UPDATE SET v = 0 WHERE true", false)]
    [InlineData("INSERT INTO t SELECT * FROM s ON CONFLICT (id) DO UPDATE SET v = 0 WHERE t.id = 5 RETURNING *", true)]
    // The proposed row, excluded, is one value per conflict (probe AZ3).
    [InlineData("INSERT INTO t SELECT * FROM src ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE excluded.id > 0", false)]
    [InlineData("INSERT INTO t SELECT * FROM src ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE \"excluded\".v <> 'z'", false)]
    [InlineData("INSERT INTO t AS x SELECT * FROM src ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE x.v <> excluded.v", true)]
    [InlineData("INSERT INTO t AS x SELECT * FROM src ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE t.v <> 'z'", false)]
    [InlineData("INSERT INTO public.t SELECT * FROM src ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE t.v IS DISTINCT FROM excluded.v", true)]
    public void Classify_AnUpsertFromAQuery_IsAlsoAnUpdate_WithTheActionsWhere(string sql, bool hasWhere) =>
        Assert.Equal(hasWhere, Assert.Single(Classify(sql), s => s.Kind == "UPDATE").HasWhere);

    [Theory]
    [InlineData("INSERT INTO t VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v")]
    [InlineData("INSERT INTO t SELECT * FROM s ON CONFLICT DO NOTHING")]
    [InlineData("INSERT INTO t SELECT * FROM s")]
    public void Classify_AnUpsertOfListedValues_OrWithoutUpdate_IsNoUpdate(string sql) =>
        Assert.DoesNotContain(Classify(sql), s => s.Kind == "UPDATE");

    [Theory]
    [InlineData("1;")]
    [InlineData("1\t2\t2020-01-01\tx")]
    [InlineData("'DROP TABLE t'")]
    [InlineData("$$DROP TABLE t$$")]
    [InlineData("-1")]
    [InlineData("(1)")]
    [InlineData("$1")]
    public void Classify_AStatementStartingWithALiteralOrAnOperator_IsInvalid_NotUnknown(string sql)
    {
        var statement = Assert.Single(Classify(sql));
        Assert.Equal("INVALID", statement.Kind);
        Assert.False(statement.IsUnknown);
    }

    [Theory]
    [InlineData("1; DROP TABLE t")]
    [InlineData("DO $$BEGIN 1; DROP TABLE t; END$$")]
    public void Classify_AnInvalidStatement_HidesNothingAfterOrAroundIt(string sql) =>
        Assert.Contains(Classify(sql), s => s.Kind == "DROP" || s.IsUnknown);

    [Fact]
    public void Classify_QuotedIdentifierFirst_IsUnknownNotDrop()
    {
        var statement = Assert.Single(Classify("\"DROP\" TABLE t"));
        Assert.True(statement.IsUnknown);
    }

    [Theory]
    [InlineData("DELETE FROM t WHERE id = 1", true)]
    [InlineData("DELETE FROM t", false)]
    [InlineData("delete from t where current of c", true)]
    [InlineData("UPDATE t SET a = 1 FROM u WHERE t.id = u.id", true)]
    [InlineData("UPDATE t SET a = (SELECT b FROM u WHERE u.id = 1)", false)]
    [InlineData("DELETE FROM t -- WHERE id = 1", false)]
    [InlineData("DELETE FROM t /* WHERE id = 1 */", false)]
    [InlineData("UPDATE t SET note = 'WHERE'", false)]
    [InlineData("UPDATE t SET \"where\" = 1", false)]
    [InlineData("DELETE FROM t USING u WHERE t.a = u.a", true)]
    public void Classify_Where_OnlyCountsAtTheStatementsOwnLevel(string sql, bool hasWhere) =>
        Assert.Equal(hasWhere, Classify(sql)[0].HasWhere);

    [Theory]
    [InlineData("DELETE FROM t WHERE true")]
    [InlineData("DELETE FROM t WHERE 1 = 1")]
    [InlineData("delete from t where 'a' = 'a' returning *")]
    [InlineData("DELETE FROM t WHERE NOT false")]
    [InlineData("DELETE FROM t WHERE $1")]
    [InlineData("DELETE FROM t WHERE 1::boolean")]
    [InlineData("DELETE FROM t WHERE CAST('t' AS bool)")]
    [InlineData("DELETE FROM t WHERE id = 5 OR 1 = 1")]
    [InlineData("DELETE FROM t WHERE (id = 5 OR (true))")]
    [InlineData("UPDATE t SET a = 1 WHERE null IS NULL")]
    [InlineData("UPDATE t SET a = 1 WHERE 2 > 1 AND 'x' LIKE '%'")]
    [InlineData("UPDATE t SET a = 1 WHERE 1 IN (1, 2)")]
    [InlineData("DELETE FROM t WHERE (id = 5 OR true) AND true")]
    [InlineData("DELETE FROM t WHERE 1 BETWEEN 0 AND 2")]
    [InlineData("DELETE FROM t WHERE id = 5 OR 1 BETWEEN 0 AND 2")]
    [InlineData("DELETE FROM t WHERE 1 = 0")]
    [InlineData("DELETE FROM t WHERE now() IS NOT NULL")]
    [InlineData("DELETE FROM t WHERE length(md5('x')) > 3")]
    [InlineData("DELETE FROM t WHERE id = id")]
    [InlineData("DELETE FROM t WHERE t.id >= t.id")]
    [InlineData("UPDATE t SET a = 1 WHERE \"Id\" <= \"Id\"")]
    [InlineData("DELETE FROM t WHERE note IS NOT DISTINCT FROM note")]
    [InlineData("DELETE FROM t WHERE id = 5 OR id = id")]
    [InlineData("DELETE FROM t WHERE (SELECT true)")]
    [InlineData("DELETE FROM t WHERE EXISTS (SELECT 1)")]
    [InlineData("UPDATE t SET a = 1 WHERE (VALUES (true))")]
    [InlineData("DELETE FROM t WHERE true = ANY (SELECT true)")]
    [InlineData("DELETE FROM t WHERE (SELECT 1) = 1")]
    [InlineData("DELETE FROM t WHERE NOT (id = 5 AND false)")]
    [InlineData("DELETE FROM t WHERE NOT (id = id + 1 AND 'a' = 'b')")]
    [InlineData("DELETE FROM t WHERE NOT NOT true")]
    [InlineData("UPDATE t SET a = 1 WHERE current_date IS NOT NULL")]
    [InlineData("UPDATE t SET a = 1 WHERE current_user <> ''")]
    [InlineData("UPDATE t SET a = 1 WHERE user = 'demo_reader'")]
    [InlineData("UPDATE t SET a = 1 WHERE date '2020-01-01' < now()")]
    [InlineData("UPDATE t SET a = 1 WHERE interval '1 day' > interval '0'")]
    [InlineData("UPDATE t SET a = 1 WHERE \"id\" = id")]
    [InlineData("UPDATE t SET a = 1 WHERE t.id = id")]
    [InlineData("UPDATE t SET a = 1 WHERE id = public.t.id")]
    [InlineData("UPDATE t SET a = 1 WHERE lower(note) = LOWER(\"note\")")]
    [InlineData("DELETE FROM t WHERE NOT (id <> id)")]
    [InlineData("DELETE FROM t WHERE NOT (id IS DISTINCT FROM id)")]
    [InlineData("DELETE FROM t WHERE coalesce(id, 0) = coalesce(id, 0)")]
    [InlineData("DELETE FROM t WHERE id + 1 = id + 1")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders)")]
    [InlineData("DELETE FROM customers WHERE (SELECT count(*) FROM orders) > 0")]
    [InlineData("DELETE FROM customers WHERE (SELECT true FROM public.orders LIMIT 1)")]
    [InlineData("DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.t = 1)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM customers c2 WHERE c2.id = 1)")]
    [InlineData("DELETE FROM customers WHERE id = 5 OR EXISTS (SELECT 1 FROM orders o JOIN items i ON i.order_id = o.id)")]
    [InlineData("DELETE FROM customers USING orders o WHERE o.id = 1")]
    [InlineData("DELETE FROM customers USING orders AS o JOIN items i ON i.order_id = o.id WHERE i.sku = 'x'")]
    [InlineData("UPDATE customers SET city = 'x' FROM orders o WHERE o.total > 100")]
    [InlineData("UPDATE customers SET city = 'x' FROM orders WHERE orders.total > 100 AND EXISTS (SELECT 1 FROM items i WHERE i.order_id = orders.id)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (TABLE orders)")]
    [InlineData("UPDATE customers SET city = 'x' WHERE EXISTS (TABLE public.orders)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE o.id = 1 FOR NO KEY UPDATE OF o SKIP LOCKED)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders AS o(a, b) WHERE o.a = 1)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM generate_series(1, 3) AS g(n) WHERE g.n = 2)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WINDOW w AS (PARTITION BY o.id))")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o TABLESAMPLE SYSTEM (50))")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE o.note COLLATE \"C\" = 'x')")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o JOIN orders p USING (id))")]
    [InlineData("DELETE FROM customers USING orders WHERE public.orders.id = 1")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders WHERE demo.public.orders.id = 1)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE EXISTS (SELECT 1 FROM customers WHERE customers.id = o.id))")]
    [InlineData("DELETE FROM orders WHERE EXISTS (SELECT 1 FROM (customers CROSS JOIN orders))")]
    [InlineData("DELETE FROM orders WHERE EXISTS (SELECT 1 FROM (customers JOIN orders USING (id)) AS j)")]
    [InlineData("DELETE FROM orders WHERE EXISTS (SELECT 1 FROM customers JOIN orders USING (id) AS j WHERE j.id = 1)")]
    [InlineData("DELETE FROM customers USING (orders o JOIN customers c2 ON o.customer_id = c2.id) WHERE c2.id = 5")]
    [InlineData("DELETE FROM orders WHERE EXISTS (WITH t AS (SELECT 1) TABLE t)")]
    [InlineData("DELETE FROM orders WHERE EXISTS (WITH t AS MATERIALIZED (TABLE orders) SELECT 1 FROM t)")]
    [InlineData("DELETE FROM customers WHERE 'a' COLLATE \"C\" = 'a'")]
    [InlineData("UPDATE customers SET city = 'x' WHERE $1 COLLATE \"C\" IS NOT NULL")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o ORDER BY o.id NULLS FIRST FETCH FIRST 1 ROWS WITH TIES)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT count(*) OVER (PARTITION BY o.id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM orders o)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (WITH t(a) AS (SELECT 1) TABLE t)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + 1 FROM r WHERE r.n < 3) SELECT r.n FROM r)")]
    [InlineData("DELETE FROM customers USING orders o JOIN orders p USING (id) AS j WHERE j.id = 4001")]
    [InlineData("DELETE FROM customers WHERE EXISTS (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + 1 FROM r WHERE r.n < 3) SEARCH DEPTH FIRST BY n SET ord TABLE r)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + 1 FROM r WHERE r.n < 3) CYCLE n SET c USING p SELECT r.n FROM r)")]
    [InlineData("DELETE FROM customers WHERE 'a' COLLATE pg_catalog.\"C\" = 'a'")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE o.note COLLATE pg_catalog.\"C\" = 'x')")]
    [InlineData("DELETE FROM orders WHERE extract(year FROM now()) > 2000")]
    [InlineData("DELETE FROM orders WHERE EXTRACT(epoch FROM current_timestamp) > 0")]
    [InlineData("DELETE FROM orders WHERE now() AT TIME ZONE 'UTC' > '2000-01-01'")]
    [InlineData("DELETE FROM orders WHERE now() AT LOCAL IS NOT NULL")]
    [InlineData("DELETE FROM orders WHERE now() > '2000-01-01'::timestamp with time zone")]
    [InlineData("DELETE FROM orders WHERE now() > CAST('2000-01-01' AS timestamp without time zone)")]
    [InlineData("DELETE FROM orders WHERE now() - interval '1' day < now()")]
    [InlineData("DELETE FROM orders WHERE interval '1-2' year to month > interval '1 month'")]
    [InlineData("DELETE FROM orders WHERE trim(both 'x' FROM 'xax') = 'a'")]
    [InlineData("DELETE FROM orders WHERE substring('abc' FROM 1 FOR 2) = 'ab'")]
    [InlineData("DELETE FROM orders WHERE overlay('abc' PLACING 'x' FROM 1 FOR 1) <> ''")]
    [InlineData("DELETE FROM orders WHERE 'a' IS NFC NORMALIZED")]
    [InlineData("DELETE FROM orders WHERE 'a' IS NOT NORMALIZED")]
    [InlineData("DELETE FROM orders WHERE normalize('a', NFKC) = 'a'")]
    [InlineData("UPDATE orders SET note = 'x' WHERE '{}' IS JSON OBJECT WITH UNIQUE KEYS")]
    [InlineData("UPDATE orders SET note = 'x' WHERE '<a/>'::xml IS DOCUMENT")]
    // A truth test of such a condition is that condition (probe AC1).
    [InlineData("DELETE FROM t WHERE (id = 5 OR true) IS TRUE")]
    [InlineData("DELETE FROM t WHERE (id = id) IS TRUE")]
    [InlineData("DELETE FROM t WHERE (id = id) = true")]
    [InlineData("DELETE FROM t WHERE true = (id = id)")]
    [InlineData("DELETE FROM t WHERE id = id IS NOT FALSE")]
    [InlineData("DELETE FROM t WHERE (id <> id) IS FALSE")]
    [InlineData("DELETE FROM t WHERE (id <> id) IS NOT TRUE")]
    [InlineData("DELETE FROM t WHERE (id <> id) = false")]
    [InlineData("DELETE FROM t WHERE (id = id) <> false")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id = id THEN true END")]
    [InlineData("DELETE FROM t WHERE CASE WHEN (id = 5 OR true) THEN TRUE ELSE FALSE END")]
    [InlineData("UPDATE t SET a = 1 WHERE (id = id) IS TRUE")]
    // One expression on both sides, whatever parentheses, casts or collations say (probe AC2).
    [InlineData("DELETE FROM t WHERE id = (id)")]
    [InlineData("DELETE FROM t WHERE v IS NOT DISTINCT FROM (v)")]
    [InlineData("DELETE FROM t WHERE lower(v) = lower((v))")]
    [InlineData("DELETE FROM t WHERE lower(v) = pg_catalog.lower(v)")]
    [InlineData("DELETE FROM t WHERE coalesce(id, 0) = coalesce((id), 0)")]
    [InlineData("DELETE FROM t WHERE id = id::int")]
    [InlineData("DELETE FROM t WHERE id::bigint = id::double precision")]
    [InlineData("DELETE FROM t WHERE v = v COLLATE \"C\"")]
    [InlineData("DELETE FROM t WHERE +id = id")]
    [InlineData("DELETE FROM t WHERE NOT (id < id)")]
    [InlineData("DELETE FROM t WHERE NOT (id > id)")]
    // However the cast or the truth value is written (probes AD1, AD2, AD3).
    [InlineData("UPDATE t SET n = 42 WHERE id = CAST(id AS int)")]
    [InlineData("DELETE FROM t WHERE lower(v) = lower(CAST(v AS text))")]
    [InlineData("DELETE FROM t WHERE NOT (id < CAST(id AS int))")]
    [InlineData("DELETE FROM t WHERE id = int4(id)")]
    [InlineData("DELETE FROM t WHERE id = pg_catalog.int4(id)")]
    [InlineData("DELETE FROM t WHERE id OPERATOR(pg_catalog.=) id")]
    [InlineData("DELETE FROM t WHERE id OPERATOR(=) id")]
    [InlineData("UPDATE t SET n = 44 WHERE (id = 5 OR true) = (true)")]
    [InlineData("DELETE FROM t WHERE (id = id) <> (false)")]
    [InlineData("DELETE FROM t WHERE (id = id) = 't'")]
    [InlineData("DELETE FROM t WHERE (id <> id) <> 'yes'")]
    [InlineData("DELETE FROM t WHERE (id = id) = 'true'::bool")]
    [InlineData("DELETE FROM t WHERE (id = id) = TRUE::boolean")]
    [InlineData("DELETE FROM t WHERE (id = id) = NOT false")]
    [InlineData("DELETE FROM t WHERE false <> (id = id)")]
    [InlineData("DELETE FROM t WHERE (id = id) IS NOT DISTINCT FROM true")]
    [InlineData("DELETE FROM t WHERE (id <> id) IS DISTINCT FROM true")]
    [InlineData("DELETE FROM t WHERE (id = id)::bool")]
    [InlineData("DELETE FROM t WHERE CAST(id = id AS boolean)")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id = id THEN 't'::bool END")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id <> id THEN false ELSE true END")]
    [InlineData("DELETE FROM t WHERE CASE (id = id) WHEN true THEN true END")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id = 5 THEN true ELSE true END")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id = id THEN true END = true")]
    // Probes AG2, AG3.
    [InlineData("UPDATE t SET a = 1 WHERE pg_catalog.now() IS NOT NULL")]
    [InlineData("DELETE FROM t WHERE id = 5 OR pg_catalog.now() IS NOT NULL")]
    [InlineData("DELETE FROM t WHERE pg_catalog.lower('a') = 'a'")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id = 5 AND false THEN false ELSE true END")]
    [InlineData("DELETE FROM t WHERE (id = 5 OR true) = 1::bool")]
    [InlineData("DELETE FROM t WHERE bool(id = 5 OR true)")]
    [InlineData("DELETE FROM t WHERE NOT (id OPERATOR(pg_catalog.<) id)")]
    // The target qualified under its alias or its table's name is still the target (probe AK1's counterpart).
    [InlineData("DELETE FROM t AS x WHERE x.id = id")]
    [InlineData("UPDATE public.t SET a = 1 WHERE id = t.id")]
    // Both sides qualified, one with its schema or catalog too (probe AP1).
    [InlineData("DELETE FROM t1 WHERE t1.id = public.t1.id")]
    [InlineData("DELETE FROM public.t1 WHERE demo.public.t1.id = t1.id")]
    [InlineData("UPDATE t1 SET v = NULL WHERE public.t1.id = \"t1\".\"id\"")]
    // The target qualified inside an expression (probe AS2).
    [InlineData("DELETE FROM t1 WHERE coalesce(t1.id, 0) = coalesce(id, 0)")]
    [InlineData("DELETE FROM t1 WHERE (t1.id, 1) = (id, 1)")]
    [InlineData("DELETE FROM t1 WHERE ROW(t1.id) = ROW(id)")]
    [InlineData("UPDATE t1 SET v = NULL WHERE lower(public.t1.v) = lower(v)")]
    [InlineData("DELETE FROM t1 WHERE ARRAY[t1.id] = ARRAY[id]")]
    [InlineData("DELETE FROM t1 WHERE t1.id + 0 = id + 0")]
    [InlineData("DELETE FROM t1 AS x WHERE -x.id = -id")]
    // A field of the target's row, and a comparison of comparisons (probes AV1, AV2).
    [InlineData("UPDATE t1 SET v = NULL WHERE ((t1).id) + 0 = id + 0")]
    [InlineData("DELETE FROM t1 WHERE -(t1).id = -id")]
    [InlineData("DELETE FROM t1 WHERE (id = id) = (id = id)")]
    [InlineData("DELETE FROM t1 WHERE (t1.id = id) IS NOT DISTINCT FROM (t1.id = id)")]
    // A rule's NEW and OLD are the row that fired it: constants to the target (probe AM1).
    [InlineData("DELETE FROM t WHERE NEW.id > 0")]
    [InlineData("UPDATE t SET a = 1 WHERE old.id IS NOT NULL AND new.id = 3")]
    [InlineData("DELETE FROM t WHERE OLD.id = OLD.id")]
    public void Classify_WhereOfConstantsOnly_CountsAsMissing(string sql) =>
        Assert.False(Classify(sql)[0].HasWhere);

    /// <summary>
    /// A rule's action runs at every INSERT into its table: one that names only the firing row in
    /// its WHERE writes every row of its target (probe AM1: an INSERT emptied another table), and
    /// one in a loop bounded by the loop's record writes one row at a time (probe AK1).
    /// </summary>
    [Theory]
    [InlineData("CREATE RULE r2 AS ON INSERT TO t2 DO ALSO DELETE FROM t WHERE NEW.id > 0", false)]
    [InlineData("CREATE RULE r2 AS ON INSERT TO t2 DO ALSO DELETE FROM t WHERE t.id = NEW.id", true)]
    [InlineData("CREATE RULE r2 AS ON INSERT TO t2 DO ALSO DELETE FROM t1 WHERE t1.id = public.t1.id", false)]
    // NEW and OLD in other spellings, and other names than the target's (probes AZ1, AZ2).
    [InlineData("CREATE RULE r2 AS ON INSERT TO t2 DO ALSO DELETE FROM t WHERE (new).id > 0", false)]
    [InlineData("CREATE RULE r2 AS ON INSERT TO t2 DO ALSO DELETE FROM t WHERE new IS NOT NULL", false)]
    [InlineData("CREATE RULE r2 AS ON INSERT TO t2 DO ALSO DELETE FROM t WHERE ROW(new.*) IS NOT NULL", false)]
    [InlineData("CREATE RULE r2 AS ON INSERT TO t2 DO ALSO DELETE FROM t WHERE new::text <> ''", false)]
    [InlineData("CREATE RULE r2 AS ON INSERT TO t2 DO ALSO DELETE FROM t WHERE (new.*).id > 0", false)]
    [InlineData("CREATE RULE r2 AS ON UPDATE TO t2 DO ALSO UPDATE t SET v = 1 WHERE old.* IS NOT NULL", false)]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT 1 AS id LOOP DELETE FROM t WHERE r.id > 0; END LOOP; END $$", false)]
    [InlineData("DO $$ <<b>> DECLARE n int := 1; BEGIN DELETE FROM t WHERE b.n > 0; END $$", false)]
    [InlineData("CREATE RULE r2 AS ON INSERT TO t2 DO ALSO DELETE FROM t WHERE (t).id = new.id", true)]
    // A label, an alias or a variable spelled like the target may be what t.id means (probe BA1).
    [InlineData("DO $$#variable_conflict use_variable\n<<t>> DECLARE id int := 1; BEGIN DELETE FROM t WHERE t.id > 0; END $$", false)]
    [InlineData("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE t ALIAS FOR NEW; BEGIN DELETE FROM pz.t WHERE t.id > 0; RETURN NEW; END $$", false)]
    [InlineData("DO $$ DECLARE x int := 1; t record; BEGIN UPDATE t SET v = 'x' WHERE t.v IS NOT NULL; END $$", false)]
    [InlineData("DO $$ DECLARE n int := 1; BEGIN DELETE FROM t WHERE t.id = n; END $$", true)]
    // A routine's name and parameters; an aliased target's own name (probes BB1, BB2).
    [InlineData("CREATE FUNCTION f(t pz.t) RETURNS void LANGUAGE sql AS $$ DELETE FROM pz.t x WHERE t.id > 0 $$", false)]
    [InlineData("CREATE FUNCTION t(id int) RETURNS void LANGUAGE plpgsql AS $$#variable_conflict use_variable\nBEGIN DELETE FROM pz.t WHERE t.id > 0; END $$", false)]
    [InlineData("CREATE PROCEDURE p(INOUT n int) LANGUAGE sql BEGIN ATOMIC DELETE FROM pz.t WHERE p.n > 0; END", false)]
    [InlineData("CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM pz.new AS x WHERE new.id > 0; RETURN NEW; END $$", false)]
    [InlineData("CREATE FUNCTION del_one(p_id int) RETURNS void LANGUAGE sql AS $$ DELETE FROM pz.t WHERE id = p_id $$", true)]
    [InlineData("CREATE FUNCTION f(k pz.t) RETURNS void LANGUAGE sql AS $$ DELETE FROM pz.t x WHERE x.id = k.id $$", true)]
    // A parameter or variable written bare (probe BB4).
    [InlineData("CREATE FUNCTION f(k int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN DELETE FROM pz.t WHERE k > 0; END $$", false)]
    [InlineData("DO $$ DECLARE n int := 1; BEGIN UPDATE t SET v = 'x' WHERE n = 1; END $$", false)]
    // A begin in a default's parentheses, PL/pgSQL's own variables, a parameter's type, a SQL function's output columns (probes BC1-BC4).
    [InlineData("DO $$DECLARE x int := (SELECT 1 AS begin); k int := 1; BEGIN DELETE FROM pz.t WHERE k > 0; END $$", false)]
    [InlineData("DO $$ BEGIN PERFORM 1; DELETE FROM pz.t WHERE found; END $$", false)]
    [InlineData("CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM pz.t WHERE tg_op = 'INSERT'; RETURN NEW; END $$", false)]
    [InlineData("CREATE FUNCTION f(r pz.t) RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE pz.t SET v = 'fix' WHERE t.id = r.id; END $$", true)]
    [InlineData("CREATE FUNCTION f(p_id int) RETURNS TABLE (id int, v text) LANGUAGE sql AS $$ DELETE FROM pz.t WHERE id = p_id RETURNING id, v $$", true)]
    [InlineData("CREATE FUNCTION f(p_id int) RETURNS TABLE (k int) LANGUAGE plpgsql AS $$ BEGIN DELETE FROM pz.t WHERE k > 0; END $$", false)]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT id FROM t WHERE org = 1 LOOP UPDATE t SET score = score + 1 WHERE id = r.id; END LOOP; END $$", true)]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT id FROM t LOOP UPDATE t SET score = 1 WHERE id = t.id; END LOOP; END $$", false)]
    public void Classify_AWriteInARuleOrALoop_IsJudgedByWhatItsWhereNames(string sql, bool hasWhere) =>
        Assert.Equal(hasWhere, Classify(sql).Single(s => s.Kind is "DELETE" or "UPDATE").HasWhere);

    /// <summary>Read in one pass: a scan to the matching parenthesis per '(' took 25 s for this 80 KB statement.</summary>
    [Fact]
    public void Classify_DeeplyNestedParenthesesInASubquery_AreJudged() =>
        Assert.False(Classify("DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE " + new string('(', 40_000) + "true" + new string(')', 40_000) + ")")[0].HasWhere);

    [Theory]
    [InlineData("DELETE FROM t WHERE id = 5 AND true")]
    [InlineData("DELETE FROM t WHERE (id = 5) OR (id = 6)")]
    [InlineData("DELETE FROM t WHERE id::text = '5'")]
    [InlineData("DELETE FROM t WHERE \"id\" = 1")]
    [InlineData("DELETE FROM t WHERE created < now() - interval '1 day'")]
    [InlineData("UPDATE t SET a = 1 WHERE id = $1 RETURNING true")]
    [InlineData("DELETE FROM t WHERE id = 5 OR false")]
    [InlineData("DELETE FROM t WHERE false")]
    [InlineData("DELETE FROM t WHERE id = 5 OR 'a' = 'b'")]
    [InlineData("DELETE FROM t WHERE id BETWEEN 1 AND 5")]
    [InlineData("DELETE FROM t WHERE true AND id = 5")]
    [InlineData("DELETE FROM t WHERE id = id + 0")]
    [InlineData("DELETE FROM t WHERE id <> id")]
    [InlineData("DELETE FROM t USING a WHERE t.id = a.id")] // two columns, not one with itself (a.id = b.id names neither the target: AZ2)
    [InlineData("DELETE FROM t WHERE \"id\" = \"ID\"")]
    [InlineData("DELETE FROM t WHERE lower(note) = 'x'")]
    [InlineData("DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id)")]
    [InlineData("DELETE FROM t WHERE id IN (SELECT(id) FROM u)")]
    [InlineData("DELETE FROM t WHERE NOT true")]
    [InlineData("DELETE FROM t WHERE NOT (id = id)")]
    [InlineData("DELETE FROM t WHERE NOT (id = 5 OR true)")]
    [InlineData("DELETE FROM t WHERE NOT id = 5")]
    [InlineData("DELETE FROM t USING u WHERE t.id = u.id")]
    [InlineData("DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE x = 1)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM customers c2 WHERE c2.id = customers.id)")]
    [InlineData("DELETE FROM orders WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = customer_id)")]
    [InlineData("DELETE FROM orders WHERE (SELECT count(*) FROM items i WHERE i.order_id = id) > 2")]
    [InlineData("DELETE FROM customers c USING orders o WHERE o.customer_id = c.id")]
    [InlineData("DELETE FROM customers USING orders o WHERE o.id = 1 AND city = 'x'")]
    [InlineData("UPDATE orders SET total = 0 FROM customers c WHERE c.id = orders.customer_id")]
    [InlineData("UPDATE t SET a = 1 FROM u WHERE t.id = u.id")]
    [InlineData("DELETE FROM t WHERE created < date '2020-01-01'")]
    [InlineData("DELETE FROM t WHERE owner = current_user")]
    [InlineData("DELETE FROM t WHERE coalesce(id, 0) = coalesce(other, 0)")]
    [InlineData("DELETE FROM t WHERE coalesce(id, 0) = coalesce(id, 1)")]
    [InlineData("UPDATE orders SET status = 'x' WHERE round(total, 0) = round(total, 2)")]
    [InlineData("DELETE FROM t WHERE id + 1 = id + 2")]
    [InlineData("DELETE FROM t WHERE (id = 5) IS TRUE")]
    [InlineData("DELETE FROM t WHERE (id = id) IS FALSE")]
    [InlineData("DELETE FROM t WHERE (id = 5) = true")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id = 5 THEN true END")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id = id THEN false ELSE true END")]
    [InlineData("DELETE FROM t WHERE id < id")]
    [InlineData("DELETE FROM t WHERE NOT (doc->'a' < doc)")]
    [InlineData("DELETE FROM t WHERE id::text = id::text || 'x'")]
    [InlineData("DELETE FROM t WHERE (status = 'a') IS TRUE")]
    [InlineData("DELETE FROM t WHERE id BETWEEN 1 AND 5 AND true")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id = 5 AND true THEN true END")]
    [InlineData("DELETE FROM t WHERE created > pg_catalog.now() - interval '1 day'")]
    [InlineData("DELETE FROM t WHERE active = 't'")]
    [InlineData("DELETE FROM t WHERE CASE WHEN id = 5 THEN true ELSE false END")]
    [InlineData("DELETE FROM t WHERE (id = $1) = true")]
    [InlineData("DELETE FROM t WHERE id = CAST($1 AS int)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = customers.id AND EXISTS (SELECT 1 FROM customers WHERE customers.id = 1))")]
    [InlineData("DELETE FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.id IN (SELECT c.id FROM orders c))")]
    [InlineData("UPDATE customers SET city = 'x' WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = customers.id AND NOT EXISTS (SELECT 1 FROM customers WHERE customers.id = o.id))")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE EXISTS (SELECT 1 FROM items i WHERE i.order_id = o.id AND i.customer_id = customers.id))")]
    [InlineData("DELETE FROM customers USING orders WHERE public.customers.id = orders.customer_id")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM generate_series(1, customers.id) AS g(n))")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id IS NOT DISTINCT FROM customers.id)")]
    [InlineData("DELETE FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE o.note = substring(customers.city FROM 2))")]
    [InlineData("DELETE FROM settings WHERE EXISTS (SELECT 1 FROM defaults d WHERE d.key = key)")]
    [InlineData("DELETE FROM people WHERE EXISTS (SELECT 1 FROM banned b WHERE b.name = first)")]
    [InlineData("DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = system)")]
    [InlineData("DELETE FROM t WHERE day = 3")]
    [InlineData("DELETE FROM t WHERE zone = 'x' AND at = 1")]
    [InlineData("DELETE FROM t WHERE normalized OR document")]
    [InlineData("DELETE FROM t WHERE extract(year FROM placed_at) = 2020")]
    [InlineData("DELETE FROM t WHERE placed_at AT TIME ZONE 'UTC' < now()")]
    [InlineData("DELETE FROM t WHERE now() - interval '1' day < placed_at")]
    [InlineData("DELETE FROM t WHERE note IS NFC NORMALIZED")]
    [InlineData("DELETE FROM t WHERE time < now() AND json")]
    // Another name's column is no self-comparison: a loop's record, a rule's NEW (probe AK1).
    [InlineData("UPDATE t SET a = 1 WHERE id = r.id")]
    [InlineData("UPDATE t AS u SET a = 1 WHERE u.id = r.id")]
    [InlineData("DELETE FROM t WHERE id = NEW.id")]
    [InlineData("DELETE FROM t new WHERE new.id > 0")]
    [InlineData("UPDATE t SET a = 1 WHERE coalesce(id, 0) = coalesce(r.id, 0)")]
    [InlineData("UPDATE t SET a = 1 WHERE (id = 5) = (v = 5)")]
    [InlineData("UPDATE t SET a = 1 WHERE (r).id = id")]
    public void Classify_WhereThatCanLimitRows_CountsAsLimiting(string sql) =>
        Assert.True(Classify(sql)[0].HasWhere);

    /// <summary>
    /// A column's type changed converts every row: with USING to its expression (USING NULL wipes
    /// it), without by the assignment cast (numeric(10,0) rounds, date drops the time: probe AM).
    /// </summary>
    [Theory]
    [InlineData("ALTER TABLE orders ALTER COLUMN note TYPE text USING NULL", "ALTER COLUMN TYPE USING")]
    [InlineData("alter table only orders alter note set data type varchar(10) using left(note, 1), add column x int", "ALTER COLUMN TYPE USING")]
    [InlineData("ALTER FOREIGN TABLE f ALTER COLUMN c TYPE int USING 0", "ALTER COLUMN TYPE USING")]
    [InlineData("ALTER TABLE orders ALTER COLUMN total TYPE numeric(10,0)", "ALTER COLUMN TYPE")]
    [InlineData("ALTER TABLE orders ALTER placed_at SET DATA TYPE date", "ALTER COLUMN TYPE")]
    [InlineData("ALTER TABLE orders ADD COLUMN x int, ALTER COLUMN \"type\" TYPE text", "ALTER COLUMN TYPE")]
    [InlineData("ALTER TABLE orders ALTER COLUMN type TYPE text", "ALTER COLUMN TYPE")]
    public void Classify_AColumnTypeChange_IsAlsoAnUpdateWithoutWhere(string sql, string command)
    {
        var update = Assert.Single(Classify(sql), s => s.Kind == "UPDATE");
        Assert.False(update.HasWhere);
        Assert.Equal(command, update.Command);
    }

    [Theory]
    [InlineData("ALTER TABLE orders ALTER COLUMN type SET NOT NULL")]
    [InlineData("ALTER TABLE orders ALTER COLUMN note SET DEFAULT 'type'")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_idx")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (c WITH &&)")]
    [InlineData("ALTER TYPE mood ADD VALUE 'meh'")]
    public void Classify_AlterWithoutAUsingRewrite_IsNoUpdate(string sql) =>
        Assert.DoesNotContain(Classify(sql), s => s.Kind == "UPDATE");

    [Fact]
    public void Classify_MultiStatement_ClassifiesEach()
    {
        var statements = Classify("SELECT 1; DROP TABLE t; DELETE FROM u");
        Assert.Equal(["SELECT", "DROP TABLE", "DELETE"], statements.Select(s => s.Command));
        Assert.Equal([0, 1, 2], statements.Select(s => s.TopLevelIndex));
    }

    [Theory]
    [InlineData("EXPLAIN ANALYZE DELETE FROM t")]
    [InlineData("explain analyse verbose DELETE FROM t")]
    [InlineData("EXPLAIN (ANALYZE) DELETE FROM t")]
    [InlineData("EXPLAIN (FORMAT JSON, ANALYZE true, BUFFERS) DELETE FROM t")]
    [InlineData("EXPLAIN (ANALYZE on) DELETE FROM t")]
    public void Classify_ExplainAnalyze_ClassifiesTheStatementItRuns(string sql)
    {
        var statements = Classify(sql);
        Assert.Equal("EXPLAIN ANALYZE", statements[0].Command);
        var inner = Assert.Single(statements, s => s.Kind == "DELETE");
        Assert.Equal(SqlStatementOrigin.ExplainAnalyze, inner.Origin);
        Assert.False(inner.HasWhere);
    }

    [Theory]
    [InlineData("EXPLAIN DELETE FROM t")]
    [InlineData("EXPLAIN VERBOSE DELETE FROM t")]
    [InlineData("EXPLAIN (ANALYZE false) DELETE FROM t")]
    [InlineData("EXPLAIN (ANALYZE off, COSTS on) DELETE FROM t")]
    public void Classify_ExplainWithoutAnalyze_DoesNotRunTheStatement(string sql)
    {
        var statement = Assert.Single(Classify(sql));
        Assert.Equal("EXPLAIN", statement.Command);
    }

    /// <summary>COPY … FROM inserts rows: it is an INSERT too, for the rules on INSERT (probe AC4).</summary>
    [Theory]
    [InlineData("COPY app.items FROM STDIN", true)]
    [InlineData("copy items (id, name) from stdin with (format csv)", true)]
    [InlineData("COPY items TO STDOUT", false)]
    [InlineData("COPY (SELECT 1) TO STDOUT", false)]
    public void Classify_CopyFrom_IsAnInsertToo(string sql, bool inserts) =>
        Assert.Equal(inserts, Classify(sql).Any(s => s.Kind == "INSERT" && s.Command == "COPY FROM"));

    /// <summary>A schema's elements are statements of their own (probe AC3: a rule on GRANT missed the GRANT in one).</summary>
    [Theory]
    [InlineData("CREATE SCHEMA s2 CREATE TABLE t (id int, CHECK (id > 0)) GRANT SELECT ON t TO PUBLIC", new[] { "CREATE SCHEMA", "CREATE TABLE", "GRANT" })]
    [InlineData("create schema if not exists s authorization r create view v as select 1 create index i on t (a)", new[] { "CREATE SCHEMA", "CREATE VIEW", "CREATE INDEX" })]
    [InlineData("CREATE SCHEMA s", new[] { "CREATE SCHEMA" })]
    [InlineData("CREATE SCHEMA s CREATE TABLE t (id int) GRANT SELECT ON t TO r WITH GRANT OPTION", new[] { "CREATE SCHEMA", "CREATE TABLE", "GRANT" })]
    public void Classify_CreateSchema_JudgesEachElement(string sql, string[] commands) =>
        Assert.Equal(commands, Commands(sql));

    [Fact]
    public void Classify_Prepare_ClassifiesItsStatementAndRemembersIt()
    {
        var session = new SqlSession();
        var statements = Classify("PREPARE wipe (int) AS DELETE FROM t", session);
        Assert.Equal(["PREPARE", "DELETE"], statements.Select(s => s.Command));
        Assert.Equal(SqlStatementOrigin.Prepare, statements[1].Origin);

        var executed = Classify("EXECUTE wipe(1)", session);
        Assert.Equal(["EXECUTE", "DELETE"], executed.Select(s => s.Command));
        Assert.Equal(SqlStatementOrigin.Execute, executed[1].Origin);
    }

    [Theory]
    [InlineData("PREPARE TRANSACTION 'xa-1'")]
    [InlineData("prepare transaction E'xa\\'1'")]
    [InlineData("PREPARE TRANSACTION $$xa$$")]
    public void Classify_PrepareTransaction_IsTwoPhaseCommitNotAStatement(string sql)
    {
        var session = new SqlSession();

        var statements = Classify(sql, session);

        // Also one that outlives the session, which the built-in session-end rule refuses (probe BP1).
        Assert.Equal(["OUTLIVES SESSION", "PREPARE"], statements.Select(s => s.Kind).Order(StringComparer.Ordinal));
        Assert.Equal("PREPARE TRANSACTION", Assert.Single(statements, s => s.Kind == "PREPARE").Command);
        Assert.Equal(0, session.PreparedCount);
    }

    [Fact]
    public void Classify_StatementNamedTransaction_IsStillAPrepare()
    {
        var session = new SqlSession();

        Assert.Equal(["PREPARE", "DELETE"], Commands("PREPARE transaction AS DELETE FROM t", session));
        Assert.Equal(["EXECUTE", "DELETE"], Commands("EXECUTE transaction", session));
    }

    [Fact]
    public void Classify_PrepareAndExecuteInOneQuery_ResolvesInOrder()
    {
        var statements = Classify("PREPARE p AS DROP TABLE t; EXECUTE p", new SqlSession());
        Assert.Equal(2, statements.Count(s => s.Kind == "DROP"));
    }

    [Fact]
    public void Classify_ExecuteNamesFoldCaseLikePostgres()
    {
        var session = new SqlSession();
        Classify("PREPARE MyStmt AS TRUNCATE t", session);
        Assert.Contains(Classify("EXECUTE mystmt", session), s => s.Kind == "TRUNCATE");
        Assert.Contains(Classify("EXECUTE \"MyStmt\"", session), s => s.IsUnknown);
    }

    /// <summary>
    /// PostgreSQL keeps 63 bytes of a name: two names alike in those are one statement there, so
    /// here too (probe EF1: a DELETE prepared under a third such name ran twice on one approval).
    /// </summary>
    [Fact]
    public void Classify_NamesAlikeInTheirFirst63Bytes_AreOneStatement()
    {
        var session = new SqlSession();
        var prefix = new string('n', 63);
        Classify($"PREPARE {prefix}_harmless AS SELECT 1", session);
        Classify($"DEALLOCATE {prefix}_other", session);
        session.Settle(answered: 0, lastFailed: -1);
        Classify($"PREPARE {prefix}_wipe AS DELETE FROM victim", session);

        Assert.Equal(["EXECUTE", "DELETE"], Commands($"EXECUTE {prefix}_harmless", session));
        Assert.Equal(SqlLiteral.Truncated("\"" + prefix + "é\""), SqlLiteral.Truncated("\"" + prefix + "éé\""));
    }

    [Theory]
    [InlineData("short", "short")]
    [InlineData("ééééééééééééééééééééééééééééééééx", "ééééééééééééééééééééééééééééééé")] // 31 é are 62 bytes: the 32nd does not fit
    public void Truncated_CutsAt63BytesOfUtf8_AtACharactersStart(string name, string expected) =>
        Assert.Equal(expected, SqlLiteral.Truncated(name));

    [Fact]
    public void Classify_ExecuteOfUnknownName_IsUnknown()
    {
        var statements = Classify("EXECUTE nothing_prepared", new SqlSession());
        Assert.Contains(statements, s => s.IsUnknown && s.Origin == SqlStatementOrigin.Execute);
    }

    [Fact]
    public void Classify_Deallocate_ForgetsTheStatement_OnceTheUpstreamHasDoneIt()
    {
        var session = new SqlSession { Batch = 1 };
        Classify("PREPARE p AS DELETE FROM t", session);
        session.Batch = 2;
        Classify("DEALLOCATE PREPARE p", session);
        Assert.Equal(["EXECUTE", "DELETE"], Commands("EXECUTE p", session));

        session.Settle(answered: 2, lastFailed: -1);
        Assert.Contains(Classify("EXECUTE p", session), s => s.IsUnknown);
        Assert.Equal(0, session.PreparedCount);
        Assert.False(session.HasPendingRemovals);
    }

    [Fact]
    public void Classify_DiscardAll_ForgetsEverything_OnceTheUpstreamHasDoneIt()
    {
        var session = new SqlSession();
        Classify("PREPARE a AS SELECT 1; PREPARE b AS SELECT 2", session);
        session.Batch = 1;
        Classify("DISCARD ALL", session);
        Assert.Equal(0, session.PreparedCount);
        Assert.True(session.MayBePrepared("a"));

        session.Settle(answered: 1, lastFailed: 0);
        Assert.False(session.MayBePrepared("a"));
    }

    /// <summary>
    /// A DEALLOCATE (or DISCARD ALL, or Close) that PostgreSQL skipped after an error, or refused in
    /// an aborted transaction, left the statement prepared: it is judged by what it is (probe ZA1:
    /// an approved DELETE then ran as "SELECT 1", unreviewed, at every EXECUTE).
    /// </summary>
    [Theory]
    [InlineData("SELECT 1/0; DEALLOCATE pd; PREPARE pd AS SELECT 1")]
    [InlineData("SELECT 1/0; DEALLOCATE ALL; PREPARE pd AS SELECT 1")]
    [InlineData("SELECT 1/0; DISCARD ALL; PREPARE pd AS SELECT 1")]
    public void Classify_ADeallocateInABatchThatFailed_LeavesTheStatementJudgedAsItIs(string sql)
    {
        var session = new SqlSession { Batch = 1 };
        Classify("PREPARE pd AS DELETE FROM victim", session);
        session.Batch = 2;
        Classify(sql, session);
        session.Settle(answered: 2, lastFailed: 2);

        Assert.Contains("DELETE", Commands("EXECUTE pd", session));
        Assert.False(session.HasPendingRemovals);
    }

    [Fact]
    public void Classify_ADeallocateInABatchAnsweredWithoutError_LeavesOnlyTheNewDefinition()
    {
        var session = new SqlSession { Batch = 1 };
        Classify("PREPARE pd AS DELETE FROM victim", session);
        session.Batch = 2;
        Classify("DEALLOCATE pd; PREPARE pd AS SELECT 1", session);
        Assert.Contains("DELETE", Commands("EXECUTE pd", session));

        session.Settle(answered: 1, lastFailed: -1);
        Assert.Contains("DELETE", Commands("EXECUTE pd", session));
        session.Settle(answered: 2, lastFailed: 1);
        Assert.Equal(["EXECUTE", "SELECT"], Commands("EXECUTE pd", session));
    }

    /// <summary>
    /// Only a statement that surely runs forgets: a DEALLOCATE in a body or its dynamic SQL may
    /// never be reached, and a Parse runs nothing until its Execute (probe AA1).
    /// </summary>
    [Theory]
    [InlineData("DO $$ BEGIN IF false THEN EXECUTE 'DEALLOCATE pd'; END IF; END $$")]
    [InlineData("DO $$ BEGIN RETURN; EXECUTE 'DISCARD ALL'; END $$")]
    [InlineData("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DEALLOCATE ALL'; END $$")]
    public void Classify_ADeallocateThatMayNotRun_ForgetsNothing(string sql)
    {
        var session = new SqlSession();
        Classify("PREPARE pd AS DELETE FROM victim", session);
        Classify(sql, session);
        session.Settle(answered: 0, lastFailed: -1);

        Assert.Equal(["EXECUTE", "DELETE"], Commands("EXECUTE pd", session));
    }

    [Fact]
    public void Classify_WhileParsing_ForgetsNothing()
    {
        var session = new SqlSession();
        Classify("PREPARE pd AS DELETE FROM victim", session);
        session.Parsing = true;
        Classify("DEALLOCATE pd", session);
        session.Parsing = false;

        Assert.False(session.HasPendingRemovals);
        Assert.Equal(["EXECUTE", "DELETE"], Commands("EXECUTE pd", session));
    }

    [Fact]
    public void Undo_GivesBackWhatARefusedBatchForgot()
    {
        var session = new SqlSession { Batch = 1 };
        Classify("PREPARE pd AS DELETE FROM victim", session);
        session.Batch = 2;
        Classify("DEALLOCATE pd", session);
        session.Undo(2);

        Assert.Equal(1, session.PreparedCount);
        Assert.Equal(["EXECUTE", "DELETE"], Commands("EXECUTE pd", session));
    }

    [Fact]
    public void Classify_NamePreparedTwice_ExecuteSeesBothDefinitions()
    {
        var session = new SqlSession();
        Classify("PREPARE p AS DELETE FROM t WHERE false", session);
        Classify("PREPARE p AS SELECT 1", session);
        var commands = Commands("EXECUTE p", session);
        Assert.Contains("DELETE", commands);
        Assert.Contains("SELECT", commands);
    }

    [Fact]
    public void Classify_ProtocolParse_SharesTheNamespaceWithExecute()
    {
        var session = new SqlSession();
        session.Define("s1", [.. SqlClassifier.Classify("UPDATE t SET a = 1").Statements]);
        Assert.Contains(Classify("EXPLAIN ANALYZE EXECUTE s1", session), s => s.Kind == "UPDATE" && !s.HasWhere);
        session.OnClose("s1");
        Assert.Contains(Classify("EXPLAIN ANALYZE EXECUTE s1", session), s => s.Kind == "UPDATE" && !s.HasWhere);
        session.Settle(answered: 0, lastFailed: -1);
        Assert.Contains(Classify("EXECUTE s1", session), s => s.IsUnknown);
    }

    [Fact]
    public void Classify_DataModifyingWith_ClassifiesTheInnerStatement()
    {
        var statements = Classify("WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone");
        Assert.Equal("WITH", statements[0].Kind);
        var delete = Assert.Single(statements, s => s.Kind == "DELETE");
        Assert.False(delete.HasWhere);
        Assert.Equal(SqlStatementOrigin.With, delete.Origin);
        Assert.Contains(statements, s => s.Kind == "SELECT" && s.Origin == SqlStatementOrigin.With);
    }

    [Fact]
    public void Classify_WithInnerWhere_Counts()
    {
        var statements = Classify("WITH RECURSIVE a (x) AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (UPDATE t SET a = 1 WHERE id = 2 RETURNING id) SELECT * FROM b");
        Assert.True(Assert.Single(statements, s => s.Kind == "UPDATE").HasWhere);
    }

    [Fact]
    public void Classify_WithMainStatementDelete_IsADelete()
    {
        var statements = Classify("WITH ids AS (SELECT id FROM u WHERE bad) DELETE FROM t");
        var delete = Assert.Single(statements, s => s.Kind == "DELETE");
        Assert.False(delete.HasWhere);
        Assert.False(statements[0].HasWhere);
    }

    [Fact]
    public void Classify_WriteInParenthesesAnywhere_IsFound()
    {
        var statements = Classify("INSERT INTO log SELECT * FROM (SELECT 1) s; WITH x AS (SELECT 1) SELECT 1");
        Assert.DoesNotContain(statements, s => s.Kind is "DELETE" or "UPDATE");
        Assert.Contains(Classify("INSERT INTO t (update, x) VALUES (1, 2)"), s => s.Kind == "INSERT");
        Assert.DoesNotContain(Classify("INSERT INTO t (update, x) VALUES (1, 2)"), s => s.Kind == "UPDATE");
    }

    [Theory]
    [InlineData("DO $$ BEGIN DROP TABLE t; END $$")]
    [InlineData("do language plpgsql $x$ begin if true then drop table t; end if; end $x$")]
    [InlineData("DO 'BEGIN DROP TABLE t; END'")]
    [InlineData("DO E'BEGIN \\x44ROP TABLE t; END'")]
    [InlineData("DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident('t'); END $$")]
    [InlineData("DO $$ BEGIN EXECUTE format('DROP TABLE %I', 't'); END $$")]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT * FROM x LOOP DROP TABLE t; END LOOP; END $$ LANGUAGE plpgsql")]
    [InlineData("DO $a$ BEGIN DO $b$ BEGIN DROP TABLE t; END $b$; END $a$")]
    public void Classify_DoBlock_ClassifiesItsStatements(string sql)
    {
        var statements = Classify(sql);
        Assert.Equal("DO", statements[0].Kind);
        Assert.Contains(statements, s => s.Kind == "DROP" && s.Depth > 0);
    }

    [Theory]
    [InlineData("DO $$ BEGIN RAISE NOTICE 'drop table soon'; END $$")]
    [InlineData("DO $$ BEGIN ALTER TABLE t ALTER COLUMN c DROP DEFAULT; END $$")]
    [InlineData("DO $$ BEGIN CREATE TABLE t (id int REFERENCES u ON DELETE CASCADE ON UPDATE CASCADE); END $$")]
    [InlineData("DO $$ BEGIN PERFORM * FROM t FOR UPDATE; GRANT SELECT, UPDATE, DELETE ON t TO r; END $$")]
    [InlineData("DO $$ BEGIN INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1; END $$")]
    public void Classify_DoBlock_ClauseKeywordsAreNotStatements(string sql) =>
        Assert.DoesNotContain(Classify(sql), s => s.Kind is "DROP" or "UPDATE" or "DELETE");

    [Fact]
    public void Classify_DoBlockDeleteWithoutWhere_IsFound()
    {
        var statements = Classify("DO $$ BEGIN IF true THEN DELETE FROM t; END IF; UPDATE u SET a = 1 WHERE id = 2; END $$");
        Assert.False(Assert.Single(statements, s => s.Kind == "DELETE").HasWhere);
        Assert.True(Assert.Single(statements, s => s.Kind == "UPDATE").HasWhere);
    }

    [Theory]
    [InlineData("CREATE FUNCTION f() RETURNS void AS $$ DROP TABLE t $$ LANGUAGE sql")]
    [InlineData("create or replace procedure p() language plpgsql as $body$ begin drop table t; end $body$")]
    [InlineData("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DROP TABLE t'")]
    [InlineData("CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC DROP TABLE t; END")]
    public void Classify_RoutineBody_ClassifiesItsStatements(string sql)
    {
        var statements = Classify(sql);
        Assert.StartsWith("CREATE ", statements[0].Command, StringComparison.Ordinal);
        Assert.Contains(statements, s => s.Kind == "DROP" && s.Origin == SqlStatementOrigin.RoutineBody);
    }

    [Theory]
    [InlineData("CREATE RULE r AS ON SELECT TO t DO INSTEAD DELETE FROM u")]
    [InlineData("CREATE OR REPLACE RULE r AS ON INSERT TO t WHERE true DO ALSO (DELETE FROM u)")]
    public void Classify_RuleAction_IsClassified(string sql)
    {
        var statements = Classify(sql);
        Assert.Equal("CREATE RULE", statements[0].Command);
        Assert.False(Assert.Single(statements, s => s.Kind == "DELETE").HasWhere);
    }

    [Fact]
    public void Classify_RuleDoingNothing_HasNoAction() =>
        Assert.Single(Classify("CREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING"));

    [Fact]
    public void Classify_Cursor_ClassifiesItsQuery()
    {
        var statements = Classify("DECLARE c BINARY NO SCROLL CURSOR WITH HOLD FOR SELECT * FROM t");
        Assert.Equal(["DECLARE", "SELECT"], statements.Select(s => s.Command));
        Assert.Equal(SqlStatementOrigin.Cursor, statements[1].Origin);
    }

    [Theory]
    [InlineData("COPY t FROM STDIN", "COPY FROM")]
    [InlineData("COPY t (a, b) TO STDOUT WITH (FORMAT csv)", "COPY TO")]
    [InlineData("COPY (SELECT * FROM t WHERE a > 1) TO STDOUT", "COPY TO")]
    public void Classify_Copy_HasItsDirection(string sql, string command) =>
        Assert.Equal(command, Classify(sql)[0].Command);

    [Fact]
    public void Classify_CopyOfADelete_ClassifiesTheDelete() =>
        Assert.Contains(Classify("COPY (DELETE FROM t RETURNING *) TO STDOUT"), s => s.Kind == "DELETE" && s.Origin == SqlStatementOrigin.Copy);

    [Theory]
    [InlineData("SELECT 'abc")]
    [InlineData("SELECT 1 /* never closed")]
    [InlineData("SELECT $$ never closed")]
    public void Classify_Unterminated_IsUnknownWithTheWholeText(string sql)
    {
        var statement = Assert.Single(Classify(sql));
        Assert.True(statement.IsUnknown);
        Assert.Equal(sql, statement.Text.ToString());
    }

    [Fact]
    public void Classify_BackslashInPlainString_AlsoReadsWithoutStandardConformingStrings()
    {
        // With standard_conforming_strings off, 'a\'' ends after the escaped quote and DROP runs.
        var statements = Classify("SELECT 'a\\'' ; DROP TABLE t; --'");
        Assert.Contains(statements, s => s.Kind == "DROP");
    }

    [Theory]
    [InlineData("SELECT 'C:\\'")]
    [InlineData("SELECT replace(path, '\\', '/') FROM files")]
    public void Classify_TrailingBackslashInPlainString_StaysKnown(string sql)
    {
        var statement = Assert.Single(Classify(sql));
        Assert.Equal("SELECT", statement.Kind);
    }

    [Fact]
    public void Classify_NestingTooDeep_IsUnknown()
    {
        var sql = "SELECT 1";
        for (var i = 0; i < SqlClassifier.MaxDepth + 2; i++)
        {
            sql = "EXPLAIN ANALYZE " + sql;
        }

        Assert.Contains(Classify(sql), s => s.IsUnknown);
    }

    [Fact]
    public void Classify_WithQueriesNestedTwentyDeep_AreRead()
    {
        // Probe AG: nine levels of WITH inside WITH bodies were refused as unreadable (the limit was 8).
        var sql = "SELECT 1";
        for (var i = 0; i < 20; i++)
        {
            sql = $"WITH w{i} AS ({sql}) SELECT * FROM w{i}";
        }

        Assert.DoesNotContain(Classify(sql), s => s.IsUnknown);
        Assert.DoesNotContain(Classify(sql.Replace("SELECT 1", "DELETE FROM orders RETURNING id", StringComparison.Ordinal)), s => s.IsUnknown);
        Assert.Contains(Classify(sql.Replace("SELECT 1", "DELETE FROM orders RETURNING id", StringComparison.Ordinal)), s => s.Kind == "DELETE" && !s.HasWhere);
    }

    [Fact]
    public void Classify_EmptyText_HasNoStatements()
    {
        Assert.Empty(Classify(""));
        Assert.Empty(Classify(" ;; -- nothing"));
    }

    [Fact]
    public void Classify_RandomInput_NeverThrowsAndNeverHidesADrop()
    {
        var random = new Random(42);
        string[] pieces = ["'", "''", "\"", "$$", "$a$", "$1", "E'", "\\", "--", "\n", "/*", "*/", ";", "(", ")", " ", "DO", "EXPLAIN",
            "ANALYZE", "PREPARE p AS", "EXECUTE p", "WITH x AS", "BEGIN ATOMIC", "END", "CREATE FUNCTION f() AS", "DELETE FROM t", "x", "é"];
        var session = new SqlSession();
        for (var i = 0; i < 3000; i++)
        {
            var sql = string.Concat(Enumerable.Range(0, random.Next(1, 25)).Select(_ => pieces[random.Next(pieces.Length)]));
            var statements = SqlClassifier.Classify(sql, session).Statements;

            // Appending a DROP after a terminating newline and semicolon: it is either seen or
            // the text before it is unterminated (then the whole query is unknown).
            var withDrop = SqlClassifier.Classify(sql + "\n;DROP TABLE t", session).Statements;
            Assert.Contains(withDrop, s => s.Kind == "DROP" || s.IsUnknown);
            Assert.All(statements, s => Assert.False(string.IsNullOrEmpty(s.Kind)));
        }
    }

    [Theory]
    [InlineData("SELECT 'a'\n'b'", "ab")]
    [InlineData("SELECT 'a' -- note\n  'b'\r\n'c'", "abc")]
    [InlineData("SELECT E'a\\n'\n'b'", "a\nb")]
    [InlineData("SELECT 'it''s'\n' ok'", "it's ok")]
    public void StringPieces_SeparatedByANewline_AreOneString(string sql, string content)
    {
        var tokens = new List<SqlToken>();
        var lexer = new SqlLexer(sql, 0, sql.Length);
        for (var token = lexer.Next(); token.Kind != SqlTokenKind.End; token = lexer.Next())
        {
            tokens.Add(token);
        }

        var literal = Assert.Single(tokens, t => t.IsStringLiteral);
        Assert.True(SqlLiteral.TryGetContent(sql, literal, out var text, out var start, out var end));
        Assert.Equal(content, text[start..end]);
    }

    [Fact]
    public void StringPieces_OnOneLine_AreNotJoined()
    {
        var lexer = new SqlLexer("SELECT 'a' 'b'", 0, 14);
        var strings = 0;
        for (var token = lexer.Next(); token.Kind != SqlTokenKind.End; token = lexer.Next())
        {
            strings += token.IsStringLiteral ? 1 : 0;
        }

        Assert.Equal(2, strings);
    }
}
