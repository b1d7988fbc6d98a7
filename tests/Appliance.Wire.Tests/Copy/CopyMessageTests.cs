using Appliance.Wire.Backend;
using Appliance.Wire.Copy;
using Appliance.Wire.Primitives;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Copy;

public class CopyMessageTests
{
    [Fact]
    public void CopyData_RoundTrip_IsTheWholeBody()
    {
        var body = PgBytes.Body(o => CopyWriter.WriteCopyData(o, "1\talice\n"u8), (byte)'d');

        Assert.Equal("1\talice\n", PgBytes.Utf8(CopyDataMessage.Parse(body).Data));
    }

    [Fact]
    public void CopyData_LargerThanTheWritersChunks_IsWrittenWhole()
    {
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();

        var body = PgBytes.Body(o => CopyWriter.WriteCopyData(o, data), (byte)'d');

        Assert.Equal(data, CopyDataMessage.Parse(body).Data.ToArray());
    }

    [Fact]
    public void CopyDone_IsAnEmptyMessage()
    {
        Assert.Equal(PgBytes.Message('c'), PgBytes.Write(CopyWriter.WriteCopyDone));
    }

    [Fact]
    public void CopyFail_RoundTrip_KeepsTheReason()
    {
        var body = PgBytes.Body(o => CopyWriter.WriteCopyFail(o, "blocked by policy"), (byte)'f');

        Assert.Equal("blocked by policy", PgBytes.Utf8(CopyFailMessage.Parse(body).Reason));
        Assert.Throws<PgProtocolException>(() => CopyFailMessage.Parse("abc"u8));
    }

    [Theory]
    [InlineData('G')]
    [InlineData('H')]
    [InlineData('W')]
    public void CopyResponse_RoundTrip_KeepsFormats(char letter)
    {
        var type = (BackendMessageType)letter;
        var body = PgBytes.Body(
            o => CopyWriter.WriteCopyResponse(o, type, PgFormat.Binary, [PgFormat.Binary, PgFormat.Binary, PgFormat.Binary]),
            (byte)letter);

        var message = CopyResponseMessage.Parse(body);

        Assert.Equal(PgFormat.Binary, message.OverallFormat);
        Assert.Equal(3, message.ColumnFormats.Count);
        Assert.Equal(PgFormat.Binary, message.ColumnFormats[2]);
    }

    [Theory]
    [InlineData("020000", "unknown overall format")]
    [InlineData("00ffff", "negative column count")]
    [InlineData("0000020000", "count exceeding the formats")]
    [InlineData("0000010003", "unknown column format")]
    [InlineData("00000000ff", "trailing byte")]
    public void CopyResponse_Malformed_IsAProtocolViolation(string hex, string why)
    {
        var error = Assert.Throws<PgProtocolException>(() => CopyResponseMessage.Parse(Convert.FromHexString(hex)));

        Assert.True(error.Message.Contains("CopyResponse", StringComparison.Ordinal), why);
    }
}
