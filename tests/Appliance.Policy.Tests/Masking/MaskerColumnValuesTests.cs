using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

/// <summary>
/// The values of a statement that names a masked column are recorded masked (probe BH1: an SSN
/// without dashes in WHERE ssn = '…' or INSERT … (ssn) VALUES ($1) was kept in clear in the audit
/// log; BJ3, BN1, BN2: many other ways to give a value to a column).
/// </summary>
public sealed class MaskerColumnValuesTests
{
    private static readonly Masker Columns = Masker.Compile([new MaskingProfile { Name = "pii", Columns = ["ssn", "card_number"] }]);

    [Theory]
    [InlineData("SELECT * FROM customers WHERE ssn = '219099999'", "SELECT * FROM customers WHERE ssn = '****'")]
    [InlineData("SELECT * FROM customers c WHERE c.ssn='219099999' AND id = 4 LIMIT 10", "SELECT * FROM customers c WHERE c.ssn='****' AND id = **** LIMIT 10")]
    [InlineData("SELECT 1 FROM c WHERE '219099999'::text <> public.c.\"SSN\" ORDER BY 1", "SELECT **** FROM c WHERE '****'::text <> public.c.\"SSN\" ORDER BY 1")]
    [InlineData("SELECT 1 FROM c WHERE card_number IS DISTINCT FROM 4111", "SELECT **** FROM c WHERE card_number IS DISTINCT FROM ****")]
    [InlineData("INSERT INTO customers (id, ssn) VALUES (1, '219099999'), (2, E'21909\\\\9999')", "INSERT INTO customers (id, ssn) VALUES (****, '****'), (****, '****')")]
    // Probes BJ3, BN1, BN2: CASE, casts, subqueries, FROM (VALUES …), INSERT … SELECT, a WITH query, an alias.
    [InlineData("SELECT CASE ssn WHEN '219099999' THEN 'a' END FROM c", "SELECT CASE ssn WHEN '****' THEN '****' END FROM c")]
    [InlineData("UPDATE c SET ssn = (SELECT '219099999') WHERE id = 1", "UPDATE c SET ssn = (SELECT '****') WHERE id = ****")]
    [InlineData("SELECT 1 FROM c WHERE CAST(ssn AS text) = '219099999'", "SELECT **** FROM c WHERE CAST(ssn AS text) = '****'")]
    [InlineData("UPDATE c SET ssn = v.x FROM (VALUES (1, '219099999')) v (id, x) WHERE c.id = v.id", "UPDATE c SET ssn = v.x FROM (VALUES (****, '****')) v (id, x) WHERE c.id = v.id")]
    [InlineData("WITH v AS (SELECT '219099999' AS x) INSERT INTO c (ssn) SELECT x FROM v", "WITH v AS (SELECT '****' AS x) INSERT INTO c (ssn) SELECT x FROM v")]
    [InlineData("SELECT '219099999' AS ssn", "SELECT '****' AS ssn")]
    [InlineData("EXECUTE find('219099999', 3)", "EXECUTE find('****', ****)")]
    [InlineData("SELECT 'a' FROM c WHERE id = 2; SELECT 'b' FROM c WHERE ssn = 'x'", "SELECT 'a' FROM c WHERE id = 2; SELECT '****' FROM c WHERE ssn = '****'")]
    // Probes BQ1 to BQ3: EXECUTE under another statement, an escaped name, a JSON key, an INSERT by position.
    [InlineData("EXPLAIN ANALYZE EXECUTE p8('911000050')", "EXPLAIN ANALYZE EXECUTE p8('****')")]
    [InlineData("CREATE TEMP TABLE t AS EXECUTE p('911000050')", "CREATE TEMP TABLE t AS EXECUTE p('****')")]
    [InlineData("SELECT id FROM c WHERE U&\"\\0073sn\" = '911000001'", "SELECT id FROM c WHERE U&\"\\0073sn\" = '****'")]
    [InlineData("INSERT INTO c (id) SELECT 1 FROM json_populate_record(null::c, '{\"ssn\":\"911000003\"}')",
        "INSERT INTO c (id) SELECT **** FROM json_populate_record(null::c, '****')")]
    [InlineData("INSERT INTO customers VALUES (1, '219099999')", "INSERT INTO customers VALUES (****, '****')")]
    [InlineData("INSERT INTO customers AS c (SELECT 2, '219099999')", "INSERT INTO customers AS c (SELECT ****, '****')")]
    public void TheValuesOfAStatementThatNamesAMaskedColumn_AreRecordedMasked(string sql, string recorded) =>
        Assert.Equal(recorded, Columns.MaskColumnValues(sql));

