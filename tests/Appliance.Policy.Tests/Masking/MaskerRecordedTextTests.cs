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
    public void ADollarQuotedBody_IsClosedByItsOwnTag()
    {
        var recorded = Masker.ShortenForRecord("DO $body$ BEGIN PERFORM 1; -- " + new string('z', 300_000) + "\nEND $body$");

        Assert.StartsWith("DO $body$ BEGIN PERFORM 1; -- zzz", recorded, StringComparison.Ordinal);
        Assert.EndsWith("more characters not recorded]$body$", recorded, StringComparison.Ordinal);
    }

    [Fact]
    public void AStatementOfManySmallParts_LosesOnlyItsMiddle()
    {
        var rows = string.Join(", ", Enumerable.Range(0, 200_000).Select(i => $"({i}, 'r')"));
        var recorded = Masker.ShortenForRecord($"INSERT INTO t (id, note) VALUES {rows} RETURNING id");

        Assert.StartsWith("INSERT INTO t (id, note) VALUES (0, 'r'), (1, 'r')", recorded, StringComparison.Ordinal);
        Assert.EndsWith("(199999, 'r') RETURNING id", recorded, StringComparison.Ordinal);
        Assert.Contains("characters of the statement not recorded", recorded, StringComparison.Ordinal);
        Assert.True(recorded.Length < (4 * Masker.RecordedTextLimit) + 100, $"{recorded.Length} characters recorded");
    }
}
