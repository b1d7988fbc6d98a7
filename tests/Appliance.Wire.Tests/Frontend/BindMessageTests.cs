using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Frontend;

public class BindMessageTests
{
    [Fact]
    public void Bind_RoundTrip_KeepsValuesNullsAndFormats()
    {
        ReadOnlyMemory<byte>?[] values = ["42"u8.ToArray(), null, Array.Empty<byte>(), new byte[] { 0, 0, 0, 7 }];
        var body = PgBytes.Body(
            o => FrontendWriter.WriteBind(
                o, "p1", "s1",
                [PgFormat.Text, PgFormat.Text, PgFormat.Text, PgFormat.Binary],
                values,
                [PgFormat.Binary]),
            (byte)'B');

        var bind = BindMessage.Parse(body);

        Assert.Equal("p1", PgBytes.Utf8(bind.Portal));
        Assert.Equal("s1", PgBytes.Utf8(bind.Statement));
        Assert.Equal(4, bind.Parameters.Count);
        var seen = new List<string>();
        foreach (var value in bind.Parameters)
        {
            seen.Add(value.IsNull ? "NULL" : Convert.ToHexString(value.Bytes) + "/" + value.Length);
        }

        Assert.Equal(["3432/2", "NULL", "/0", "00000007/4"], seen);
        Assert.Equal(PgFormat.Binary, bind.ParameterFormats.GetFormat(3));
        Assert.Equal(PgFormat.Text, bind.ParameterFormats.GetFormat(0));
        Assert.Equal(PgFormat.Binary, bind.ResultFormats.GetFormat(17));
    }

    [Fact]
    public void Bind_NoFormatCodes_MeansAllText()
    {
        var body = PgBytes.Body(o => FrontendWriter.WriteBind(o, "", "", [], ["x"u8.ToArray()], []), (byte)'B');

        var bind = BindMessage.Parse(body);

        Assert.Equal(0, bind.ResultFormats.Count);
        Assert.Equal(PgFormat.Text, bind.ResultFormats.GetFormat(5));
        Assert.Equal(PgFormat.Text, bind.ParameterFormats.GetFormat(0));
    }

    [Fact]
    public void Bind_PerColumnResultFormats_AskingBeyondThem_IsAProtocolViolation()
    {
        var body = PgBytes.Body(o => FrontendWriter.WriteBind(o, "", "", [], [], [PgFormat.Text, PgFormat.Binary]), (byte)'B');
        var bind = BindMessage.Parse(body);

        Assert.Equal(PgFormat.Binary, bind.ResultFormats.GetFormat(1));
        Assert.Throws<PgProtocolException>(() => BindMessage.Parse(body).ResultFormats.GetFormat(2));
    }

    [Fact]
    public void Bind_FormatCountNeitherZeroOneNorParameterCount_IsAProtocolViolation()
    {
        var body = PgBytes.Body(
            o => FrontendWriter.WriteBind(o, "", "", [PgFormat.Text, PgFormat.Text], ["a"u8.ToArray(), null, null], []),
            (byte)'B');

        var error = Assert.Throws<PgProtocolException>(() => BindMessage.Parse(body));

        Assert.Contains("2 parameter formats for 3 parameters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_UnknownFormatCode_IsAProtocolViolation()
    {
        var body = PgBytes.Body(o => FrontendWriter.WriteBind(o, "", "", [], [], [PgFormat.Binary]), (byte)'B');
        body[^1] = 2;

        var error = Assert.Throws<PgProtocolException>(() => BindMessage.Parse(body));

        Assert.Contains("format code 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_ValueLengthBelowMinusOne_IsAProtocolViolation()
    {
        // portal "", statement "", 0 formats, 1 parameter of length -2, 0 result formats
        var body = Convert.FromHexString("0000" + "0000" + "0001" + "fffffffe" + "0000");

        var error = Assert.Throws<PgProtocolException>(() => BindMessage.Parse(body));

        Assert.Contains("negative length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_ValueLengthPastTheEnd_IsAProtocolViolation()
    {
        var body = Convert.FromHexString("0000" + "0000" + "0001" + "00000010" + "4142" + "0000");

        Assert.Throws<PgProtocolException>(() => BindMessage.Parse(body));
    }

    [Fact]
    public void Bind_ParameterCountAboveTheValuesPresent_IsAProtocolViolation()
    {
        var body = Convert.FromHexString("0000" + "0000" + "ffff" + "00000001" + "41" + "0000");

        Assert.Throws<PgProtocolException>(() => BindMessage.Parse(body));
    }
}