    [Theory]
    [InlineData("SELECT name FROM customers WHERE id = '219099999'")]
    [InlineData("SELECT 'lessons', 9 FROM ssn_log.t WHERE note = 'x'")]
    [InlineData("SELECT id FROM orders WHERE note = 'carelessness' AND id = 7")]
    [InlineData("INSERT INTO notes (id, note) VALUES (1, 'x')")]
    [InlineData("INSERT INTO notes (id) SELECT 1 ON CONFLICT DO NOTHING")]
    public void OtherStatements_AreLeftAsWritten(string sql) =>
        Assert.Equal(sql, Columns.MaskColumnValues(sql));

    [Theory]
    [InlineData("INSERT INTO scratch (ssn, note) VALUES ($1, $2)", new[] { 1, 2 })]
    [InlineData("SELECT 1 FROM c WHERE id = $1 AND ssn = lower($2); SELECT $3", new[] { 1, 2 })]
    public void TheParametersOfAStatementThatNamesAMaskedColumn_AreNamed(string sql, int[] parameters) =>
        Assert.Equal(parameters, Columns.ColumnParameters(sql)!.Order());

    [Fact]
    public void AStatementThatNamesNoMaskedColumn_NamesNoParameter() =>
        Assert.Null(Columns.ColumnParameters("SELECT name FROM customers WHERE id = $1"));

    /// <summary>
    /// With the session's catalog, a write to a relation not known to hold no masked column has its
    /// values masked too: a view's renamed column, a composite column's field, a whole row (probes BT1, BT2).
    /// </summary>
    [Theory]
    [InlineData("INSERT INTO pv (id, s) VALUES (1, '911000001')", "INSERT INTO pv (id, s) VALUES (****, '****')")]
    [InlineData("UPDATE ONLY public.ptab SET p = ROW('n', '911000009') WHERE id = 2", "UPDATE ONLY public.ptab SET p = ROW('****', '****') WHERE id = ****")]
    [InlineData("WITH x AS (SELECT 1) INSERT INTO made_since_login (a) VALUES ('911000010')", "WITH x AS (SELECT ****) INSERT INTO made_since_login (a) VALUES ('****')")]
    [InlineData("UPDATE orders SET note = 'shipped' WHERE id = 42", "UPDATE orders SET note = 'shipped' WHERE id = 42")]
    [InlineData("INSERT INTO orders (id, note) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET note = 'y'", "INSERT INTO orders (id, note) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET note = 'y'")]
    [InlineData("SELECT note FROM orders WHERE id = 3 FOR UPDATE OF orders", "SELECT note FROM orders WHERE id = 3 FOR UPDATE OF orders")]
    [InlineData("CREATE POLICY p ON orders FOR UPDATE USING (note <> 'x')", "CREATE POLICY p ON orders FOR UPDATE USING (note <> 'x')")] // probe BV4
    [InlineData("CREATE RULE r AS ON UPDATE TO orders DO ALSO NOTIFY ch, 'x'", "CREATE RULE r AS ON UPDATE TO orders DO ALSO NOTIFY ch, 'x'")]
    public void AWriteToARelationThatMayHoldAMaskedColumn_IsRecordedMasked(string sql, string recorded)
    {
        Assert.Equal(recorded, Columns.MaskWrittenValues(Columns.MaskColumnValues(sql), new OrdersHoldNoMaskedColumn()));
        // Without the catalog the text alone decides (the connection's cache), and names no masked column here.
        Assert.Equal(sql, Columns.MaskColumnValues(sql));
    }

    [Fact]
    public void TheParametersOfAWriteToSuchARelation_AreNamed() =>
        Assert.Equal([1, 2], Columns.ColumnParameters("UPDATE pv SET s = $2 WHERE id = $1", new OrdersHoldNoMaskedColumn())!.Order());

    /// <summary>As a session's catalog answers: orders holds no masked column; pv (a view renaming ssn), ptab and customers do; others are unknown.</summary>
    private sealed class OrdersHoldNoMaskedColumn : IColumnNameLookup
    {
        public bool TryGetColumnName(uint tableOid, short attributeNumber, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? columnName)
        {
            columnName = null;
            return false;
        }

        public bool? RelationHasMaskedColumn(string relationName) => relationName switch { "orders" => false, "pv" or "ptab" or "customers" => true, _ => null };
    }
}
