using System.Text;
using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

/// <summary>A masked column may be read and written in place, never copied where masking cannot follow it.</summary>
public sealed class MaskerFlowTests
{
    private static readonly Masker Columns = Masker.Compile([new MaskingProfile { Name = "pii", Columns = ["ssn", "card_number"] }]);

    [Theory]
    [InlineData("CREATE TEMP TABLE t AS SELECT id, replace(ssn, '-', '') AS x FROM customers")]
    [InlineData("SELECT ssn AS x INTO TEMP t FROM customers")]
    [InlineData("CREATE VIEW v AS SELECT ssn AS x FROM customers")]
    [InlineData("CREATE MATERIALIZED VIEW v AS SELECT SSN FROM customers")]
    [InlineData("CREATE FUNCTION pg_temp.f() RETURNS SETOF text LANGUAGE sql AS $$ SELECT replace(ssn, '-', '') FROM customers $$")]
    [InlineData("DO $$ BEGIN RAISE NOTICE '%', (SELECT ssn FROM customers LIMIT 1); END $$")]
    [InlineData("DO $$ DECLARE r text; BEGIN EXECUTE 'SELECT ssn FROM customers LIMIT 1' INTO r; RAISE NOTICE '%', r; END $$")]
    [InlineData("PREPARE p AS SELECT replace(ssn, '-', '') AS x FROM customers")]
    [InlineData("INSERT INTO notes (body) SELECT ssn FROM customers")]
    [InlineData("INSERT INTO notes (body) VALUES ((SELECT \"ssn\" FROM customers LIMIT 1))")]
    [InlineData("UPDATE customers SET city = ssn")]
    [InlineData("UPDATE customers SET (city, note) = (ssn, 'x')")]
    [InlineData("UPDATE customers SET (city) = (SELECT c.ssn FROM customers c LIMIT 1)")]
    [InlineData("UPDATE customers SET city = c.card_number FROM customers c WHERE c.id = customers.id")]
    [InlineData("WITH s AS (SELECT ssn AS x FROM customers) INSERT INTO notes (body) SELECT x FROM s")]
    [InlineData("ALTER TABLE customers RENAME COLUMN ssn TO tax_id")]
    // Columns that something fills from a masked one, or that copy its definition.
    [InlineData("CREATE TABLE t (ssn text, x text GENERATED ALWAYS AS (ssn) STORED)")]
    [InlineData("CREATE TABLE t (ssn text DEFAULT 'x', LIKE customers INCLUDING ALL)")]
    [InlineData("ALTER TABLE customers ADD COLUMN x text GENERATED ALWAYS AS (ssn) STORED")]
    [InlineData("ALTER TABLE customers ALTER COLUMN note TYPE text USING ssn")]
    [InlineData("SELECT 1; CREATE TABLE t AS SELECT card_number FROM customers")]
    [InlineData("DO $$ declare r record; begin for r in select * from customers t(a, b, c, d, s) loop raise notice '%', r.s; end loop; end $$")]
    [InlineData("INSERT INTO notes (body) SELECT s FROM customers t(id, n, e, p, s)")]
    [InlineData("SELECT length(set_config('my.v', (SELECT string_agg(ssn, ' ') FROM customers), false))")]
    [InlineData("SELECT pg_advisory_lock(replace(s, '-', '')::bigint) FROM customers * t(i, n, e, p, s)")]
    [InlineData("SELECT lo_from_bytea(0, convert_to((SELECT string_agg(card_number, ' ') FROM customers), 'UTF8'))")]
    // A relation's lock or a cursor's position chosen by the value stays for the next statement (probe DA-1).
    [InlineData("SELECT count(*) FROM customers c, pg_class l WHERE table_to_xml(l.oid::regclass, false, false, '') IS NOT NULL AND l.relpages = substr(c.ssn, 1, 1)::int")]
    [InlineData("SELECT count(*) FROM customers c WHERE c.id = 1 AND cursor_to_xml('dacp', substr(translate(c.ssn, '-', ''), 1, 5)::int, false, false, '') IS NOT NULL")]
    [InlineData("SELECT setseed(substr(translate(ssn, '-', ''), 1, 3)::int / 1000.0) FROM customers WHERE id = 1")]
    [InlineData("SELECT setval('s1', replace(ssn, '-', '')::bigint) FROM customers WHERE id = 1")] // probe EK2, EJ3
    [InlineData("CREATE TRIGGER t BEFORE INSERT OR UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger('tsv', 'pg_catalog.simple', 'ssn')")] // probe EO3
    [InlineData("SELECT pg_replication_origin_create(translate(card_number, '0123456789', 'abcdefghij')) FROM customers")]
    [InlineData("SELECT count(*) FROM customers c, pg_class v WHERE v.relkind = 'v' AND v.relpages = substr(c.ssn, 1, 1)::int AND pg_get_viewdef(v.oid) IS NOT NULL")]
    [InlineData("COPY (INSERT INTO notes (body) SELECT ssn FROM customers RETURNING id) TO STDOUT")]
    [InlineData("DO $$DECLARE r refcursor := 'sens'; v text; BEGIN FETCH r INTO v; RAISE NOTICE '%', v; END$$")]
    [InlineData("CREATE FUNCTION pg_temp.f(r refcursor) RETURNS text LANGUAGE plpgsql AS 'DECLARE v text; BEGIN EXECUTE ''fetch '' || r INTO v; RETURN v; END'")]
    [InlineData("DO 'DECLARE v text; BEGIN SELECT \\163sn INTO v FROM customers LIMIT 1; RAISE NOTICE ''%'', v; END'")]
    // The written table's row: no FROM lists it (probe AR).
    [InlineData("UPDATE customers c SET note = to_jsonb(c)->>'ssn' WHERE id = 1")]
    [InlineData("UPDATE public.customers AS c SET note = c::text")]
    [InlineData("UPDATE ONLY customers SET note = customers::text WHERE id = 1")]
    [InlineData("UPDATE customers c SET note = note WHERE id = 1 RETURNING to_jsonb(c)")]
    [InlineData("INSERT INTO customers AS c (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET note = 'x' RETURNING to_jsonb(c)")]
    [InlineData("INSERT INTO customers (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET note = customers.*::text")]
    [InlineData("MERGE INTO customers c USING (SELECT 1 AS id) s ON c.id = s.id WHEN MATCHED THEN UPDATE SET note = c::text")]
    // MERGE's USING lists a from-item (probe AS).
    [InlineData("MERGE INTO archive a USING customers c ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    [InlineData("merge into archive a using public.customers as c on false when not matched then insert values (c.id, to_jsonb(c)->>'ssn')")]
    [InlineData("MERGE INTO archive a USING customers c(i, n, e, s) ON false WHEN NOT MATCHED THEN INSERT VALUES (c.i, c.s)")]
    [InlineData("MERGE INTO archive a USING (TABLE customers) c ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    [InlineData("WITH s AS (SELECT * FROM customers) MERGE INTO archive a USING s ON false WHEN NOT MATCHED THEN INSERT VALUES (s.id, s::text)")]
    [InlineData("MERGE INTO archive a USING ONLY customers c ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    [InlineData("MERGE INTO archive a USING ONLY (customers) c ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, to_jsonb(c)->>'ssn')")]
    [InlineData("MERGE INTO archive a USING (customers c JOIN orders o ON o.customer_id = c.id) ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    [InlineData("MERGE INTO archive a USING (customers c CROSS JOIN orders o) ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    [InlineData("MERGE INTO archive a USING LATERAL (SELECT * FROM customers) c ON false WHEN NOT MATCHED THEN INSERT VALUES (c.id, c::text)")]
    [InlineData("WITH x AS (DELETE FROM archive a USING ONLY customers c WHERE a.id = c.id RETURNING c::text AS t) INSERT INTO items (body) SELECT t FROM x")]
    // A filter ends where a clause that gives values starts (probe CB1, CB2: all after the first WHERE passed as a filter).
    [InlineData("INSERT INTO customers AS c (id) VALUES (1) ON CONFLICT (id) WHERE true DO UPDATE SET city = reverse(c.ssn)")]
    [InlineData("INSERT INTO clean AS t (id, v) VALUES (2, 'z') ON CONFLICT (id) WHERE true DO UPDATE SET v = (SELECT reverse(card_number) FROM customers WHERE id = 1)")]
    [InlineData("INSERT INTO clean (id, v) SELECT 100, 'a' WHERE true UNION ALL SELECT 101, reverse(ssn) FROM customers WHERE id = 2")]
    [InlineData("INSERT INTO clean (id, v) SELECT 102, 'b' WHERE false UNION SELECT id + 200, translate(card_number, '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("INSERT INTO clean SELECT 1, 'a' FROM orders WHERE true EXCEPT SELECT 2, ssn FROM customers")]
    [InlineData("UPDATE clean SET v = c.x FROM orders o JOIN orders p ON true, (SELECT ssn AS x FROM customers) c WHERE true")]
    [InlineData("INSERT INTO clean (id, v) (SELECT 1, ssn FROM customers)")]
    [InlineData("INSERT INTO clean ((SELECT 1, ssn FROM customers))")]
    [InlineData("INSERT INTO customers (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET city = EXCLUDED.ssn")]
    [InlineData("UPDATE customers SET ssn = ssn, city = ssn WHERE id = 1")]
    [InlineData("UPDATE customers SET city = CASE WHEN substr(ssn, 1, 1) > '4' THEN 'a' ELSE 'b' END")]
    [InlineData("UPDATE customers SET tags[length(ssn)] = 'x'")]
    [InlineData("UPDATE people SET info.city = (SELECT ssn FROM customers LIMIT 1)")]
    [InlineData("MERGE INTO clean c USING customers s ON c.id = s.id WHEN MATCHED THEN UPDATE SET v = s.ssn")]
    [InlineData("MERGE INTO clean c USING customers s ON false WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.card_number)")]
    [InlineData("MERGE INTO customers t USING (SELECT id, ssn FROM customers) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET city = s.ssn")]
    // A column label called case or end is no CASE … END (probe CE1: it hid the clauses after it).
    [InlineData("INSERT INTO clean (id, v) SELECT 1, 'a' WHERE (SELECT true AS case) UNION ALL SELECT 2, translate(ssn, '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("MERGE INTO clean c USING customers s ON (SELECT false AS case) WHEN NOT MATCHED THEN INSERT (v) VALUES (translate(s.ssn, '0123456789', 'abcdefghij'))")]
    [InlineData("UPDATE cust2 SET ssn = (SELECT ssn AS case), v = translate(ssn, '0123456789', 'abcdefghij') WHERE id = 1")]
    [InlineData("INSERT INTO clean (id, v) SELECT 1, 'a' WHERE (SELECT true AS case) UNION ALL SELECT 2, reverse(ssn) AS end FROM customers")]
    [InlineData("INSERT INTO clean (id, v) SELECT 1, 'a' WHERE (SELECT 1 AS end) = 1 UNION ALL SELECT 2, reverse(ssn) FROM customers")]
    // A keyword as a label, an alias or an attribute is no clause (probe CG1-CG4: each hid the copy after it).
    [InlineData("INSERT INTO clean (w, v) SELECT 'x' AS where, translate(ssn, '0123456789', 'abcdefghij') FROM customers WHERE id = 1")]
    [InlineData("INSERT INTO clean (w, v) SELECT 'x' AS order, reverse(ssn) FROM customers")]
    [InlineData("INSERT INTO clean (w, v) SELECT 'x' AS returning, reverse(ssn) FROM customers")]
    [InlineData("INSERT INTO clean (w, v) SELECT 'x' AS limit, reverse(ssn) FROM customers")]
    [InlineData("INSERT INTO clean (w, v) SELECT 'x' when, reverse(ssn) FROM customers")]
    [InlineData("INSERT INTO clean (w, v) SELECT 'x' conflict, reverse(ssn) FROM customers")]
    [InlineData("INSERT INTO clean (w, v) SELECT 'x' set, reverse(ssn) FROM customers")]
    [InlineData("INSERT INTO clean (v) SELECT DISTINCT ON (id) translate(ssn, '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("INSERT INTO clean (v) SELECT mode() WITHIN GROUP (ORDER BY translate(ssn, '0123456789', 'abcdefghij')) FROM customers")]
    [InlineData("INSERT INTO clean (v) SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY reverse(ssn)) FROM customers")]
    [InlineData("INSERT INTO clean (v) SELECT x.q FROM customers conflict, translate(conflict.ssn, '0123456789', 'abcdefghij') AS x(q)")]
    [InlineData("UPDATE clean SET v = x.q FROM customers conflict, reverse(conflict.ssn) AS x(q) WHERE clean.id = conflict.id")]
    [InlineData("INSERT INTO clean (v) SELECT t.where || reverse(ssn) FROM customers t")]
    [InlineData("INSERT INTO clean (v) SELECT pg_temp.insert(ssn) FROM customers")]
    [InlineData("INSERT INTO clean (v) SELECT q.x FROM orders a JOIN orders b ON conflict(b.id), (SELECT reverse(ssn) AS x FROM customers) q")]
    [InlineData("INSERT INTO clean (v) SELECT q.x FROM orders a JOIN orders AS b ON conflict(b.id), (SELECT reverse(ssn) AS x FROM customers) q")]
    [InlineData("INSERT INTO clean (v) SELECT q.x FROM orders a JOIN orders b ON b.id = a.id JOIN orders c ON conflict(c.id), LATERAL (SELECT reverse(ssn) AS x FROM customers) q")]
    // case, end and update as names (probe CI1, CI2).
    [InlineData("INSERT INTO clean (v) SELECT 'D1a' FROM (SELECT 1 AS case, 1 AS end) t WHERE t.case = 1 UNION ALL SELECT 'D1:' || reverse(c.ssn) FROM customers c, (SELECT 1 AS case, 1 AS end) u WHERE c.id = u.end")]
    [InlineData("INSERT INTO clean (w, v) SELECT t.update set, 'D2:' || reverse(c.ssn) FROM (SELECT 'D2' AS update) t, customers c WHERE c.id = 1")]
    [InlineData("INSERT INTO clean (w, v) SELECT update set, reverse(c.ssn) FROM (SELECT 'D2' AS update) t, customers c")]
    [InlineData("INSERT INTO clean (w, v) SELECT t.on conflict, reverse(c.ssn) FROM (SELECT 'x' AS on) t, customers c")]
    [InlineData("UPDATE cust2 SET ssn = ssn IS DISTINCT FROM 'x', v = reverse(ssn) WHERE id = 1")]
    [InlineData("INSERT INTO clean (v) SELECT 'a' FROM orders WHERE note IS DISTINCT FROM 'x' UNION SELECT reverse(ssn) FROM customers")]
    // A nested join's ON conflict, a column list's subscript, a user's operator =| (review H1-H3, M1).
    [InlineData("INSERT INTO clean (id, v) SELECT 10, q.x FROM (SELECT true AS conflict) a JOIN orders b JOIN orders c ON true ON conflict, (SELECT reverse(ssn) AS x FROM customers WHERE id = 1) q")]
    [InlineData("INSERT INTO clean (id, v) SELECT 10, q.x FROM (SELECT true AS conflict) a JOIN orders b JOIN orders c USING (id) ON conflict, (SELECT reverse(ssn) AS x FROM customers) q")]
    [InlineData("INSERT INTO clean (id, tags[(SELECT substr(translate(ssn, '-', ''), 1, 4)::int FROM customers WHERE id = 1)]) VALUES (11, 'x')")]
    [InlineData("INSERT INTO clean (id, tags[ssn]) SELECT 1, 'x' FROM customers")]
    [InlineData("MERGE INTO clean c USING customers s ON false WHEN NOT MATCHED THEN INSERT (id, tags[substr(translate(s.ssn, '-', ''), 1, 4)::int]) VALUES (s.id, 'x')")]
    [InlineData("INSERT INTO clean (v) SELECT ssn =| 1 FROM customers")]
    [InlineData("INSERT INTO clean (v) SELECT ssn ==> 1 FROM customers")]
    // A number with a word glued to it: PostgreSQL 14 reads 1union as 1 UNION (review M2).
    [InlineData("UPDATE customers SET note = ssn, city = 'x' WHERE id = 1")]
    [InlineData("UPDATE customers SET city = 'x', note = ssn WHERE id = 1")]
    [InlineData("INSERT INTO clean (id, v) SELECT id, 'x' =| ssn FROM customers")]
    [InlineData("INSERT INTO clean (v) SELECT pg_temp.id(x := ssn) FROM customers")]
    [InlineData("INSERT INTO clean (v) SELECT pg_temp.id(x => ssn) FROM customers")]
    [InlineData("UPDATE clean values SET v = ssn FROM customers WHERE customers.id = values.id AND values.id <= 3")] // probe CS1
    [InlineData("UPDATE clean select SET v = card_number FROM customers WHERE customers.id = select.id")]
    // A masked name only in a filter, and the copy made without it (probe CW1, CW2).
    [InlineData("UPDATE notes n SET v = reverse(c::text) FROM customers c WHERE n.id = c.id AND c.ssn <> '' AND n.id = 1")]
    [InlineData("UPDATE notes n SET v = reverse(c.s) FROM customers AS c(i, f, e, p, s) WHERE n.id = c.i AND c.card_number <> ''")]
    [InlineData("INSERT INTO notes (v) SELECT translate(c.s, '0123456789', 'abcdefghij') FROM customers AS c(i, f, e, p, s) WHERE c.card_number <> ''")]
    [InlineData("INSERT INTO clean (v) SELECT ssn =-> 1 FROM customers")]
    [InlineData("INSERT INTO clean (v) SELECT ssn =@- 1 FROM customers")]
    // A WITH query that gives the write after it a masked column's value (probe DA2's rules kept).
    [InlineData("WITH t AS (SELECT ssn AS s FROM customers) UPDATE notes SET v = t.s FROM t WHERE notes.id = 1")]
    [InlineData("WITH t AS (SELECT id, ssn FROM customers) UPDATE notes SET v = 'x' WHERE id IN (SELECT id FROM t)")]
    [InlineData("WITH t(a) AS (SELECT ssn FROM customers WHERE id = 1) UPDATE notes SET v = (SELECT a FROM t)")]
    [InlineData("WITH t AS (SELECT c FROM customers c WHERE c.ssn <> '') UPDATE notes SET v = t.c::text FROM t")]
    [InlineData("WITH t AS (SELECT * FROM customers WHERE ssn <> '') INSERT INTO notes (v) SELECT t::text FROM t")]
    [InlineData("WITH u AS (SELECT 1), t AS (SELECT upper(card_number) AS k FROM customers) INSERT INTO notes (v) SELECT k FROM t")]
    [InlineData("WITH t AS (DELETE FROM customers WHERE ssn = 'x' RETURNING ssn) INSERT INTO notes (v) SELECT ssn FROM t")]
    [InlineData("WITH t AS (SELECT 1 AS id) UPDATE notes SET v = (SELECT ssn FROM customers LIMIT 1) WHERE id IN (SELECT id FROM t)")]
    [InlineData("WITH t AS (SELECT id FROM customers WHERE ssn LIKE '1%') INSERT INTO notes (v) SELECT reverse(ssn) FROM customers WHERE id IN (SELECT id FROM t)")]
    // A SELECT … INTO after the list (review R2).
    [InlineData("WITH t AS (SELECT reverse(ssn) AS x FROM customers) SELECT x INTO TEMP y FROM t")]
    [InlineData("WITH t AS (SELECT c::text AS x FROM customers c) SELECT x INTO y FROM t")]
    // CREATE TABLE … AS whose query gives a column a masked value under another name (probe DA3's rules kept).
    [InlineData("CREATE TABLE y AS SELECT id, reverse(ssn) AS r FROM customers WHERE ssn LIKE '0%'")]
    [InlineData("CREATE TABLE y (a, b) AS SELECT id, ssn FROM customers WHERE id < 3")]
    [InlineData("CREATE TEMP TABLE y AS SELECT c.id, c::text AS whole FROM customers c WHERE c.ssn LIKE '0%'")]
    [InlineData("CREATE TABLE y AS SELECT i, s FROM customers AS c(i, f, e, p, s) WHERE c.ssn IS NULL")]
    [InlineData("SELECT id, reverse(ssn) AS r INTO TEMP y FROM customers WHERE ssn LIKE '0%'")]
    [InlineData("SELECT c INTO y FROM customers c WHERE c.ssn IS NULL")]
    [InlineData("SELECT id INTO y FROM customers WHERE id = 1 UNION SELECT length(ssn) FROM customers")]
    // A subquery whose rows carry one is judged with the statement around it (probe DE5's fix kept them).
    [InlineData("INSERT INTO archive SELECT x FROM (SELECT ssn AS x FROM customers WHERE id > 1) s")]
    [InlineData("INSERT INTO archive SELECT (SELECT ssn FROM customers c WHERE c.id = o.customer_id) FROM orders o")]
    [InlineData("UPDATE orders SET note = (SELECT reverse(ssn) FROM customers c WHERE c.id = orders.customer_id)")]
    [InlineData("INSERT INTO archive SELECT x FROM (SELECT y AS x FROM (SELECT card_number AS y FROM customers WHERE ssn > '5') a) b")]
    [InlineData("CREATE TABLE x AS SELECT a.ssn FROM (SELECT id FROM customers WHERE ssn LIKE '1%') s, customers a")]
    // A subquery filtering on one but reading the outer query's whole row (review R1).
    [InlineData("INSERT INTO archive SELECT (SELECT c::text WHERE c.ssn IS NOT NULL) FROM customers c")]
    [InlineData("INSERT INTO archive SELECT (SELECT to_jsonb(c) WHERE c.ssn IS NOT NULL) FROM customers c")]
    [InlineData("INSERT INTO archive SELECT l.x FROM customers c, LATERAL (SELECT c AS x WHERE c.ssn IS NOT NULL) l")]
    public void CopyingAMaskedColumn_IsRefused_NamingIt(string sql)
    {
        var refusal = Columns.FlowRefusal(sql);

        Assert.NotNull(refusal);
        Assert.Matches("copies (the masked column \"(ssn|card_number)\"|a masked column \\((reached without its name[^)]*|a cursor's rows, FETCHed in a body|a body the gateway cannot read|named in a trigger function's arguments)\\)) into", refusal);
        Assert.DoesNotContain("\"(", refusal, StringComparison.Ordinal);
    }

    /// <summary>
    /// A write the reader cannot make out around a masked column fails closed, saying so rather than
    /// naming a copy it did not find (review L1).
    /// </summary>
    [Theory]
    [InlineData("INSERT INTO clean (id, v) SELECT 1, 'a' WHERE 1=1union (SELECT 2, reverse(ssn) FROM customers)")]
    [InlineData("INSERT INTO clean (id, v) SELECT 0x1Fwhere, reverse(ssn) FROM customers")]
    [InlineData("UPDATE customers SET ssn WHERE id = 1")]
    // Through the queries that fill a table too (review R11).
    [InlineData("CREATE TABLE y AS SELECT 0x1Fwhere, id FROM customers WHERE ssn = '1'")]
    [InlineData("SELECT 1union, id INTO y FROM customers WHERE ssn = '1'")]
    // A WITH list the reader stops in: a SEARCH or CYCLE clause, which let the queries after it go unread
    // (review R1), refused as a copy of a column named only in a filter (probe DD4).
    [InlineData("WITH RECURSIVE a(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM a WHERE n < 2) CYCLE n SET c USING p, b AS (SELECT reverse(ssn) AS x FROM customers) INSERT INTO notes (v) SELECT x FROM b")]
    [InlineData("WITH RECURSIVE a(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM a WHERE n < 2) SEARCH DEPTH FIRST BY n SET ord, b AS (SELECT ssn AS x FROM customers) UPDATE notes SET v = b.x FROM b")]
    [InlineData("WITH RECURSIVE a(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM a WHERE n < 2) SEARCH DEPTH FIRST BY n SET o UPDATE customers SET note = 'x' WHERE ssn LIKE '1%'")]
    public void AWriteTheReaderCannotMakeOut_IsRefused_SayingSo(string sql) =>
        Assert.StartsWith("the gateway cannot read where this write puts the masked column \"ssn\" (", Columns.FlowRefusal(sql), StringComparison.Ordinal);

    /// <summary>
    /// Every column of a relation holding masked ones, into a table under other names, reads back
    /// unmasked (probe EI1); a copy that keeps the names, or of a relation without masked columns,
    /// is no copy of one.
    /// </summary>
    [Theory]
    [InlineData("INSERT INTO notes SELECT * FROM customers", true)]
    [InlineData("INSERT INTO notes TABLE customers", true)]
    [InlineData("INSERT INTO notes TABLE public.customers", true)]
    [InlineData("INSERT INTO notes TABLE app.orders", false)] // probe AC5: the schema's name was read as the relation's
    [InlineData("insert into notes (a, b, c) select c.* from public.customers c", true)]
    [InlineData("INSERT INTO notes SELECT o.*, c.* FROM orders o JOIN customers c ON c.id = o.customer_id", true)]
    [InlineData("CREATE TABLE t (a, b, c, d, e) AS SELECT * FROM customers", true)]
    [InlineData("CREATE VIEW v (a, b, c, d, e) AS TABLE customers", true)]
    [InlineData("INSERT INTO notes SELECT * FROM orders", false)]
    [InlineData("INSERT INTO other.customers SELECT * FROM public.customers", true)] // probe EJ2: the same name, another table
    [InlineData("CREATE TABLE t AS SELECT * FROM customers", false)]
    [InlineData("SELECT * INTO t FROM customers", false)]
    [InlineData("CREATE TABLE t AS SELECT count(*) FROM customers", false)]
    // What an INSERT returns goes to the client, masked by column (probe OA6: ORMs' RETURNING * was refused).
    [InlineData("INSERT INTO customers (id, note) VALUES (8, 'n8') RETURNING *", false)]
    [InlineData("insert into customers c values (3, 'x') returning c.*, id", false)]
    [InlineData("INSERT INTO notes SELECT * FROM customers RETURNING *", true)]
    [InlineData("INSERT INTO notes (body) VALUES ((SELECT string_agg(x::text, '') FROM (SELECT * FROM customers) x)) RETURNING *", true)]
    [InlineData("WITH n AS (INSERT INTO customers (id) VALUES (1) RETURNING *) INSERT INTO notes SELECT * FROM n", true)]
    // A field of a row in parentheses is that column (probe DR1); the row itself, its * or a row function on it stays whole.
    [InlineData("INSERT INTO notes SELECT 419, (c).full_name FROM customers c WHERE (c).ssn LIKE '1%' LIMIT 1", false)]
    [InlineData("INSERT INTO notes SELECT (customers).id FROM customers WHERE (customers).ssn IS NOT NULL", false)]
    [InlineData("INSERT INTO notes SELECT (c).ssn FROM customers c", true)]
    [InlineData("INSERT INTO notes SELECT reverse((c).\"ssn\") FROM customers c", true)]
    [InlineData("INSERT INTO notes SELECT (c).* FROM customers c", true)]
    [InlineData("INSERT INTO notes SELECT (c).row_to_json FROM customers c", true)]
    // Aggregates in attribute notation on a whole row (probe DU1).
    [InlineData("INSERT INTO notes SELECT (c).array_agg FROM customers c WHERE id = 1", true)]
    [InlineData("INSERT INTO notes SELECT c.json_agg FROM customers c", true)]
    [InlineData("INSERT INTO notes SELECT customers.jsonb_agg::text FROM customers", true)]
    [InlineData("INSERT INTO notes SELECT c.any_value FROM customers c", true)]
    [InlineData("INSERT INTO notes SELECT public.customers.row_to_json FROM customers WHERE id = 3", true)]
    [InlineData("INSERT INTO notes SELECT public.customers.city FROM public.customers", false)]
    [InlineData("INSERT INTO notes SELECT (c)::text FROM customers c", true)]
    [InlineData("INSERT INTO notes SELECT ((c)).full_name FROM customers c", true)]
    // A name that is no column of the row is a function or cast of it (probe DV4–DV6), a filter's too.
    [InlineData("INSERT INTO notes SELECT c.upper FROM customers c", true)]
    [InlineData("INSERT INTO notes SELECT (c).reverse FROM customers c WHERE (c).ssn LIKE '1%'", true)]
    [InlineData("INSERT INTO notes SELECT (c).id + 10, c.city FROM customers c WHERE (c).ssn LIKE '1%' AND c.card_number IS NOT NULL", false)]
    // A masked column a subquery names only to filter, qualified (probe ED3: refused as a copy of the row).
    [InlineData("UPDATE notes SET body = 'y' WHERE id IN (SELECT c.id FROM customers c WHERE c.ssn = '525-69-1680')", false)]
    [InlineData("UPDATE notes n SET body = 'q' WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = n.id AND c.ssn = '078-05-1120')", false)]
    public void WholeRowsIntoOtherColumns_AreRefused(string sql, bool refused)
    {
        var refusal = Columns.FlowRefusal(sql, relations: new OrdersHoldNoMaskedColumn());

        Assert.Equal(refused, refusal is not null);
    }

    /// <summary>
    /// Everyday loads and loops over tables holding no masked column are no copies of one (probe
    /// AK2: END LOOP was read as a whole-row use of a table aliased "loop"; AK3: a backslash in a
    /// COPY option; AK4: the archive idiom, a DELETE's RETURNING * passed through a WITH query).
    /// </summary>
    [Theory]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT id FROM orders LOOP RAISE NOTICE '%', r.id; END LOOP; END $$", false)]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT id FROM orders o LOOP RAISE NOTICE '%', r.id; END LOOP; END $$", false)]
    [InlineData("COPY orders (id, note) FROM STDIN WITH (NULL '\\N')", false)]
    [InlineData("COPY orders (id, note) FROM STDIN WITH (FORMAT csv, ESCAPE '\\')", false)]
    [InlineData("WITH moved AS (DELETE FROM orders WHERE id = 31 RETURNING *) INSERT INTO notes SELECT * FROM moved", false)]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT c FROM customers c LOOP RAISE NOTICE '%', r; END LOOP; END $$", true)]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT loop FROM customers loop LOOP RAISE NOTICE '%', r; END LOOP; END $$", true)]
    [InlineData("COPY notes (body) FROM STDIN WITH (NULL '\\N'); SELECT translate(ssn, '0123456789', 'abcdefghij') INTO t FROM customers", true)]
    [InlineData("WITH moved AS (DELETE FROM customers WHERE id = 31 RETURNING *) INSERT INTO notes SELECT * FROM moved", true)]
    [InlineData("WITH a AS (DELETE FROM orders WHERE id = 1 RETURNING *), b AS MATERIALIZED (SELECT * FROM a) INSERT INTO notes SELECT * FROM b", false)]
    [InlineData("WITH a AS (SELECT * FROM customers), b AS (SELECT * FROM a) INSERT INTO notes SELECT * FROM b", true)]
    [InlineData("WITH b AS (SELECT * FROM a), a AS (SELECT * FROM orders) INSERT INTO notes SELECT * FROM b", true)]
    [InlineData("WITH moved AS (SELECT c FROM customers c) INSERT INTO notes SELECT * FROM moved", true)]
    // Probe AP2: TABLE is no from-item; AP3: a WITH query named as a masked table does not make the table clean.
    [InlineData("WITH q AS (TABLE customers) INSERT INTO notes SELECT * FROM q", true)]
    [InlineData("WITH q AS (TABLE ONLY public.customers) INSERT INTO notes SELECT * FROM q", true)]
    [InlineData("WITH q AS (TABLE unknown_relation) INSERT INTO notes SELECT * FROM q", true)]
    [InlineData("WITH q AS (TABLE orders) INSERT INTO notes SELECT * FROM q", false)]
    [InlineData("WITH customers AS (SELECT 1 AS id) INSERT INTO notes SELECT * FROM public.customers", true)]
    [InlineData("WITH made_since_login AS (SELECT 1 AS id) INSERT INTO notes SELECT * FROM public.made_since_login", true)] // probe AS1
    [InlineData("WITH made_since_login AS (SELECT 1 AS id) INSERT INTO notes SELECT * FROM made_since_login", false)]
    [InlineData("WITH moved (a) AS (SELECT ssn FROM customers) INSERT INTO notes SELECT * FROM moved", true)]
    // A WITH query naming one only to filter gives its rows none, as INSERT … SELECT id … WHERE note = (SELECT ssn …) does (review R7).
    [InlineData("WITH moved AS (SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE ssn = $1)) INSERT INTO notes SELECT * FROM moved", false)]
    [InlineData("WITH t AS (SELECT id, email FROM customers WHERE ssn LIKE '1%') INSERT INTO notes SELECT * FROM t", false)]
    [InlineData("WITH t AS (SELECT id, ssn FROM customers WHERE ssn LIKE '1%') INSERT INTO notes SELECT * FROM t", true)]
    [InlineData("WITH t AS (SELECT c FROM customers c WHERE c.ssn LIKE '1%') INSERT INTO notes SELECT * FROM t", true)]
    // CREATE TABLE … AS WITH … (probe DE4).
    [InlineData("CREATE TEMP TABLE t3 AS WITH x AS (SELECT id FROM customers WHERE ssn > '5') SELECT id FROM x", false)]
    // Still refused, failing closed: * of a WITH query there (its rows are read as a relation's the catalog does not know).
    [InlineData("CREATE TEMP TABLE t3 AS WITH x AS (SELECT id FROM customers WHERE ssn > '5') SELECT * FROM x", true)]
    [InlineData("CREATE TEMP TABLE t3 AS WITH x AS (SELECT id, ssn AS s FROM customers) SELECT id, s FROM x", true)]
    [InlineData("CREATE TEMP TABLE t3 AS WITH x AS (SELECT id FROM orders) SELECT x.id, c.ssn FROM x JOIN customers c ON c.id = x.id", true)]
    [InlineData("CREATE TEMP TABLE t3 AS WITH x AS (SELECT c FROM customers c WHERE c.ssn > '5') SELECT * FROM x", true)]
    // A renaming CREATE TABLE … AS of a whole relation after a WITH list (probe DF1), a WITH query named like the relation read (DF2).
    [InlineData("CREATE TABLE c2 (a, b, c, d, e) AS WITH x AS (SELECT 1) TABLE customers", true)]
    [InlineData("CREATE TABLE c2 (a, b) AS WITH x AS (SELECT 1) SELECT * FROM customers", true)]
    [InlineData("CREATE TABLE c2 (a, b) AS SELECT id, note FROM orders", false)]
    [InlineData("CREATE TABLE c2 AS WITH w AS (SELECT 1) TABLE customers", true)] // probe DG2
    [InlineData("CREATE TABLE c2 AS WITH w AS (SELECT 1) TABLE orders", false)]
    // In parentheses (probe DH3, DH4), and from a prepared statement (DH2).
    [InlineData("CREATE TABLE n1 AS (WITH w AS (SELECT 1) TABLE customers)", true)]
    [InlineData("CREATE TABLE n1 AS ((( WITH w AS (SELECT 1) TABLE customers )))", true)]
    [InlineData("CREATE TABLE n1 AS ( /*c*/ WITH w AS (SELECT 1) TABLE customers)", true)] // probe DI2
    [InlineData("CREATE TABLE n1 AS (-- c\n\fWITH w AS (SELECT 1) TABLE customers)", true)]
    [InlineData("CREATE TEMP TABLE t6 AS (SELECT id FROM customers WHERE ssn LIKE '1%')", false)]
    [InlineData("CREATE TEMP TABLE t6 AS (SELECT id FROM customers WHERE ssn LIKE '1%') WITH NO DATA", false)] // probe DI3
    [InlineData("CREATE TEMP TABLE t6 AS (SELECT id, ssn AS s FROM customers) WITH DATA", true)]
    [InlineData("CREATE TABLE d3 AS SELECT id, ssn AS s FROM data", true)] // probe DJ2: a relation named data is no WITH DATA
    [InlineData("CREATE TABLE d3 AS SELECT c.id, c.ssn AS s FROM customers c, no data", true)]
    [InlineData("CREATE TABLE d3 (a, b) AS SELECT * FROM data", true)]
    [InlineData("CREATE TABLE e6 (a, b, c, d, e) AS EXECUTE pc1", true)]
    [InlineData("CREATE TABLE e6 AS EXECUTE pc1", true)]
    [InlineData("CREATE TABLE c3 AS WITH customers AS (SELECT 1 AS id) SELECT t.id, t.ssn AS zz FROM public.customers t", true)]
    [InlineData("CREATE TABLE c3 AS WITH customers AS (SELECT 1 AS id) SELECT t.id, t::text AS zz FROM public.customers t", true)]
    [InlineData("CREATE TABLE c3 AS WITH orders AS (SELECT 1 AS id) SELECT t.id, t::text AS zz FROM public.orders t", false)]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT g FROM generate_series(1, 3) g LOOP RAISE NOTICE '%', r; END LOOP; END $$", false)]
    [InlineData("DO $$ DECLARE r record; BEGIN FOR r IN SELECT 1 FROM orders LOOP RAISE NOTICE '%', (SELECT c FROM customers c LIMIT 1); END LOOP; END $$", true)]
    // Probe AR1: a whole row of a relation without masked columns, in a view.
    [InlineData("CREATE VIEW app.v AS SELECT o.note, count(o.*) AS n FROM app.orders o GROUP BY o.note", false)]
    [InlineData("CREATE VIEW v AS SELECT count(c.*) AS n FROM customers c", true)]
    [InlineData("CREATE VIEW v AS SELECT o.note, count(o.*) AS n FROM orders o GROUP BY o.note", false)]
    public void LoadsAndLoopsOverTablesWithoutMaskedColumns_AreNoCopies(string sql, bool refused) =>
        Assert.Equal(refused, Columns.FlowRefusal(sql, relations: new OrdersHoldNoMaskedColumn()) is not null);

    /// <summary>
    /// A copy of rows that may hold masked columns, named like a relation known to hold none, is
    /// refused: it would be taken for that one, and its whole rows went out in clear (probes BE1, BE2).
    /// </summary>
    [Theory]
    [InlineData("CREATE TABLE s2.orders AS SELECT * FROM customers", true)]
    [InlineData("CREATE TEMP TABLE orders AS SELECT * FROM customers", true)]
    [InlineData("CREATE TABLE IF NOT EXISTS pg_temp.notes AS TABLE customers", true)]
    [InlineData("SELECT * INTO TEMP orders FROM customers", true)]
    [InlineData("CREATE MATERIALIZED VIEW s2.orders AS SELECT * FROM made_since_login", true)]
    [InlineData("CREATE TABLE s2.orders AS SELECT * FROM orders", false)]
    [InlineData("CREATE TABLE t AS SELECT * FROM customers", false)]
    // Renamed to a clean name afterwards, or filled by an EXECUTE (probes BF1, BF2).
    [InlineData("ALTER TABLE s2.made_since_login RENAME TO orders", true)]
    [InlineData("ALTER TABLE IF EXISTS made_since_login RENAME TO notes", true)]
    [InlineData("CREATE TEMP TABLE orders AS EXECUTE d2b", true)]
    // ALTER INDEX renames a table too; SELECT INTO LOCAL or GLOBAL TEMP (probes BG1, BG2).
    [InlineData("ALTER INDEX made_since_login RENAME TO orders", true)]
    [InlineData("ALTER INDEX IF EXISTS s2.made_since_login RENAME TO notes", true)]
    [InlineData("SELECT * INTO LOCAL TEMP orders FROM customers", true)]
    [InlineData("SELECT * INTO GLOBAL TEMPORARY TABLE orders FROM customers", true)]
    [InlineData("CREATE LOCAL TEMP TABLE orders AS SELECT * FROM customers", true)]
    [InlineData("ALTER INDEX orders_pkey RENAME TO orders_pk", false)]
    [InlineData("SELECT * INTO LOCAL TEMP brand_new FROM customers", false)]
    [InlineData("ALTER TABLE notes RENAME TO orders", false)]
    [InlineData("ALTER TABLE made_since_login RENAME TO brand_new", false)]
    public void ACopyNamedLikeACleanRelation_IsRefused(string sql, bool refused) =>
        Assert.Equal(refused, Columns.FlowRefusal(sql, relations: new OrdersHoldNoMaskedColumn()) is { } refusal && refusal.Contains("the name of a relation that holds none", StringComparison.Ordinal));

    /// <summary>A relation the catalog does not know yet counts as holding a masked column: the refusal says so, and what to do (probe AR2).</summary>
    [Fact]
    public void ACopyOfAnUnknownRelationsRows_IsRefused_SayingToLogInAgain() =>
        Assert.EndsWith(
            "a relation created since this session logged in counts as holding one until the next login",
            Columns.FlowRefusal("INSERT INTO notes SELECT * FROM made_since_login", relations: new OrdersHoldNoMaskedColumn()),
            StringComparison.Ordinal);

    /// <summary>
    /// A routine whose body writes or keeps what it is given copies a masked column passed to it,
    /// even in a WHERE (probe EF4: a wrapper of set_config; EI4: WHERE stash(ssn) filled a table).
    /// </summary>
    [Theory]
    [InlineData("CREATE FUNCTION stash(t text) RETURNS bool LANGUAGE sql AS $$ INSERT INTO loot VALUES (t) RETURNING true $$", true)]
    [InlineData("CREATE OR REPLACE FUNCTION keep(t text) RETURNS text LANGUAGE sql AS 'SELECT set_config(''my.x'', t, false)'", true)]
    [InlineData("CREATE PROCEDURE tell(t text) LANGUAGE plpgsql AS $$BEGIN PERFORM pg_notify('c', t); END$$", true)]
    [InlineData("CREATE FUNCTION f(t text) RETURNS void LANGUAGE plpgsql AS $$BEGIN UPDATE loot SET v = t; END$$", true)]
    [InlineData("CREATE FUNCTION f(t text) RETURNS bigint LANGUAGE sql AS $$ SELECT setval('s1', length(t)) $$", true)]
    [InlineData("CREATE FUNCTION add1(i int) RETURNS int LANGUAGE sql AS 'SELECT i + 1'", false)]
    [InlineData("CREATE FUNCTION f(t text) RETURNS int LANGUAGE plpgsql AS $$DECLARE n int; BEGIN SELECT count(*) INTO n FROM orders; RETURN n; END$$", false)]
    public void RoutinesThatWriteOrKeep_AreRefused(string sql, bool refused) =>
        Assert.Equal(refused, Columns.FlowRefusal(sql) is { } refusal && refusal.Contains("writes or keeps values", StringComparison.Ordinal));

    /// <summary>As the catalog read at login answers: customers has a masked column, orders none.</summary>
    private sealed class OrdersHoldNoMaskedColumn : IColumnNameLookup
    {
        public bool TryGetColumnName(uint tableOid, short attributeNumber, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? columnName)
        {
            columnName = null;
            return false;
        }

        public bool? RelationHasMaskedColumn(string relationName) => relationName switch { "customers" => true, "orders" or "notes" => false, _ => null };

        public IReadOnlySet<string>? ColumnsOf(string relationName) =>
            relationName == "customers" ? new HashSet<string> { "id", "full_name", "email", "ssn", "card_number", "city", "note" } : null;
    }

    [Theory]
    [InlineData("SELECT translate(histogram_bounds::text, '0123456789', 'abcdefghij') FROM pg_stats WHERE attname = 'ssn'")]
    [InlineData("SELECT * FROM pg_catalog.\"pg_stats_ext\"")]
    [InlineData("SELECT word FROM ts_stat(E'SELECT to_tsvector(''simple'', histogram_bounds::text) FROM pg_\\163tats')")]
    public void TheStatisticsViews_AreRefused(string sql) =>
        Assert.StartsWith("the statistics view pg_stats", Columns.FlowRefusal(sql), StringComparison.Ordinal);

    [Theory]
    [InlineData("SELECT query FROM pg_stat_activity")]
    [InlineData("SELECT translate(query, '0123456789', 'abcdefghij') FROM pg_catalog.pg_stat_activity WHERE pid <> pg_backend_pid()")]
    [InlineData("SELECT * FROM pg_stat_get_activity(NULL)")]
    [InlineData("SELECT s, pg_stat_get_backend_activity(s) FROM pg_stat_get_backend_idset() s")]
    public void ReadingOtherSessionsStatements_IsRefused(string sql) =>
        Assert.Contains("shows the statements of every session", Columns.FlowRefusal(sql), StringComparison.Ordinal);

    [Theory]
    [InlineData("SELECT ssn, replace(ssn, '-', '') AS x FROM customers")]
    [InlineData("SELECT * FROM customers WHERE ssn = '123-45-6789'")]
    [InlineData("WITH s AS (SELECT ssn FROM customers) SELECT ssn FROM s")]
    [InlineData("EXPLAIN ANALYZE SELECT ssn FROM customers")]
    [InlineData("DELETE FROM customers WHERE ssn = '123-45-6789' RETURNING id")]
    [InlineData("UPDATE customers SET ssn = '987-65-4321' WHERE id = 1")]
    [InlineData("UPDATE customers SET (name, card_number) = ('a', 'x') WHERE id = 1")] // probe BY1
    [InlineData("UPDATE customers SET (name, ssn) = ROW('a', 'x') WHERE id = 1")]
    [InlineData("UPDATE customers SET city = 'x' WHERE ssn IS NULL RETURNING ssn")]
    [InlineData("INSERT INTO customers (id, ssn) VALUES (7, '987-65-4321') RETURNING card_number")]
    [InlineData("COPY customers (id, ssn) FROM STDIN")]
    [InlineData("COPY (SELECT id, ssn FROM customers) TO STDOUT WITH (FORMAT csv)")]
    [InlineData("CREATE INDEX ON customers (ssn)")]
    [InlineData("SELECT 'ssn', \"note\" FROM orders -- ssn")]
    [InlineData("CREATE TABLE t AS SELECT id, note FROM orders")]
    [InlineData("DO $$ BEGIN RAISE NOTICE 'hello %', 1; END $$")]
    [InlineData("CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'SELECT 1 /* ssn */'")]
    [InlineData("DECLARE c CURSOR FOR SELECT replace(ssn, '-', '') AS x FROM customers")]
    [InlineData("DECLARE \"_psql_cursor\" NO SCROLL CURSOR FOR SELECT id, email, ssn FROM customers ORDER BY id")]
    [InlineData("DECLARE c CURSOR FOR SELECT substr(s, 1, 6) FROM customers t(id, n, e, p, s)")]
    [InlineData("UPDATE customers c SET note = 'x' WHERE c.id = 1 RETURNING c.id")]
    [InlineData("INSERT INTO customers (id, note) VALUES (1, 'x') RETURNING id")]
    [InlineData("SELECT id FROM customers WHERE id = 1 FOR UPDATE")]
    [InlineData("SELECT id FROM customers c WHERE id = 1 FOR NO KEY UPDATE OF c")]
    [InlineData("SELECT c.id, o.note FROM customers c JOIN orders o USING (id)")]
    [InlineData("MERGE INTO customers c USING (VALUES (1)) v(id) ON c.id = v.id WHEN MATCHED THEN UPDATE SET note = 'x'")]
    // New, empty columns named like masked ones (probe HC2).
    [InlineData("CREATE TABLE people (id int PRIMARY KEY, ssn text NOT NULL, card_number varchar(19))")]
    [InlineData("CREATE TEMP TABLE IF NOT EXISTS p2 (ssn text)")]
    [InlineData("ALTER TABLE people ADD COLUMN ssn text")]
    [InlineData("alter table people add card_number numeric(19, 0)")]
    // A value that stays under a masked column's name (probe CB3, CB4, CB5: refused as copies).
    [InlineData("INSERT INTO customers (id, ssn) VALUES (7, '999-00-1234') ON CONFLICT (id) DO UPDATE SET ssn = EXCLUDED.ssn")]
    [InlineData("INSERT INTO customers (id, ssn) VALUES (7, 'x') ON CONFLICT (id) WHERE true DO UPDATE SET ssn = EXCLUDED.ssn, note = 'y' WHERE customers.ssn IS NULL")]
    [InlineData("MERGE INTO customers t USING (SELECT 5 AS id, 'x' AS v) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET ssn = s.v")]
    [InlineData("MERGE INTO customers t USING staged s ON t.id = s.id WHEN MATCHED AND t.ssn IS NULL THEN UPDATE SET card_number = s.card_number WHEN NOT MATCHED THEN INSERT (id, ssn) VALUES (s.id, 'x')")]
    [InlineData("UPDATE customers SET ssn = upper(ssn) WHERE id = 6")]
    [InlineData("UPDATE people SET info.ssn = '222-33-4444' WHERE id = 1")]
    [InlineData("UPDATE customers SET city = 'x' FROM orders o WHERE o.customer_id = customers.id AND customers.ssn LIKE '1%'")]
    [InlineData("INSERT INTO customers (id, ssn) SELECT id + 1000, 'x' FROM orders ON CONFLICT (id) DO UPDATE SET ssn = EXCLUDED.ssn")]
    [InlineData("INSERT INTO clean (id, v) SELECT id, city FROM customers WHERE ssn IS NOT NULL ORDER BY ssn LIMIT 5")]
    [InlineData("UPDATE customers SET ssn = CASE WHEN ssn LIKE '9%' THEN (SELECT 'x' AS end) ELSE ssn END, note = CASE WHEN id > 1 THEN 'a' END WHERE id = 1")]
    [InlineData("UPDATE customers AS c SET ssn = 'x' WHERE c.id IN (SELECT DISTINCT ON (id) id FROM orders) RETURNING c.ssn AS where")]
    [InlineData("MERGE INTO customers t USING staged s ON t.id = s.id WHEN MATCHED THEN UPDATE SET ssn = s.v WHEN NOT MATCHED THEN DO NOTHING")]
    [InlineData("INSERT INTO customers (id, ssn) SELECT a.id, 'x' FROM orders a JOIN orders b ON a.id = b.id ON CONFLICT (id) DO UPDATE SET ssn = EXCLUDED.ssn")]
    [InlineData("INSERT INTO customers (id, ssn) SELECT a.id, 'x' FROM orders a NATURAL JOIN orders b ON CONFLICT (id) DO UPDATE SET ssn = EXCLUDED.ssn")]
    [InlineData("UPDATE cust2 SET v = v IS DISTINCT FROM 'x', ssn = upper(ssn) WHERE id = 1")] // probe CL1
    [InlineData("UPDATE cust2 SET v = v IS NOT DISTINCT FROM 'x', ssn = upper(ssn) WHERE ssn IS DISTINCT FROM 'y'")]
    [InlineData("UPDATE customers SET ssn = 'x', note = 1.5e3 || 0x1F || 0o17 || 0b101 || 1_000 || .5 WHERE id = 1")]
    [InlineData("INSERT INTO clean (id, v) SELECT id, ('x' = ssn)::text FROM customers")] // review L3
    [InlineData("UPDATE customers SET note = ('123' = card_number)::text WHERE id = 1")]
    [InlineData("UPDATE customers SET ssn = 'x' WHERE id = 1 RETURNING *")]
    [InlineData("UPDATE customers c SET ssn = 'x' FROM orders o WHERE o.customer_id = c.id AND c.card_number IS NULL")]
    [InlineData("UPDATE customers SET ssn=-1 WHERE id=1")]
    [InlineData("UPDATE customers SET note = 'x' WHERE ssn=+1")]
    // A WITH query that gives the write after it no masked value (probe DA2: refused whenever one was named).
    [InlineData("WITH t AS (SELECT id FROM customers WHERE ssn LIKE '001%') UPDATE orders SET status = 'review' WHERE customer_id IN (SELECT id FROM t)")]
    [InlineData("WITH t AS (SELECT id FROM customers WHERE card_number LIKE '4111%' ORDER BY ssn) UPDATE orders SET status = 'x' WHERE customer_id IN (SELECT id FROM t)")]
    [InlineData("WITH t AS (SELECT id FROM customers WHERE ssn = '123-45-6789') UPDATE customers SET ssn = '987-65-4321' WHERE id IN (SELECT id FROM t)")]
    [InlineData("WITH t AS (SELECT 7 AS id) UPDATE customers SET ssn = '987-65-4321' WHERE id IN (SELECT id FROM t)")]
    [InlineData("WITH RECURSIVE t AS (SELECT 7 AS id UNION ALL SELECT id + 1 FROM t WHERE id < 9) UPDATE customers SET card_number = '4242' WHERE id IN (SELECT id FROM t)")]
    [InlineData("WITH t AS (SELECT id FROM customers WHERE ssn LIKE '001%') INSERT INTO orders (id, customer_id, status) SELECT 5000 + id, id, 'x' FROM t")]
    [InlineData("WITH t AS MATERIALIZED (SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.card_number = c.card_number)) UPDATE orders SET note = 'dup' WHERE customer_id IN (SELECT id FROM t)")]
    // CREATE TABLE … AS with a masked column in its filters only (probe DA3).
    [InlineData("CREATE TEMP TABLE y AS SELECT id, email FROM customers WHERE ssn LIKE '0%'")]
    [InlineData("SELECT id, email INTO TEMP TABLE y FROM customers WHERE ssn LIKE '0%'")] // probe DB6
    [InlineData("SELECT id INTO public.y FROM customers WHERE card_number IS NULL ORDER BY ssn")]
    [InlineData("CREATE TABLE IF NOT EXISTS y (a, b) AS SELECT id, city FROM customers WHERE card_number IS NULL ORDER BY ssn WITH NO DATA")]
    // A subquery naming a masked column only to filter, in FROM, in SET or in the select list (probe DE5).
    [InlineData("INSERT INTO archive SELECT id FROM (SELECT id FROM customers WHERE ssn LIKE '1%') s")]
    [InlineData("CREATE TABLE x AS SELECT id FROM (SELECT id FROM customers WHERE ssn LIKE '1%') s")]
    [InlineData("SELECT s.id INTO TEMP y FROM (SELECT id FROM customers WHERE card_number IS NULL) AS s")]
    [InlineData("UPDATE orders SET status = 'x' FROM (SELECT id FROM customers WHERE ssn LIKE '1%') s WHERE orders.customer_id = s.id")]
    [InlineData("INSERT INTO archive SELECT o.id, (SELECT count(*) FROM customers c WHERE c.ssn LIKE '1%') FROM orders o")]
    [InlineData("INSERT INTO archive SELECT b.id, b.city FROM (SELECT id, city FROM (SELECT id, city FROM customers WHERE ssn > '5') a) b")]
    [InlineData("INSERT INTO archive (SELECT id FROM customers WHERE ssn LIKE '1%')")]
    public void ReadingOrWritingInPlace_IsAllowed(string sql) =>
        Assert.Null(Columns.FlowRefusal(sql));

    [Theory]
    [InlineData("SELECT * FROM orders", false)]
    [InlineData("SELECT abalance FROM pgbench_accounts WHERE aid = 42", false)]
    [InlineData("/* x */ DO $$ BEGIN NULL; END $$", true)]
    [InlineData("insert into t values (1)", true)]
    [InlineData("SELECT * FROM pg_catalog.pg_stats", true)]
    [InlineData("SELECT done, undo FROM tasks", false)]
    [InlineData("SELECT pg_advisory_lock(s::bigint) FROM t", true)]
    [InlineData("SELECT lo_from_bytea(0, x) FROM t", true)]
    [InlineData("select SSN from customers", true)]
    [InlineData("SELECT Card_Number FROM customers", true)]
    [InlineData("SELECT U&\"\\0073sn\" FROM customers", true)]
    [InlineData("SELECT word FROM ts_stat(E'SELECT to_tsvector(histogram_bounds::text) FROM pg_\\163tats')", true)]
    public void ThePrefilter_FindsEveryPossibleMention(string sql, bool expected) =>
        Assert.Equal(expected, Columns.MayNameMaskedColumn(Encoding.UTF8.GetBytes(sql)));

    [Fact]
    public void WithoutColumnRules_NothingIsLooked()
    {
        var detectorsOnly = Masker.Compile([new MaskingProfile { Name = "d", Detectors = [MaskingDetector.UsSsn] }]);

        Assert.False(detectorsOnly.MayNameMaskedColumn("CREATE TABLE t AS SELECT ssn FROM customers"u8));
    }
}
