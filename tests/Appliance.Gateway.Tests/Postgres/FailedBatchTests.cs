using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Appliance.Wire.Frontend;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// A client that writes each extended message on its own has its Bind and Execute read by the
/// gateway after the upstream already failed the Parse: the statement is still recorded with its
/// text and the upstream's error, as when the batch comes in one write, and a named statement is
/// not blocked as one no Parse made (probe FC1).
/// </summary>
public sealed class FailedBatchTests(PlaintextFixture fixture) : IClassFixture<PlaintextFixture>
{
    [Theory]
    [InlineData("")]
    [InlineData("named")]
    public async Task AFailedParse_ReadBeforeItsBindAndExecute_IsRecordedWithItsTextAndError(string statement)
    {
        var marker = "nocol_" + PgGatewayFixture.Marker();
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(o => FrontendWriter.WriteParse(o, statement, $"SELECT {marker} FROM pg_class", []), FrontendWriter.WriteFlush);
        Assert.Equal("42703", (await client.ReadAsync()).SqlState);
        await client.SendAsync(o => FrontendWriter.WriteBind(o, "", statement, [], [], []));
        await client.SendAsync(o => FrontendWriter.WriteDescribe(o, DescribeTarget.Portal, ""));
        await client.SendAsync(o => FrontendWriter.WriteExecute(o, "", 0));
        await client.SendAsync(o => FrontendWriter.WriteBind(o, "", statement, [], [], []), o => FrontendWriter.WriteExecute(o, "", 0));
        await client.SendAsync(FrontendWriter.WriteSync);
        var answers = await client.ReadUntilReadyAsync();

        Assert.Equal("Z", string.Join(' ', answers.Select(m => m.Type)));
        Assert.Equal('I', answers[^1].Status);
        var recorded = await fixture.RecordedStatementsAsync(marker, count: 2);
        Assert.Equal(["error", "skipped"], recorded.Select(r => r.Str("outcome")));
        Assert.Contains("42703", recorded[0].Str("error"), StringComparison.Ordinal);
        Assert.Contains($"SELECT {marker} FROM pg_class", recorded[0].Str("sql"), StringComparison.Ordinal);

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 1"));
        Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
    }

    /// <summary>
    /// After the failed Parse, the batch's later statements are skipped: each recorded with its own
    /// text, not the failed one's, nor none for a named one (probe GB2).
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("later")]
    public async Task TheStatementsSkippedAfterAFailedParse_AreRecordedWithTheirOwnText(string statement)
    {
        var marker = "nocol_" + PgGatewayFixture.Marker();
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(o => FrontendWriter.WriteParse(o, "", $"SELECT {marker} FROM pg_class", []), FrontendWriter.WriteFlush);
        Assert.Equal("42703", (await client.ReadAsync()).SqlState);
        await client.SendAsync(o => FrontendWriter.WriteBind(o, "", "", [], [], []), o => FrontendWriter.WriteExecute(o, "", 0));
        await client.SendAsync(o => FrontendWriter.WriteParse(o, statement, $"SELECT 'skipped' AS {marker}_2", []));
        await client.SendAsync(o => FrontendWriter.WriteBind(o, "", statement, [], [], []), o => FrontendWriter.WriteExecute(o, "", 0));
        await client.SendAsync(FrontendWriter.WriteSync);
        Assert.Equal("Z", string.Join(' ', (await client.ReadUntilReadyAsync()).Select(m => m.Type)));

        var recorded = await fixture.RecordedStatementsAsync(marker, count: 2);
        Assert.Equal(["error", "skipped"], recorded.Select(r => r.Str("outcome")));
        Assert.Equal($"SELECT 'skipped' AS {marker}_2", recorded[1].Str("sql"));
    }
}
