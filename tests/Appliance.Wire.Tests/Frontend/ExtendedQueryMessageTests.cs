using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Frontend;

public class ExtendedQueryMessageTests
{
    [Theory]
    [InlineData('S', "s1")]
    [InlineData('P', "")]
    public void DescribeAndClose_RoundTrip_KeepTargetAndName(char kind, string name)
    {
        var target = (DescribeTarget)kind;

        var describe = DescribeMessage.Parse(PgBytes.Body(o => FrontendWriter.WriteDescribe(o, target, name), (byte)'D'));
        var close = CloseMessage.Parse(PgBytes.Body(o => FrontendWriter.WriteClose(o, target, name), (byte)'C'));

        Assert.Equal((target, name), (describe.Target, PgBytes.Utf8(describe.Name)));
        Assert.Equal((target, name), (close.Target, PgBytes.Utf8(close.Name)));
    }

    [Theory]
    [InlineData("5800")]
    [InlineData("53")]
    [InlineData("")]
    [InlineData("5300ff")]
    public void DescribeAndClose_Malformed_AreProtocolViolations(string hex)
    {
        var body = Convert.FromHexString(hex);

        Assert.Throws<PgProtocolException>(() => DescribeMessage.Parse(body));
        Assert.Throws<PgProtocolException>(() => CloseMessage.Parse(body));
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("c1", 50)]
    public void Execute_RoundTrip_KeepsPortalAndMaxRows(string portal, int maxRows)
    {
        var execute = ExecuteMessage.Parse(PgBytes.Body(o => FrontendWriter.WriteExecute(o, portal, maxRows), (byte)'E'));

        Assert.Equal(portal, PgBytes.Utf8(execute.Portal));
        Assert.Equal(maxRows, execute.MaxRows);
    }

    [Fact]
    public void Execute_Truncated_IsAProtocolViolation()
    {
        Assert.Throws<PgProtocolException>(() => ExecuteMessage.Parse(Convert.FromHexString("00000000")));
    }

    [Fact]
    public void SyncFlushTerminate_AreEmptyMessagesWithTheirTypes()
    {
        Assert.Equal(PgBytes.Message('S'), PgBytes.Write(FrontendWriter.WriteSync));
        Assert.Equal(PgBytes.Message('H'), PgBytes.Write(FrontendWriter.WriteFlush));
        Assert.Equal(PgBytes.Message('X'), PgBytes.Write(FrontendWriter.WriteTerminate));
        EmptyMessage.Parse(PgBytes.Body(FrontendWriter.WriteSync, (byte)'S'), "Sync");
    }

    [Fact]
    public void EmptyMessage_WithBytes_IsAProtocolViolation()
    {
        var error = Assert.Throws<PgProtocolException>(() => EmptyMessage.Parse([0], "Sync"));

        Assert.Contains("Sync", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FunctionCall_IsRecognisedWithItsOid()
    {
        var message = FunctionCallMessage.Parse(Convert.FromHexString("000004d200000000000000010000"));

        Assert.Equal(1234u, message.FunctionOid);
        Assert.Throws<PgProtocolException>(() => FunctionCallMessage.Parse([0, 0]));
    }
}
