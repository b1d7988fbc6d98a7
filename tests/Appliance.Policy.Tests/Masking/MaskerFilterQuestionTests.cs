using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

/// <summary>
/// A filter comparing a masked column with what the statement makes per row asks a question
/// about each value per row; with digits and positions one statement read every SSN (probe DZ2).
/// Compared with constants, parameters and other masked columns, a filter is a lookup.
/// </summary>
public sealed class MaskerFilterQuestionTests
{
    private static readonly Masker Columns = Masker.Compile([new MaskingProfile { Name = "pii", Columns = ["ssn", "card_number"] }]);

    [Theory]
    [InlineData("SELECT c.id, string_agg(d::text, '' ORDER BY p) FROM customers c, generate_series(1, 11) p, generate_series(0, 9) d WHERE c.id <= 5 AND substr(c.ssn, p, 1) = d::text GROUP BY c.id")]
    [InlineData("SELECT p, (SELECT d FROM generate_series(0, 9) d, customers c WHERE c.id = 1 AND substr(replace(c.card_number, ' ', ''), p, 1) = d::text) FROM generate_series(1, 16) p")]
    [InlineData("SELECT x FROM customers c JOIN LATERAL (SELECT g AS x FROM generate_series(0, 999) g) l ON l.x = substr(c.ssn, 1, 3)::int WHERE c.id <= 3")]
    [InlineData("SELECT g FROM generate_series(1, 100000) g WHERE g = (SELECT substr(replace(ssn, '-', ''), 5, 5)::int FROM customers WHERE id = 1)")]
    [InlineData("SELECT d.pos, d.digit FROM customers c JOIN digits d ON substr(c.ssn, d.pos, 1) = d.digit")]
    [InlineData("SELECT d FROM customers c, generate_series(0, 9) d WHERE d::text BETWEEN substr(c.ssn, 1, 1) AND '9'")]
    [InlineData("SELECT d FROM customers c, generate_series(0, 9) d WHERE d BETWEEN 0 AND substr(c.ssn, 1, 1)::int")]
    [InlineData("SELECT d FROM customers c, generate_series(0, 9) d WHERE c.id = 1 AND (substr(c.ssn, 1, 1) = d::text OR false)")]
    [InlineData("SELECT p, d FROM customers c, generate_series(1, 200) p, generate_series(0, 9) d WHERE substr(c::text, p, 1) = d::text")]
    [InlineData("SELECT count(*) FILTER (WHERE substr(ssn, p, 1) = '1') FROM customers, generate_series(1, 11) p GROUP BY p")]
    [InlineData("SELECT p, d FROM customers c, generate_series(1, 11) p, generate_series(0, 9) d GROUP BY p, d HAVING bool_or(substr(c.ssn, p, 1) = d::text)")]
    [InlineData("UPDATE notes n SET body = d::text FROM customers c, generate_series(0, 9) d WHERE substr(c.ssn, 1, 1) = d::text AND n.id = c.id")]
    [InlineData("SELECT g FROM generate_series(0, 9) g WHERE EXISTS (SELECT 1 FROM customers c WHERE substr(c.ssn, 1, 1) = g::text)")]
    // Alternatives that each compare with a constant, and put the answer in another row source's column.
    [InlineData("SELECT c.id, d FROM customers c, generate_series(0, 9) d WHERE (substr(c.ssn, 1, 1) = '0' AND d = 0) OR (substr(c.ssn, 1, 1) = '1' AND d = 1)")]
    [InlineData("SELECT c.id, d FROM customers c CROSS JOIN generate_series(0, 9) d WHERE (d = 0 AND (substr(c.ssn, 1, 1) = '0' OR false)) OR (d = 1 AND substr(c.ssn, 1, 1) = '1')")]
    [InlineData("SELECT c.id, d FROM customers c, generate_series(0, 9) d WHERE CASE WHEN substr(c.ssn, 1, 1) = '1' THEN d = 1 ELSE d = 0 END")]
    [InlineData("MERGE INTO notes n USING customers c ON substr(c.ssn, 1, 1) = n.body WHEN MATCHED THEN DO NOTHING")]
    // left( and right( are functions, not a join's words (probe EA2).
    [InlineData("SELECT x.id FROM customers c, customers p, customers x WHERE right(left(replace(c.ssn, '-', ''), p.id), 1)::int + 1 = x.id")]
    [InlineData("SELECT x.id FROM customers c JOIN customers x ON pg_catalog.left(c.ssn, 1)::int = x.id")]
    // A masked value under a name the statement gives it (probe EC1, EC3), or another masked value at other positions (EC5).
    [InlineData("SELECT s.id, x.id FROM (SELECT id, substr(ssn, 1, 1)::int d FROM customers) s JOIN customers x ON x.id = s.d")]
    [InlineData("WITH RECURSIVE r AS (SELECT c.id, c.ssn s, g.p, 0 n FROM customers c, generate_series(1, 9) g(p) UNION ALL SELECT id, s, p, n + 1 FROM r WHERE n < substr(replace(s, '-', ''), p, 1)::int) SELECT c.id, pp.id FROM r JOIN customers c ON c.id = r.id JOIN customers pp ON pp.id = r.p")]
    [InlineData("SELECT c.id, x.id FROM customers c JOIN customers x ON substr(c.ssn, 2, 1) = substr(x.ssn, 1, 1) WHERE c.id <= 3")]
    [InlineData("SELECT c.id, (SELECT x.id FROM customers x WHERE x.id <= 12 AND substr(c.ssn, 1, 1) = x.id::text) FROM customers c")]
    // Two masked columns compared by pattern or order, not equality (probe ED2, ED7).
    [InlineData("SELECT c.id, b.id FROM customers c JOIN blocklist b ON c.ssn LIKE b.ssn")]
    [InlineData("SELECT c.id FROM customers c JOIN customers x ON x.ssn < c.ssn")]
    // Membership only in a table's own masked column, after IN or ANY (review H2); FOR in a function's arguments (H3).
    [InlineData("SELECT g FROM generate_series(0, 999999999) g WHERE to_char(g, 'FM000-00-0000') = ANY (SELECT ssn FROM customers)")]
    [InlineData("WITH digits AS (SELECT g::text AS ssn, g AS n FROM generate_series(0, 9) g) SELECT c.id, x.id FROM customers c, customers x WHERE substr(c.ssn, 1, 1) IN (SELECT ssn FROM digits WHERE digits.n = x.id - 1)")]
    [InlineData("SELECT c.id, x.id FROM customers c, customers x WHERE x.id = length(substring('0123456789' FOR substr(c.ssn, 1, 1)::int))")]
    public void AFilterComparingAMaskedValueWithPerRowValues_IsRefused(string sql) =>
        Assert.StartsWith("a filter compares the masked column", Columns.FlowRefusal(sql), StringComparison.Ordinal);

