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
    [InlineData("SELECT id FROM customers WHERE id = (SELECT substr(replace(ssn, '-', ''), 1, 3)::int FROM customers WHERE id = 1)")]
    [InlineData("SELECT d.pos, d.digit FROM customers c JOIN digits d ON substr(c.ssn, d.pos, 1) = d.digit")]
    [InlineData("SELECT d FROM customers c, generate_series(0, 9) d WHERE d::text BETWEEN substr(c.ssn, 1, 1) AND '9'")]
    [InlineData("SELECT d FROM customers c, generate_series(0, 9) d WHERE d BETWEEN 0 AND substr(c.ssn, 1, 1)::int")]
    [InlineData("SELECT d FROM customers c, generate_series(0, 9) d WHERE c.id = 1 AND (substr(c.ssn, 1, 1) = d::text OR false)")]
    [InlineData("SELECT p, d FROM customers c, generate_series(1, 200) p, generate_series(0, 9) d WHERE substr(c::text, p, 1) = d::text")]
    [InlineData("SELECT count(*) FILTER (WHERE substr(ssn, p, 1) = '1') FROM customers, generate_series(1, 11) p GROUP BY p")]
    [InlineData("SELECT p, d FROM customers c, generate_series(1, 11) p, generate_series(0, 9) d GROUP BY p, d HAVING bool_or(substr(c.ssn, p, 1) = d::text)")]
    [InlineData("UPDATE notes n SET body = d::text FROM customers c, generate_series(0, 9) d WHERE substr(c.ssn, 1, 1) = d::text AND n.id = c.id")]
    [InlineData("SELECT c.id FROM customers c WHERE c.ssn IN (SELECT candidate FROM guesses)")]
    [InlineData("SELECT g FROM generate_series(0, 9) g WHERE EXISTS (SELECT 1 FROM customers c WHERE substr(c.ssn, 1, 1) = g::text)")]
    // Alternatives that each compare with a constant, and put the answer in another row source's column.
    [InlineData("SELECT c.id, d FROM customers c, generate_series(0, 9) d WHERE (substr(c.ssn, 1, 1) = '0' AND d = 0) OR (substr(c.ssn, 1, 1) = '1' AND d = 1)")]
    [InlineData("SELECT c.id, d FROM customers c CROSS JOIN generate_series(0, 9) d WHERE (d = 0 AND (substr(c.ssn, 1, 1) = '0' OR false)) OR (d = 1 AND substr(c.ssn, 1, 1) = '1')")]
    [InlineData("SELECT c.id, d FROM customers c, generate_series(0, 9) d WHERE CASE WHEN substr(c.ssn, 1, 1) = '1' THEN d = 1 ELSE d = 0 END")]
    [InlineData("MERGE INTO notes n USING customers c ON substr(c.ssn, 1, 1) = n.body WHEN MATCHED THEN DO NOTHING")]
    [InlineData("WITH moved AS (SELECT id FROM orders WHERE note = (SELECT ssn FROM customers LIMIT 1)) INSERT INTO notes SELECT * FROM moved")]
    public void AFilterComparingAMaskedValueWithPerRowValues_IsRefused(string sql) =>
        Assert.StartsWith("a filter compares the masked column", Columns.FlowRefusal(sql), StringComparison.Ordinal);

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
    public void AFilterComparingAMaskedValueWithConstants_IsALookup(string sql) =>
        Assert.Null(Columns.FlowRefusal(sql));
}
