using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

/// <summary>A masked column reached without its plain name still counts as named.</summary>
public sealed class MaskerMentionsTests
{
    private static readonly Masker Columns = Masker.Compile([new MaskingProfile { Name = "pii", Columns = ["ssn", "card_number"] }]);

    [Theory]
    [InlineData("SELECT upper(ssn) FROM customers")]
    [InlineData("SELECT substr(s, 1, 6) FROM customers AS t(id, n, e, p, s)")]
    [InlineData("SELECT substr(s, 1, 6) FROM customers t(id, n, e, p, s)")]
    [InlineData("SELECT substr(s, 1, 6) FROM orders o JOIN customers c(id, n, e, p, s) ON c.id = o.customer_id")]
    [InlineData("SELECT substr(s, 1, 6) FROM (TABLE customers) t(id, n, e, p, s)")]
    [InlineData("SELECT substr(s, 1, 6) FROM (SELECT * FROM customers) AS t(id, n, e, p, s)")]
    [InlineData("WITH t(id, n, e, p, s) AS (SELECT c.* FROM customers c) SELECT s || '' FROM t")]
    [InlineData("WITH t(id, n, e, p, s) AS (TABLE customers) SELECT substr(s, 1, 6) FROM t")]
    [InlineData("WITH t(id, n, e, p, s) AS MATERIALIZED (TABLE customers) SELECT s || '' FROM t")]
    [InlineData("SELECT replace(U&\"\\0073sn\", '-', '/') FROM customers")]
    [InlineData("SELECT translate(e, '0123456789', 'abcdefghij') FROM customers * t(a, b, cc, dd, e)")]
    [InlineData("SELECT translate(e, '0123456789', 'abcdefghij') FROM public.customers* t(a, b, cc, dd, e)")]
    [InlineData("SELECT table_to_xml('customers', false, false, '')::text")]
    [InlineData("SELECT pg_catalog.schema_to_xml('public', false, false, '')")]
    [InlineData("SELECT query_to_xml('select replace(ssn, ''-'', '''') from customers', true, false, '')")]
    [InlineData("SELECT translate(c::text, '0123456789', 'abcdefghij') FROM customers c")]
    [InlineData("SELECT translate(row_to_json(customers)::text, '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("SELECT to_jsonb(c.*) FROM public.customers AS c")]
    [InlineData("SELECT c.*::text FROM customers c")]
    [InlineData("SELECT substr(s, 1, 6) FROM (SELECT c.* FROM customers c) AS t(id, n, e, p, s)")]
    [InlineData("SELECT s FROM (SELECT o.id, c.* FROM orders o JOIN customers c ON c.id = o.customer_id) AS t(i, id, n, e, p, s)")]
    [InlineData("SELECT translate(t::text, '0123456789', 'abcdefghij') FROM (SELECT c.* FROM customers c) t")]
    [InlineData("SELECT translate(concat_ws(',', 1, c.*), '0123456789', 'abcdefghij') FROM customers c")]
    [InlineData("SELECT ROW(c.*) FROM customers c")]
    [InlineData("SELECT concat_ws((','), c.*) FROM customers c")]
    [InlineData("SELECT concat_ws(',', 1, c.*) FROM customers c")]
    [InlineData("SELECT a FROM (VALUES (1, c.*)) v(a, b) CROSS JOIN customers c")]
    [InlineData("SELECT (SELECT x FROM (SELECT 1, c.* || '') s(y, x)) FROM customers c")]
    [InlineData("SELECT \"C\" FROM customers \"C\"")]
    [InlineData("SELECT (SELECT x FROM (SELECT c) s(x)) FROM customers c")]
    [InlineData("SELECT s FROM (SELECT * FROM customers) s")]
    [InlineData("WITH x AS (TABLE customers) SELECT x::text FROM x")]
    [InlineData("SELECT o.id, c FROM orders o JOIN customers c ON c.id = o.customer_id")]
    [InlineData("SELECT c AS whole FROM customers c")]
    [InlineData("DO $$DECLARE r record; BEGIN FOR r IN SELECT * FROM customers LOOP RAISE NOTICE '%', translate(r::text, '0123456789', 'abcdefghij'); END LOOP; END$$")]
    [InlineData("DO $$DECLARE r record; BEGIN FOR r IN TABLE customers LOOP RAISE NOTICE '%', r; END LOOP; END$$")]
    [InlineData("DO $$DECLARE r record; BEGIN SELECT c.* INTO r FROM customers c; RAISE NOTICE '%', r; END$$")]
    [InlineData("DO 'begin raise notice ''v=%'', (select translate(s'\n'sn, ''0123456789'', ''abcdefghij'') from customers where id=1); end'")]
    [InlineData("SELECT query_to_xml('select s'\n'sn from customers', true, false, '')")]
    [InlineData("SELECT translate(e, '0123456789', 'abcdefghij') FROM (customers CROSS JOIN (SELECT 1) z) AS j(a, b, c, d, e, f)")]
    [InlineData("SELECT translate(j::text, '0123456789', 'abcdefghij') FROM (customers CROSS JOIN (SELECT 1) z) j")]
    [InlineData("SELECT e FROM (customers JOIN orders ON true) x(a, b, c, d, e)")]
    [InlineData("SELECT translate(e, '0123456789', 'abcdefghij') FROM (SELECT 1 a, '' b, '' c, '' d, '' e WHERE false UNION ALL SELECT * FROM customers) u")]
    [InlineData("WITH u AS (SELECT 1 a, '' e WHERE false UNION ALL TABLE customers) SELECT translate(e, '0123456789', 'abcdefghij') FROM u")]
    [InlineData("SELECT 1 a, 'x' b UNION ALL (SELECT * FROM customers LIMIT 2)")]
    [InlineData("SELECT translate(c.row_to_json::text, '0123456789', 'abcdefghij') FROM customers c")]
    [InlineData("SELECT translate(c.json_agg::text, '0123456789', 'abcdefghij') FROM customers c WHERE id = 1")]
    [InlineData("SELECT translate((c).array_agg::text, '0123456789', 'abcdefghij') AS x FROM customers c")]
    [InlineData("SELECT translate(customers.jsonb_agg::text, '0123456789', 'abcdefghij') FROM customers WHERE id = 2")]
    [InlineData("SELECT translate(c.any_value::text, '0123456789', 'abcdefghij') FROM customers c")]
    // Schema-qualified (probe DV1).
    [InlineData("SELECT translate(public.customers.json_agg::text, '0123456789', 'abcdefghij') FROM customers WHERE id = 1")]
    [InlineData("SELECT translate(demo.public.customers.row_to_json::text, '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("SELECT translate(public.customers.*::text, '0123456789', 'abcdefghij') FROM customers WHERE id = 2")]
    [InlineData("SELECT translate(row_to_json(public.customers.*)::text, '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("SELECT translate(string_agg(public.customers.*::text, ';') FILTER (WHERE id < 3), '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("SELECT translate(public.customers.to_jsonb->>'card_number', '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("SELECT translate(\"public\".\"customers\".json_agg::text, '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("SELECT translate(public . customers . \"json_agg\"::text, '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("SELECT translate(PUBLIC.CUSTOMERS.JSON_AGG::text, '0123456789', 'abcdefghij') FROM CUSTOMERS")]
    [InlineData("SELECT translate(public./*x*/customers.row_to_json::text, '0123456789', 'abcdefghij') FROM customers")]
    [InlineData("SELECT translate((public.customers.*)::text, '0123456789', 'abcdefghij') FROM customers")]
    // SQL pasted from fragments (probe DW1).
    [InlineData("SELECT * FROM xpath_table('id', 'xmlelement(name a, translate(c::text,''0123456789'',''abcdefghij''))::text', 'customers c', '/a', 'id<=2') AS t(id int, v text)")]
    [InlineData("SELECT * FROM ext.connectby('customers c', 'translate(c::text,''0123456789'',''abcdefghij'')', 'c.id::text', '1', 1) AS t(k text, p text, l int)")]
    [InlineData("SELECT customers.to_jsonb FROM customers")]
    [InlineData("SELECT (SELECT string_agg(x.row_to_json::text, ';') FROM customers x)")]
    [InlineData("SELECT count(*) AS n, c FROM customers c GROUP BY c")]
    [InlineData("SELECT upper(ssn) AS ssn FROM customers")]
    [InlineData("SELECT DISTINCT ON (id) ssn::bytea AS x FROM customers")]
    [InlineData("SELECT DISTINCT ON (id) c FROM customers c")]
    [InlineData("SELECT 0 AS ssn, (mode() WITHIN GROUP (ORDER BY ssn))::bytea AS x FROM customers GROUP BY id")]
    [InlineData("SELECT 0 AS ssn, percentile_disc(0.5) WITHIN GROUP (ORDER BY ssn) FROM customers")]
    [InlineData("WITH a AS (SELECT 0 AS ssn) SELECT upper(note) FROM customers ORDER BY ssn")]
    [InlineData("SELECT 1 AS ssn; SELECT upper(note) FROM customers ORDER BY ssn")]
    [InlineData("SELECT 0 AS ssn, count(*) FROM customers GROUP BY ssn")]
    [InlineData("SELECT count(*) orders, 1 + 1 FROM orders")]
    [InlineData("SELECT DISTINCT FROM customers c WHERE c IS NOT NULL")]
    [InlineData("SELECT 1 AS x, upper(ssn) FROM customers ORDER BY ssn")]
    [InlineData("SELECT extract(year FROM now()), translate(c::text, '0123456789', 'abcdefghij') FROM customers c")]
    [InlineData("SELECT 1 AS x FROM customers c ORDER BY translate(c::text, '0123456789', 'abcdefghij')")]
    [InlineData("SELECT CAST(c AS text) FROM customers c")]
    [InlineData(@"SELECT query_to_xml('select \163sn from customers', true, false, '')")]
    [InlineData(@"SELECT query_to_xml('select s\x73n from customers', true, false, '')")]
    [InlineData(@"SELECT '\'' , ssn , ''' FROM customers --'")]
    [InlineData("SELECT translate(row_to_json(pg_class)::text, '0123456789', 'abcdefghij') FROM customers pg_class")]
    [InlineData("SELECT translate(\"pg_x\"::text, '0123456789', 'abcdefghij') FROM customers AS \"pg_x\"")]
    [InlineData("SELECT translate(pg_x::text, '0123456789', 'abcdefghij') FROM (SELECT * FROM customers) pg_x")]
    [InlineData("WITH pg_w AS (SELECT * FROM customers) SELECT translate(pg_w::text, '0123456789', 'abcdefghij') FROM pg_w")]
    [InlineData("WITH pg_class AS NOT MATERIALIZED (TABLE customers) SELECT row_to_json(t) FROM pg_class t")]
    [InlineData("SELECT translate(x::text, '0123456789', 'abcdefghij') FROM unnest(array(SELECT pg_y FROM customers pg_y)) x")]
    [InlineData("SELECT translate(c::text, '0123456789', 'abcdefghij') FROM (customers c CROSS JOIN (SELECT 1) z)")]
    [InlineData("SELECT translate(c::text, '0123456789', 'abcdefghij') FROM (orders o JOIN customers c ON c.id = o.customer_id)")]
    [InlineData("SELECT translate(c::text, '0123456789', 'abcdefghij') FROM ((customers c CROSS JOIN (SELECT 1) x))")]
    [InlineData("SELECT translate(c::text, '0123456789', 'abcdefghij') FROM (((customers c LEFT JOIN (SELECT 1) x ON true)))")]
    [InlineData("SELECT translate(c::text, '0123456789', 'abcdefghij') FROM (SELECT 1) y CROSS JOIN ((customers c NATURAL JOIN (SELECT 1 AS id) x))")]
    [InlineData("SELECT translate(j::text, '0123456789', 'abcdefghij') FROM ((customers c CROSS JOIN (SELECT 1) x)) j")]
    [InlineData("SELECT upper(x) FROM unnest(ARRAY[(SELECT ssn FROM customers LIMIT 1)]) WITH ORDINALITY AS u(x, n)")]
    public void RenamedEscapedOrQuotedReferences_Count(string sql) =>
        Assert.True(Columns.MentionsMaskedColumn(sql));

    [Theory]
    [InlineData("SELECT upper(full_name), count(*) FROM customers GROUP BY 1")]
    [InlineData("SELECT g FROM generate_series(1, 3) g")]
    [InlineData("SELECT x FROM customers c, generate_series(1, 3) x")]
    [InlineData("SELECT CAST(amount AS numeric(10, 2)) FROM orders")]
    [InlineData("SELECT * FROM customers c JOIN orders o USING (id) WHERE o.id IN (1, 2)")]
    [InlineData("SELECT c.* FROM customers c")]
    [InlineData("SELECT COUNT(*) FROM (SELECT t.* FROM public.orders t) dbvrcnt")]
    [InlineData("SELECT o.id, c.* FROM orders o JOIN customers c ON c.id = o.customer_id")]
    [InlineData("SELECT DISTINCT c.*, upper(city) FROM customers c")]
    [InlineData("SELECT x FROM ((SELECT 1 AS x, c.* FROM customers c)) s")]
    [InlineData("SELECT x FROM (WITH w AS (SELECT 1) SELECT 1 AS x, c.* FROM customers c) s")]
    [InlineData("WITH t AS (SELECT id FROM customers) SELECT count(*) FROM t")]
    [InlineData("INSERT INTO orders (id, note) VALUES (1, 'x')")]
    [InlineData("SELECT a.x, typ.oid FROM (SELECT 1 AS x) a, (SELECT oid, typname FROM pg_type) AS typ LEFT JOIN pg_class AS cls ON (cls.oid = typ.oid)")]
    [InlineData("SELECT t.typname FROM pg_type t WHERE t.oid IN (SELECT typelem FROM pg_type) AND EXISTS (SELECT 1)")]
    [InlineData("SELECT c.relname FROM pg_class c JOIN LATERAL (SELECT 1) l ON true")]
    [InlineData("SELECT x FROM pg_catalog.generate_series(1, 3) x")]
    [InlineData("SELECT i FROM generate_series(1, 3) AS g(i)")]
    [InlineData("SELECT a FROM (SELECT 1) s(a)")]
    [InlineData("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT n FROM t")]
    [InlineData("SELECT x FROM unnest(ARRAY[1, 2]) AS u(x)")]
    [InlineData("SELECT k, v FROM jsonb_each('{\"a\": 1}') AS j(k, v)")]
    [InlineData("SELECT o.id, v.label FROM orders o JOIN (VALUES ('paid', 'Paid')) v(status, label) ON v.status = o.status")]
    [InlineData("WITH totals(customer_id, spent) AS (SELECT customer_id, sum(total) FROM orders GROUP BY 1) SELECT customer_id, spent FROM totals")]
    [InlineData("SELECT * FROM orders o, LATERAL unnest(array[1, 2]) u")]
    [InlineData("SELECT g::text FROM generate_series(1, 3) AS g")]
    [InlineData("SELECT v FROM (VALUES (1), (2)) v")]
    [InlineData("SELECT o.id, o.total FROM orders o")]
    [InlineData("WITH t AS (SELECT id FROM customers), u AS MATERIALIZED (SELECT 1) SELECT t.id FROM t, u")]
    [InlineData("SELECT s.a FROM (SELECT id AS a FROM customers) s")]
    [InlineData("SELECT s.a FROM ((SELECT id AS a FROM customers)) s")]
    [InlineData("SELECT row_to_json(t) FROM pg_namespace t")]
    [InlineData("SELECT row_to_json(n), c.relname FROM pg_catalog.pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid")]
    [InlineData("SELECT to_json(s) FROM pg_catalog.pg_settings AS s WHERE name = 'TimeZone'")]
    [InlineData("DO $$DECLARE n bigint; BEGIN SELECT count(*) INTO n FROM orders; RAISE NOTICE '%', n * 2; END$$")]
    [InlineData("UPDATE orders SET status = NULL WHERE id = (SELECT min(id) FROM orders)")]
    [InlineData("INSERT INTO orders (id) SELECT max(id) + 1 FROM orders")]
    [InlineData("SELECT count(*) AS orders FROM orders")]
    [InlineData("SELECT count(*) AS n, 1 AS ssn FROM orders")]
    [InlineData("SELECT city AS card_number, upper(city) FROM customers ORDER BY card_number")]
    [InlineData("SELECT city, count(*) AS orders FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY city ORDER BY orders DESC")]
    [InlineData("SELECT extract(year FROM placed_at) AS y, placed_at::date FROM orders")]
    [InlineData("SELECT trim(BOTH ' ' FROM status), substring(status FROM 2 FOR 3), status FROM orders")]
    [InlineData("SELECT overlay(status PLACING 'x' FROM 1), status FROM orders")]
    [InlineData("SELECT total IS DISTINCT FROM tax, tax FROM orders")]
    [InlineData(@"SELECT 1 AS one, 'C:\temp' AS path")]
    [InlineData(@"SELECT id, substring(status from '\w+'), length(status) FROM orders")]
    [InlineData(@"SELECT 1::int4, '\x0102'::bytea, 'x' ~ '\d'")]
    [InlineData(@"SELECT regexp_replace(note, '\d{4}', 'x') FROM orders WHERE note ~ 'card\s'")]
    [InlineData("SELECT public.customers.* FROM public.customers")]
    [InlineData("SELECT count(*) FROM (SELECT public.orders.* FROM public.orders) x")]
    [InlineData("SELECT upper(public.customers.city) FROM public.customers")]
    // A function's WITH ORDINALITY and its alias list (probe DT2, DT3: psql's \d of a table with triggers).
    [InlineData("SELECT a.x, a.n FROM generate_series(10, 12) WITH ORDINALITY AS a(x, n)")]
    [InlineData("SELECT t.tag, t.pos FROM orders p, unnest(p.tags) with ordinality t(tag, pos) WHERE p.id = 1")]
    [InlineData("SELECT t.tgname, pg_catalog.pg_get_triggerdef(t.oid, true), t.tgenabled, t.tgisinternal,\n" +
        "  CASE WHEN t.tgparentid != 0 THEN\n    (SELECT u.tgrelid::pg_catalog.regclass\n     FROM pg_catalog.pg_trigger AS u,\n" +
        "          pg_catalog.pg_partition_ancestors(t.tgrelid) WITH ORDINALITY AS a(relid, depth)\n" +
        "     WHERE u.tgname = t.tgname AND u.tgrelid = a.relid\n           AND u.tgparentid = 0\n     ORDER BY a.depth LIMIT 1)\n" +
        "  END AS parent\nFROM pg_catalog.pg_trigger t\nWHERE t.tgrelid = '16385' AND (NOT t.tgisinternal OR (t.tgisinternal AND t.tgenabled = 'D')\n" +
        "    OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend WHERE objid = t.oid\n        AND refclassid = 'pg_catalog.pg_trigger'::pg_catalog.regclass))\nORDER BY 1;")]
    public void OrdinaryStatements_DoNotCount(string sql) =>
        Assert.False(Columns.MentionsMaskedColumn(sql));

    [Theory]
    [InlineData("SELECT count(*) FROM customers WHERE ssn IS NOT NULL", false)]
    [InlineData("SELECT count(*) FROM customers c WHERE EXISTS (SELECT 1 FROM customers c2 WHERE c2.ssn = c.ssn AND c2.id <> c.id)", false)]
    [InlineData("SELECT id FROM customers WHERE ssn LIKE '1%' ORDER BY id", false)]
    [InlineData("SELECT count(*) FROM customers WHERE ssn IS NOT NULL GROUP BY ssn", true)]
    [InlineData("SELECT upper(ssn) FROM customers WHERE id = 1", true)]
    [InlineData("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id AND c.card_number <> o.card_number", false)]
    [InlineData("SELECT o.total * 2 FROM orders o JOIN customers c USING (card_number)", true)]
    [InlineData("SELECT translate(j::text, '0123456789', 'abcdefghij') FROM customers c1 JOIN customers c2 USING (ssn) AS j WHERE c1.id = c2.id", true)]
    [InlineData("SELECT c.city, count(*) FROM customers c JOIN orders o ON c.card_number = o.card_number GROUP BY c.city", false)]
    [InlineData("SELECT upper(c.ssn) FROM orders o JOIN customers c ON c.id = o.customer_id", true)]
    [InlineData("SELECT x.s FROM orders o JOIN customers c ON c.id = o.customer_id, LATERAL (SELECT ssn || '' AS s FROM customers) x", true)]
    [InlineData("SELECT x.s FROM orders o JOIN customers c ON c.id = o.customer_id LEFT JOIN (SELECT ssn || '' AS s FROM customers) x ON true", true)]
    [InlineData("SELECT (SELECT max(ssn) FROM customers) AS m FROM orders WHERE id = 1", true)]
    [InlineData("SELECT 1 FROM orders WHERE id = 1 UNION SELECT ssn FROM customers", true)]
    [InlineData("SELECT count(*) FROM customers WHERE ssn IS NULL; SELECT ssn || '' FROM customers", true)]
    [InlineData("SELECT DISTINCT ON (id) translate(ssn, '0123456789', 'abcdefghij') FROM customers ORDER BY id", true)]
    [InlineData("SELECT distinct on (id, city) city, upper(card_number) FROM customers", true)]
    [InlineData("SELECT DISTINCT ON (ssn) id FROM customers", true)]
    [InlineData("SELECT CASE WHEN id > 1 THEN upper(ssn) END FROM customers", true)]
    [InlineData("SELECT count(*) FILTER (WHERE ssn IS NULL), upper(ssn) FROM customers", true)]
    [InlineData("SELECT x.u FROM orders o LEFT JOIN LATERAL (SELECT upper(c.ssn) AS u FROM customers c WHERE c.id = o.customer_id) x ON true", true)]
    [InlineData("WITH x AS (SELECT ssn FROM customers WHERE id > 1) SELECT upper(ssn) FROM x", true)]
    [InlineData("SELECT ARRAY(SELECT ssn FROM customers WHERE id = 1)", true)]
    [InlineData("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) CYCLE n SET c USING p SELECT translate(ssn, '0123456789', 'abcdefghij') FROM customers", true)]
    [InlineData("SELECT translate(ssn, '0123456789', 'abcdefghij') FROM customers ORDER BY id USING <", true)]
    [InlineData("SELECT o.total FROM orders o JOIN customers c USING (card_number) WHERE c.ssn IS NOT NULL", true)]
    [InlineData("SELECT o.total FROM orders o JOIN customers c USING (id) WHERE c.ssn IS NOT NULL", false)]
    [InlineData("SELECT count(*) FROM customers WHERE ssn IN (SELECT ssn FROM customers WHERE id < 5)", false)]
    [InlineData("SELECT upper(note) FROM orders o JOIN customers c ON c.id IN (SELECT id FROM customers WHERE ssn IS NOT NULL)", false)]
    public void ForResults_AMaskedColumnOnlyInAFilter_DoesNotCount(string sql, bool counts)
    {
        Assert.Equal(counts, Columns.MentionsMaskedColumnInResults(sql));
        Assert.True(Columns.MentionsMaskedColumn(sql));
    }

    [Theory]
    [InlineData("SELECT row_to_json(o) FROM orders o", false)]
    [InlineData("WITH orders AS (SELECT * FROM customers) SELECT translate(row_to_json(o)::text, '0123456789', 'abcdefghij') FROM orders o", true)]
    [InlineData("WITH x(a) AS (SELECT 1), orders AS MATERIALIZED (TABLE customers) SELECT orders::text FROM orders", true)]
    [InlineData("SELECT translate(orders::text, '0123456789', 'abcdefghij') FROM customers orders", true)]
    public void WholeRows_OfARelationWithoutMaskedColumns_DoNotCount_UnlessAWithQueryOrAliasTakesItsName(string sql, bool counts) =>
        Assert.Equal(counts, Columns.MentionsMaskedColumnInResults(sql, new Relations()));

    /// <summary>
    /// Where a function already in the database may keep a masked column's value in a setting, a
    /// read of settings counts, except a SHOW of one that holds no free text, which drivers send
    /// (probe DQ6: pgjdbc's getTransactionIsolation() read SHOW's masked answer as READ COMMITTED).
    /// </summary>
    [Theory]
    [InlineData("SHOW TRANSACTION ISOLATION LEVEL", false)]
    [InlineData("show  transaction_isolation;", false)]
    [InlineData("SHOW \"server_version\"", false)]
    [InlineData("SHOW standard_conforming_strings; SHOW is_superuser", false)]
    [InlineData("SELECT 1", false)]
    [InlineData("SHOW my.s", true)]
    [InlineData("SHOW search_path", true)]
    [InlineData("SHOW application_name", true)]
    [InlineData("SHOW ALL", true)]
    [InlineData("SHOW transaction_isolation; SHOW my.s", true)]
    [InlineData("SHOW transaction_isolation -- and then\nSELECT current_setting('my.s')", true)]
    [InlineData("SELECT current_setting('transaction_isolation')", true)]
    [InlineData("SELECT s.show_transaction_isolation()", false)]
    [InlineData("SELECT x.show transaction_isolation", true)]
    [InlineData("SHOW transaction_isolation_x", true)]
    public void ReadsOfKeptValues_Count_ButNotASettingWithoutFreeText(string sql, bool counts)
    {
        Assert.Equal(counts, Columns.MentionsMaskedColumnInResults(sql, new Relations { SideChannelsMayHoldMasked = true }));
        Assert.False(Columns.MentionsMaskedColumnInResults(sql, new Relations()));
    }

    /// <summary>
    /// A name after <c>c.</c> that is not one of c's columns is a function or cast applied to c's
    /// row (<c>c.f</c> is <c>f(c)</c>), whichever the database holds: a superuser's implicit cast of
    /// the row to text (<c>c.upper</c>), a function made since the login, one in pg_catalog (probe
    /// DV4–DV6). A column of c, a system column, a schema's function <c>c.f(…)</c> and a name
    /// whose relation's columns are not known stay what they were.
    /// </summary>
    [Theory]
    [InlineData("SELECT translate(c.upper, '0123456789', 'abcdefghij') FROM customers c", true)]
    [InlineData("SELECT c.reverse FROM customers AS c WHERE id = 1", true)]
    [InlineData("SELECT (c).lower FROM customers c", true)]
    [InlineData("SELECT customers.md5 FROM customers", true)]
    [InlineData("SELECT \"C\".\"Leak\" FROM public.customers \"C\"", true)]
    [InlineData("SELECT public.customers.leak FROM customers", true)]
    [InlineData("SELECT o.id, c.leak FROM orders o JOIN customers c ON c.id = o.customer_id", true)]
    [InlineData("UPDATE customers c SET note = c.leak WHERE id = 1 RETURNING id", true)]
    [InlineData("SELECT x.leak FROM orders x, customers x", true)]
    [InlineData("SELECT c.full_name, c.email_address, c.id FROM customers c", false)]
    [InlineData("SELECT c.ctid, c.xmin, c.tableoid FROM customers c", false)]
    [InlineData("SELECT c.id, public.leak(1) FROM customers c", false)]
    [InlineData("SELECT c.leak FROM (SELECT 1 AS leak) c", false)]
    [InlineData("SELECT c.leak FROM orders c", false)]
    public void ANameThatIsNoColumnOfTheRow_IsAFunctionOfTheRow(string sql, bool counts)
    {
        var relations = new Relations
        {
            Columns = new Dictionary<string, IReadOnlySet<string>> { ["customers"] = new HashSet<string> { "id", "full_name", "email_address", "note", "ssn" } },
        };
        Assert.Equal(counts, Columns.MentionsMaskedColumnInResults(sql, relations));

        // Without the columns, only pg_catalog's row functions are known.
        Assert.False(Columns.MentionsMaskedColumnInResults(sql, new Relations()));
    }

    /// <summary>As the catalog read at login answers: customers has a masked column, orders none.</summary>
    private sealed class Relations : IColumnNameLookup
    {
        public IReadOnlyDictionary<string, IReadOnlySet<string>> Columns { get; init; } = new Dictionary<string, IReadOnlySet<string>>();

        public IReadOnlySet<string>? ColumnsOf(string relationName) => Columns.GetValueOrDefault(relationName);

        public bool TryGetColumnName(uint tableOid, short attributeNumber, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? columnName)
        {
            columnName = null;
            return false;
        }

        public bool? RelationHasMaskedColumn(string relationName) => relationName switch { "customers" => true, "orders" => false, _ => null };

        public bool SideChannelsMayHoldMasked { get; init; }
    }
    [Fact]
    public void DeeplyNestedStatements_AreReadWhole()
    {
        // Probe AE: 200,000 nested calls took 53 s of a core, each parenthesis scanned to its match;
        // now each question about the parentheses is answered from one pass (TokenIndex).
        const int depth = 100_000;
        string Nest(string open, string inner) => string.Concat(Enumerable.Repeat(open, depth)) + inner + new string(')', depth);

        Assert.False(Columns.MentionsMaskedColumn("SELECT " + Nest("abs(", "1")));
        Assert.True(Columns.MentionsMaskedColumn("SELECT " + Nest("abs(", "ssn") + " FROM customers"));
        Assert.False(Columns.MentionsMaskedColumn("SELECT " + Nest("(SELECT ", "1")));
        Assert.True(Columns.MentionsMaskedColumn("SELECT " + Nest("(", "(SELECT translate(c::text, '0', 'a') FROM customers c)")));
        Assert.True(Columns.MentionsMaskedColumn(string.Concat(Enumerable.Repeat("WITH w(a) AS (", 1000)) + "TABLE customers" + new string(')', 1000) + " SELECT a FROM w"));
    }
}