    /// <summary>A set-returning function given a masked value returns as many rows as it says (probe EA3).</summary>
    [Theory]
    [InlineData("SELECT c.id FROM customers c, generate_series(0, substr(c.ssn, 1, 3)::int) g")]
    [InlineData("SELECT c.id, generate_series(1, substr(c.ssn, 1, 3)::int) FROM customers c")]
    [InlineData("SELECT c.id FROM customers c CROSS JOIN LATERAL unnest(array_fill(1, ARRAY[substr(c.ssn, 5, 2)::int])) x")]
    [InlineData("SELECT id FROM customers c, regexp_split_to_table(repeat('x,', right(c.card_number, 3)::int), ',') x")]
    // LIMIT and OFFSET set by the value, per row in a LATERAL subquery (probe EC2).
    [InlineData("SELECT c.id, l.id FROM customers c CROSS JOIN LATERAL (SELECT x.id FROM customers x ORDER BY x.id OFFSET substr(c.ssn, 1, 1)::int LIMIT 1) l")]
    [InlineData("SELECT c.id FROM customers c CROSS JOIN LATERAL (SELECT 1 FROM customers x LIMIT substr(c.ssn, 1, 1)::int) l")]
    public void ASetReturningFunctionGivenAMaskedValue_IsRefused(string sql) =>
        Assert.Matches("^(a set-returning function|the number of rows)", Columns.FlowRefusal(sql));

