using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

/// <summary>What the audit log keeps of a huge statement: every keyword and name, not the bulk of its literals.</summary>
public sealed class MaskerRecordedTextTests
{
    [Fact]
    public void AStatementUpToTheLimit_IsKeptAsItIs()
    {
        var sql = "SELECT length('" + new string('a', Masker.RecordedTextLimit - 100) + "')";
        Assert.Same(sql, Masker.ShortenForRecord(sql));
    }

    [Fact]
    public void AHugeLiteral_KeepsItsStart_AndSaysHowMuchWasLeftOut()
    {
        var recorded = Masker.ShortenForRecord("SELECT length('" + new string('a', 60_000_000) + "') AS n");

        Assert.StartsWith("SELECT length('" + new string('a', Masker.KeptPartLength - 1) + "…[", recorded, StringComparison.Ordinal);
        Assert.EndsWith($"…[{60_000_000 + 2 - Masker.KeptPartLength} more characters not recorded]') AS n", recorded, StringComparison.Ordinal);
    }

    [Fact]
    public void PaddingBeforeAnAction_DoesNotPushItOutOfTheRecord()
    {
        var recorded = Masker.ShortenForRecord("SELECT 1; /* " + new string('x', 1_000_000) + " */ DELETE FROM orders; SELECT '" + new string('y', 500_000) + "'");

        Assert.Contains("SELECT 1; /* 1000008 characters of comments and spaces not recorded */ DELETE FROM orders; SELECT 'yyy", recorded, StringComparison.Ordinal);
        Assert.True(recorded.Length < 4 * Masker.KeptPartLength, $"{recorded.Length} characters recorded");
    }

    [Fact]
    public void ADollarQuotedLiteral_IsClosedByItsOwnTag()
    {
        var recorded = Masker.ShortenForRecord("SELECT length($x$" + new string('z', 300_000) + "$x$)");

        Assert.StartsWith("SELECT length($x$zzz", recorded, StringComparison.Ordinal);
        Assert.EndsWith("more characters not recorded]$x$)", recorded, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DO $body$ BEGIN PERFORM 1; /* {0} */ DELETE FROM orders; END $body$")]
    [InlineData("DO 'BEGIN PERFORM 1; /* {0} */ DELETE FROM orders; END'")]
    [InlineData("SELECT query_to_xml('SELECT 1 /* {0} */ FROM orders', true, false, '')")]
    [InlineData("DO $z$ BEGIN /* {0} */ PERFORM pg_advisory_lock(4261); END $z$")]
    [InlineData("DO LANGUAGE plpgsql '/* {0} */ BEGIN PERFORM set_config(''a.b'', ''c'', false); END'")]
    [InlineData("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $f$ /* {0} */ SELECT pg_advisory_lock(1) $f$")]
    public void ALiteralThatRuns_IsNeverShortened(string template)
    {
        // Code in a string: what follows the padding runs, so it stays in the record.
        var sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, new string('p', 300_000));
        Assert.Equal(sql, Masker.ShortenForRecord(sql));
    }

    [Fact]
    public void PaddingOfManyPartsUnderTheLimit_IsShortenedInASecondPass_AndTheActionStays()
    {
        var padding = string.Concat(Enumerable.Repeat("SELECT '" + new string('q', 16_000) + "'; ", 40));
        var recorded = Masker.ShortenForRecord(padding + "SELECT ssn, card_number FROM customers WHERE id = 1; " + padding);

        Assert.Contains("SELECT ssn, card_number FROM customers WHERE id = 1; ", recorded, StringComparison.Ordinal);
        Assert.True(recorded.Length < Masker.RecordedTextLimit, $"{recorded.Length} characters recorded");
    }

    [Fact]
    public void CommentsAfterTheLastToken_AreShortenedToo()
    {
        var recorded = Masker.ShortenForRecord("SELECT 1 /* " + new string('c', 300_000) + " */");
        Assert.Equal("SELECT 1 /* 300007 characters of comments and spaces not recorded */ ", recorded);
    }

    [Fact]
    public void AStatementHugeInKeywordsNamesAndNumbers_IsRecordedWhole()
    {
        var rows = string.Join(", ", Enumerable.Range(0, 200_000).Select(i => $"({i}, 'r')"));
        var sql = $"INSERT INTO t (id, note) VALUES {rows} RETURNING id";

        Assert.Equal(sql, Masker.ShortenForRecord(sql));
    }

    [Fact]
    public void AValueUpToTheLimit_IsKeptAsItIs()
    {
        var value = new string(' ', 250) + "4253";
        Assert.Same(value, Masker.ShortenValueForRecord(value));
    }

    [Fact]
    public void PaddingAroundAValue_IsCountedNotDropped()
    {
        Assert.Equal(" …[×5000]4253 …[×3000]", Masker.ShortenValueForRecord(new string(' ', 5000) + "4253" + new string(' ', 3000)));
        Assert.Equal("0…[×9000]42", Masker.ShortenValueForRecord(new string('0', 9000) + "42"));
    }

    [Fact]
    public void ALongValueOfDifferentCharacters_KeepsItsStartAndEnd()
    {
        var value = string.Concat(Enumerable.Range(0, 1000).Select(i => (i % 97).ToString("D2", System.Globalization.CultureInfo.InvariantCulture)));
        var recorded = Masker.ShortenValueForRecord(value);

        Assert.StartsWith(value[..(Masker.RecordedValueLimit / 2)] + "…[", recorded, StringComparison.Ordinal);
        Assert.EndsWith("characters not recorded]…" + value[^(Masker.RecordedValueLimit / 2)..], recorded, StringComparison.Ordinal);
    }

    [Fact]
    public void ABackslashInAPlainString_KeepsTheStatementWhole()
    {
        // With standard_conforming_strings off the first literal ends at the last quote: the DELETE runs.
        var sql = "SELECT 'x\\'' ; /* " + new string('p', 300_000) + " */ DELETE FROM orders WHERE id = 5; SELECT 1 --'";
        Assert.Same(sql, Masker.ShortenForRecord(sql));
    }

    [Fact]
    public void ACutNeverEndsOnHalfOfADoubledQuote_AndNothingAfterTheLiteralIsLost()
    {
        var padding = string.Concat(Enumerable.Repeat("SELECT '" + new string('q', 16_000) + "'; ", 40));
        var sql = "SELECT '" + new string('a', Masker.KeptPartLength - 2) + "''" + new string('b', 20_000) + "';"
            + new string(' ', 300) + "DELETE FROM orders WHERE id = 5; SELECT 'x'; " + padding;

        var recorded = Masker.ShortenForRecord(sql);

        Assert.Contains("not recorded]'; ", recorded, StringComparison.Ordinal);
        Assert.Contains("DELETE FROM orders WHERE id = 5; SELECT 'x'; ", recorded, StringComparison.Ordinal);
        Assert.True(recorded.Length < Masker.RecordedTextLimit, $"{recorded.Length} characters recorded");
    }
}
