using Appliance.Wire.Backend;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Writing;

public class DataRowRewriterTests
{
    private static readonly byte[] Row = PgBytes.Body(
        o => BackendWriter.WriteDataRow(o, ["7", "Alice", "4111111111111111", null, "alice@example.com"]),
        (byte)'D');

    [Fact]
    public void WriteTo_ReplacingSomeColumns_KeepsTheOthersAndFixesTheLength()
    {
        var rewriter = new DataRowRewriter();
        rewriter.Replace(2, "****-****-****-1111"u8);
        rewriter.Replace(4, "a***@example.com"u8);

        var rewritten = Rewrite(rewriter, Row);

        Assert.Equal(PgBytes.Write(o => BackendWriter.WriteDataRow(o, ["7", "Alice", "****-****-****-1111", null, "a***@example.com"])), rewritten);
    }

    [Fact]
    public void WriteTo_NullAndValueSwaps_AreWritten()
    {
        var rewriter = new DataRowRewriter();
        rewriter.ReplaceWithNull(0);
        "xy"u8.CopyTo(rewriter.Replace(3, 2));

        var rewritten = Rewrite(rewriter, Row);

        Assert.Equal(PgBytes.Write(o => BackendWriter.WriteDataRow(o, [null, "Alice", "4111111111111111", "xy", "alice@example.com"])), rewritten);
    }

    [Fact]
    public void WriteTo_NoReplacements_CopiesTheRow()
    {
        var rewritten = Rewrite(new DataRowRewriter(), Row);

        Assert.Equal(PgBytes.Write(o => BackendWriter.WriteDataRow(o, ["7", "Alice", "4111111111111111", null, "alice@example.com"])), rewritten);
    }

    [Fact]
    public void Reset_ForgetsReplacements_AndBuffersGrowForWideValues()
    {
        var rewriter = new DataRowRewriter();
        rewriter.Replace(1, new byte[10_000]);
        rewriter.Reset();
        var wide = Enumerable.Repeat((byte)'m', 5000).ToArray();
        for (var column = 0; column < 5; column++)
        {
            rewriter.Replace(column, wide);
        }

        var rewritten = DataRowMessage.Parse(PgBytes.Body(Rewrite(rewriter, Row), (byte)'D'));

        Assert.Equal(5, rewriter.ReplacementCount);
        foreach (var value in rewritten.Columns)
        {
            Assert.Equal(wide, value.Bytes.ToArray());
        }
    }

    [Fact]
    public void Replace_OutOfOrder_IsRefused()
    {
        var rewriter = new DataRowRewriter();
        rewriter.Replace(2, "x"u8);

        Assert.Throws<ArgumentException>(() => rewriter.Replace(1, "y"u8));
        Assert.Throws<ArgumentException>(() => rewriter.ReplaceWithNull(2));
    }

    [Fact]
    public void WriteTo_ColumnBeyondTheRow_IsRefused()
    {
        var rewriter = new DataRowRewriter();
        rewriter.Replace(5, "x"u8);

        Assert.Throws<ArgumentOutOfRangeException>(() => Rewrite(rewriter, Row));
    }

    private static byte[] Rewrite(DataRowRewriter rewriter, byte[] body) =>
        PgBytes.Write(o => rewriter.WriteTo(o, DataRowMessage.Parse(body)));
}