    [Theory]
    [InlineData("SELECT full_name FROM customers WHERE ssn = '123-45-6789'")]
    [InlineData("SELECT full_name FROM customers WHERE ssn = $1")]
    [InlineData("SELECT full_name FROM customers c WHERE right(c.ssn, 4) = '6789' AND c.id > 10")]
    [InlineData("SELECT id FROM customers WHERE (ssn LIKE '1%' OR ssn LIKE '2%') AND full_name ILIKE $1")]
    [InlineData("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.ssn = $1 AND o.total > 10")]
    [InlineData("SELECT a.id FROM customers a JOIN customers b ON a.ssn = b.ssn AND a.id < b.id")]
    [InlineData("SELECT id FROM customers WHERE ssn IS NOT NULL AND card_number IS DISTINCT FROM NULL")]
    [InlineData("SELECT id FROM customers WHERE ssn = ANY ($1) OR ssn IN ('1', '2')")]
    [InlineData("SELECT id FROM customers WHERE ssn BETWEEN '100' AND '200' AND created_at > current_date - INTERVAL '1 day'")]
    [InlineData("SELECT id FROM customers WHERE replace(ssn, '-', '')::bigint > 100000000 AND lower(full_name) = lower($2)")]
    [InlineData("SELECT id FROM customers WHERE ssn COLLATE \"C\" > '5' AND NOT (card_number LIKE '4%')")]
    [InlineData("SELECT id FROM customers WHERE CAST(substr(ssn, 1, 3) AS integer) < 500")]
    [InlineData("SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM customers x WHERE x.ssn = c.ssn AND x.id <> c.id)")]
    [InlineData("UPDATE customers SET note = 'checked' WHERE ssn = $1")]
    [InlineData("DELETE FROM customers WHERE card_number = $1 RETURNING id")]
    [InlineData("INSERT INTO customers (id, ssn) VALUES (1, $1) ON CONFLICT (ssn) DO UPDATE SET note = excluded.note")]
    [InlineData("CREATE INDEX ON customers (ssn) WHERE ssn IS NOT NULL")]
    [InlineData("SELECT count(*) FROM customers WHERE length(ssn) <> 11")]
    [InlineData("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'open' AND (c.ssn = $1 OR c.card_number = $2)")]
    [InlineData("SELECT id FROM customers c WHERE (c.ssn = $1 AND c.active) OR c.vip")]
    [InlineData("SELECT id FROM customers WHERE CASE WHEN $1 THEN ssn = $2 ELSE card_number = $3 END")]
    [InlineData("MERGE INTO customers t USING staged s ON t.id = s.id WHEN MATCHED AND t.ssn IS NULL THEN UPDATE SET note = s.note")]
    [InlineData("INSERT INTO notes SELECT (c).id FROM customers c WHERE (c).ssn LIKE '1%'")]
    // Compared with the same row's columns, in a row, in an aggregate's FILTER, or with another table's rows (probe EB-1, EB-2, EA9).
    [InlineData("SELECT e.id FROM employees e JOIN depts d ON d.id = e.dept_id WHERE (e.ssn, e.dept) = ('078-05-1120', 'ops')")]
    [InlineData("SELECT id FROM customers c WHERE (c.id, c.ssn) > (1, '000') ORDER BY c.id LIMIT 10")]
    [InlineData("SELECT count(*) FILTER (WHERE ssn LIKE '1%'), count(*) FROM customers")]
    [InlineData("SELECT id FROM customers WHERE ssn IN (SELECT ssn FROM employees)")]
    [InlineData("SELECT id FROM customers c WHERE c.ssn = ANY (SELECT e.ssn FROM employees e WHERE e.active)")]
    [InlineData("SELECT id FROM customers WHERE ssn = $1 UNION ALL SELECT id FROM archived_customers")]
    [InlineData("SELECT a.id, b.id FROM customers a JOIN customers b ON a.ssn = b.ssn AND a.id < b.id")]
    [InlineData("SELECT id FROM customers WHERE substr(ssn, 1, 1) = '1' AND id IN (SELECT customer_id FROM orders WHERE total > 5)")]
    [InlineData("SELECT id FROM customers c WHERE substr(c.ssn, 1, 3) = $1 AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)")]
    [InlineData("SELECT s.id FROM (SELECT id, ssn AS tax FROM customers) s WHERE s.tax = $1")]
    [InlineData("SELECT id, full_name FROM customers ORDER BY id LIMIT 10 OFFSET 20")]
    // Questions in several queries of one statement each compare with constants: reports and ORMs ask them (probe ED4, ED5).
    [InlineData("SELECT count(*) FILTER (WHERE card_number LIKE '4%') AS visa, count(*) FILTER (WHERE card_number LIKE '5%') AS mastercard FROM customers")]
    [InlineData("SELECT id FROM customers WHERE ssn = $1 AND id IN (SELECT customer_id FROM orders WHERE card_number = $2)")]
    [InlineData("SELECT 'a', count(*) FROM customers WHERE ssn LIKE '1%' UNION ALL SELECT 'b', count(*) FROM customers WHERE ssn LIKE '2%'")]
    [InlineData("SELECT a.id, b.id FROM customers a JOIN customers b ON a.ssn <> b.ssn AND a.id = b.id")]
    public void AFilterComparingAMaskedValueWithConstants_IsALookup(string sql) =>
        Assert.Null(Columns.FlowRefusal(sql));

