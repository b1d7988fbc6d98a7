using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Frontend;

public class QueryAndParseMessageTests
{
    [Fact]
    public void Query_RoundTrip_KeepsTheText()
    {
        var body = PgBytes.Body(o => FrontendWriter.WriteQuery(o, "select 'é'; drop table x"), (byte)'Q');

        Assert.Equal("select 'é'; drop table x", PgBytes.Utf8(QueryMessage.Parse(body).Sql));
    }

    [Fact]
    public void Query_Utf8Overload_WritesTheSameBytes()
    {
        Assert.Equal(
            PgBytes.Write(o => FrontendWriter.WriteQuery(o, "select 1")),
            PgBytes.Write(o => FrontendWriter.WriteQuery(o, "select 1"u8)));
    }

    [Theory]
    [InlineData("73656c656374", "no NUL")]
    [InlineData("73656c6563740000", "byte after the NUL")]
    [InlineData("", "empty body")]
    public void Query_Malformed_IsAProtocolViolation(string hex, string why)
    {
        var error = Assert.Throws<PgProtocolException>(() => QueryMessage.Parse(Convert.FromHexString(hex)));

        Assert.True(error.Message.Contains("Query", StringComparison.Ordinal), why);
    }

    [Fact]
    public void Parse_RoundTrip_KeepsNameQueryAndTypes()
    {
        var body = PgBytes.Body(o => FrontendWriter.WriteParse(o, "s1", "select $1, $2", [PgTypeOids.Int4, 0]), (byte)'P');

        var parse = ParseMessage.Parse(body);

        Assert.Equal("s1", PgBytes.Utf8(parse.StatementName));
        Assert.Equal("select $1, $2", PgBytes.Utf8(parse.Query));
        Assert.Equal(2, parse.ParameterTypes.Count);
        Assert.Equal(PgTypeOids.Int4, parse.ParameterTypes[0]);
        Assert.Equal(0u, parse.ParameterTypes[1]);
    }

    [Fact]
    public void Parse_ManyParameters_CountIsUnsignedLikeTheServer()
    {
        var types = Enumerable.Repeat(PgTypeOids.Text, 40000).ToArray();
        var body = PgBytes.Body(o => FrontendWriter.WriteParse(o, "", "insert ...", types), (byte)'P');

        Assert.Equal(40000, ParseMessage.Parse(body).ParameterTypes.Count);
    }

    [Fact]
    public void Parse_TypeCountExceedingTheBody_IsAProtocolViolation()
    {
        var body = PgBytes.Body(o => FrontendWriter.WriteParse(o, "", "q", [23, 23]), (byte)'P');
        body[4] = 3; // "" \0, "q" \0, then Int16 count 0x0002 at offsets 3..4

        Assert.Throws<PgProtocolException>(() => ParseMessage.Parse(body));
    }
}
