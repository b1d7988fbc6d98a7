using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

/// <summary>
/// Values a statement gives to a masked column, written or compared, are recorded as the column
/// is shown (probe BH1: an SSN without dashes in WHERE ssn = '…' or INSERT … (ssn) VALUES ($1)
/// was kept in clear in the audit log).
/// </summary>
public sealed class MaskerColumnValuesTests
{
    private static readonly Masker Columns = Masker.Compile([new MaskingProfile { Name = "pii", Columns = ["ssn", "card_number"] }]);

    [Theory]
    [InlineData("SELECT * FROM customers WHERE ssn = '219099999'", "SELECT * FROM customers WHERE ssn = '****'")]
    [InlineData("SELECT * FROM customers c WHERE c.ssn='219099999' AND id = 4", "SELECT * FROM customers c WHERE c.ssn='****' AND id = 4")]
    [InlineData("SELECT 1 FROM customers WHERE '219099999' = public.customers.ssn", "SELECT 1 FROM customers WHERE '****' = public.customers.ssn")]
    [InlineData("SELECT 1 FROM customers WHERE '219099999'::text <> ssn", "SELECT 1 FROM customers WHERE '****'::text <> ssn")]
    [InlineData("SELECT 1 FROM customers WHERE ssn::text LIKE '2190%'", "SELECT 1 FROM customers WHERE ssn::text LIKE '****'")]
    [InlineData("SELECT 1 FROM customers WHERE ssn NOT IN ('219099999', '1' || '23456789')", "SELECT 1 FROM customers WHERE ssn NOT IN ('****', '****' || '****')")]
    [InlineData("SELECT 1 FROM customers WHERE ssn = ANY (ARRAY['219099999'])", "SELECT 1 FROM customers WHERE ssn = ANY (ARRAY['****'])")]
    [InlineData("SELECT 1 FROM customers WHERE ssn BETWEEN '100000000' AND '199999999'", "SELECT 1 FROM customers WHERE ssn BETWEEN '****' AND '****'")]
    [InlineData("SELECT 1 FROM customers WHERE card_number IS DISTINCT FROM 4111", "SELECT 1 FROM customers WHERE card_number IS DISTINCT FROM ****")]
    // Probe BJ3: in parentheses, rows, calls on either side; a MERGE's INSERT; EXECUTE's arguments.
    [InlineData("SELECT 1 FROM c WHERE (ssn) = '219099999'", "SELECT 1 FROM c WHERE (ssn) = '****'")]
    [InlineData("SELECT 1 FROM c WHERE (name, ssn) = ('Ann', '219099999') AND id = 3", "SELECT 1 FROM c WHERE (name, ssn) = ('****', '****') AND id = 3")]
    [InlineData("SELECT 1 FROM c WHERE lower(ssn) = lower('219099999')", "SELECT 1 FROM c WHERE lower(ssn) = lower('****')")]
    [InlineData("SELECT 1 FROM c WHERE coalesce(ssn, 'x') = concat('2190', '99999')", "SELECT 1 FROM c WHERE coalesce(ssn, '****') = concat('****', '****')")]
    [InlineData("SELECT 1 FROM c WHERE position('0999' in ssn) > 0 OR starts_with(ssn, '2190')", "SELECT 1 FROM c WHERE position('****' in ssn) > **** OR starts_with(ssn, '****')")]
    [InlineData("UPDATE c SET (note, ssn) = ('n', '219099999') WHERE id = 1", "UPDATE c SET (note, ssn) = ('****', '****') WHERE id = 1")]
    [InlineData("SELECT id, 'ok' FROM c WHERE id IN (SELECT id FROM c WHERE ssn = '219099999') AND note = 'n'",
        "SELECT id, 'ok' FROM c WHERE id IN (SELECT id FROM c WHERE ssn = '****') AND note = 'n'")]
    [InlineData("MERGE INTO c USING s ON c.id = s.id WHEN NOT MATCHED THEN INSERT (id, ssn) VALUES (7, '219099999')",
        "MERGE INTO c USING s ON c.id = s.id WHEN NOT MATCHED THEN INSERT (id, ssn) VALUES (7, '****')")]
    [InlineData("EXECUTE find('219099999', 3)", "EXECUTE find('****', ****)")]
    [InlineData("UPDATE customers SET \"SSN\" = text '219099999' WHERE id = 1", "UPDATE customers SET \"SSN\" = text '****' WHERE id = 1")]
    [InlineData("INSERT INTO customers (id, ssn, name) VALUES (1, '219099999', 'Ann'), (2, E'21909\\\\9999', 'Bo')",
        "INSERT INTO customers (id, ssn, name) VALUES (1, '****', 'Ann'), (2, '****', 'Bo')")]
    [InlineData("INSERT INTO s.customers AS c (ssn) VALUES (lower('219099999')) ON CONFLICT (id) DO UPDATE SET ssn = '219099998'",
        "INSERT INTO s.customers AS c (ssn) VALUES (lower('****')) ON CONFLICT (id) DO UPDATE SET ssn = '****'")]
    public void ValuesGivenToAMaskedColumn_AreRecordedMasked(string sql, string recorded) =>
        Assert.Equal(recorded, Columns.MaskColumnValues(sql));

    [Theory]
    [InlineData("SELECT ssn FROM customers WHERE id = '219099999'")]
    [InlineData("SELECT ssn, 9, 'x' FROM customers WHERE id = 4")]
    [InlineData("SELECT CASE WHEN ssn IS NULL THEN 'none' END FROM customers WHERE note = 'n'")]
    [InlineData("INSERT INTO customers (id, name) VALUES (1, 'Ann')")]
    [InlineData("INSERT INTO customers VALUES (1, '219099999')")]
    [InlineData("SELECT '219099999' AS ssn")]
    public void OtherValues_AreLeftAsWritten(string sql) =>
        Assert.Equal(sql, Columns.MaskColumnValues(sql));

    [Theory]
    [InlineData("INSERT INTO scratch (ssn, note) VALUES ($1, $2)", new[] { 1 })]
    [InlineData("SELECT * FROM customers WHERE id = $1 AND ssn = $2 OR $3 = card_number", new[] { 2, 3 })]
    [InlineData("UPDATE customers SET ssn = $2::text WHERE id = $1", new[] { 2 })]
    [InlineData("SELECT 1 FROM c WHERE ssn = lower($1) OR ssn = coalesce($2, 'x') AND id = $3", new[] { 1, 2 })]
    [InlineData("INSERT INTO t (id, card_number) VALUES ($1, $2), ($3, $4)", new[] { 2, 4 })]
    public void ParametersGivenToAMaskedColumn_AreNamed(string sql, int[] parameters) =>
        Assert.Equal(parameters, Columns.ColumnParameters(sql)!.Order());

    [Fact]
    public void AStatementWithoutSuchParameters_NamesNone() =>
        Assert.Null(Columns.ColumnParameters("SELECT ssn FROM customers WHERE id = $1"));
}