    /// <summary>
    /// A statement of tens of thousands of predicates is read whole, each span once (review: a WHERE
    /// of 20,000 predicates took minutes, every masked name scanning the whole clause again).
    /// </summary>
    [Fact]
    public void ManyPredicates_AreReadWhole()
    {
        var lookups = string.Join(" OR ", Enumerable.Range(0, 20_000).Select(i => $"c.ssn = '{i}'"));
        Assert.Null(Columns.FlowRefusal($"SELECT c.id FROM customers c, orders o WHERE {lookups}"));
        Assert.StartsWith("a filter compares the masked column",
            Columns.FlowRefusal($"SELECT c.id FROM customers c, generate_series(0, 9) d WHERE {lookups} OR (substr(c.ssn, 1, 1) = d::text AND c.id < 3)"),
            StringComparison.Ordinal);
    }

    /// <summary>
    /// Shapes whose reading grew with the square of their length are read in bounded time, or
    /// refused as too complex (review H1: nested calls, a long filter inside a subquery).
    /// </summary>
    [Fact]
    public void LongSubqueryFiltersAndDeepNesting_AreReadInBoundedTime()
    {
        var inSubquery = string.Join(" AND ", Enumerable.Range(0, 20_000).Select(i => $"x.ssn <> '{i}'"));
        Assert.Null(Columns.FlowRefusal($"SELECT o.id FROM orders o WHERE EXISTS (SELECT 1 FROM customers x WHERE x.id = o.customer_id AND {inSubquery})"));
        var nested = string.Concat(Enumerable.Repeat("upper(", 5_000)) + "c.ssn" + new string(')', 5_000);
        var refusal = Columns.FlowRefusal($"SELECT c.id FROM customers c, customers x WHERE {string.Join(" OR ", Enumerable.Range(0, 50).Select(_ => nested + " = x.full_name"))}");
        Assert.Matches("^(a filter compares|the statement is too long or nested)", refusal);
    }
}
