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
    /// A simple Query sent after an extended statement failed, before the Sync: PostgreSQL ignores
    /// it. The next results stay in step and masked, and the Query is recorded skipped (probe HC1).
    /// </summary>
    [Fact]
    public async Task AQuerySentIntoAFailedExtendedBatch_IsSkipped_AndLaterResultsStayInStep()
    {
        var marker = "ignored_" + PgGatewayFixture.Marker();
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, ssn text); INSERT INTO {table} VALUES (1, '123-45-6789')");
        await using var client = await fixture.RawAliceAsync();

        Assert.Equal("22012", (await FailAnExtendedBatchAsync(client)).SqlState);
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"SELECT 'never' AS {marker}"));
        await client.SendAsync(FrontendWriter.WriteSync);
        Assert.Equal("Z", string.Join(' ', (await client.ReadUntilReadyAsync()).Select(m => m.Type)));

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 'hello'"));
        var hello = await client.ReadUntilReadyAsync();
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(Assert.Single(hello, m => m.Type == 'D').Body[6..]));
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"SELECT translate(ssn, '0123456789', 'abcdefghij') FROM {table}"));
        var masked = System.Text.Encoding.UTF8.GetString(Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'D').Body);
        Assert.DoesNotContain("bcd-ef-ghij", masked, StringComparison.Ordinal);
        Assert.Equal("skipped", Assert.Single(await fixture.RecordedStatementsAsync(marker)).Str("outcome"));
    }

    /// <summary>A FunctionCall sent into a failed extended batch is skipped as PostgreSQL skips it: no answer of its own (probe IA2).</summary>
    [Fact]
    public async Task AFunctionCallSentIntoAFailedExtendedBatch_GetsNoAnswerOfItsOwn()
    {
        await using var client = await fixture.RawAliceAsync();
        await FailAnExtendedBatchAsync(client);

        // Function oid 1: no such call runs.
        await client.SendAsync(RawPgClient.FunctionCall(1));
        await client.SendAsync(FrontendWriter.WriteSync);
        Assert.Equal("Z", string.Join(' ', (await client.ReadUntilReadyAsync()).Select(m => m.Type)));

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 'hello'"));
        Assert.Equal("D", string.Join(' ', (await client.ReadUntilReadyAsync()).Where(m => m.Type == 'D').Select(m => m.Type)));
    }

    /// <summary>
    /// A FunctionCall or a Query the gateway refuses, sent in the same write as an Execute that
    /// fails: PostgreSQL skips the stand-in the gateway sends in its place, and the answers after
    /// the batch stay in step (probe MB1: every later result was one behind, and records false).
    /// </summary>
    [Theory]
    [InlineData("function call")]
    [InlineData("refused query")]
    public async Task ARefusalSentIntoABatchThatFailsBeforeIt_LeavesLaterAnswersInStep(string refused)
    {
        var marker = "instep_" + PgGatewayFixture.Marker();
        await using var client = await fixture.RawAliceAsync();
        // A FunctionCall of int4pl (oid 177).
        var refusal = refused == "function call"
            ? RawPgClient.FunctionCall(177)
            : o => FrontendWriter.WriteQuery(o, "DROP TABLE nothing_here");

        await client.SendAsync(RawPgClient.Unnamed("SELECT 1/0"), refusal, FrontendWriter.WriteSync);
        var batch = await client.ReadUntilReadyAsync();
        Assert.Equal("22012", Assert.Single(batch, m => m.Type == 'E').SqlState);

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"SELECT 'abc' AS {marker}"));
        var answer = await client.ReadUntilReadyAsync();
        Assert.Equal("abc", System.Text.Encoding.UTF8.GetString(Assert.Single(answer, m => m.Type == 'D').Body[6..]));
        Assert.Equal("ok", Assert.Single(await fixture.RecordedStatementsAsync(marker)).Str("outcome"));
    }

    /// <summary>An extended batch whose Execute fails upstream (division by zero), flushed but not synced: its error.</summary>
    private static async Task<PgMessage> FailAnExtendedBatchAsync(RawPgClient client)
    {
        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "", "SELECT 1/0", []),
            o => FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteFlush);
        return (await client.ReadUntilAsync('E'))[^1];
    }

    /// <summary>A Parse of a name already taken fails (42P05): recorded with its text and that error (probe GB3).</summary>
    [Fact]
    public async Task AParseOfANameAlreadyTaken_IsRecordedAsFailed()
    {
        var marker = "dup_" + PgGatewayFixture.Marker();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "taken", "SELECT 1", []), FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "taken", $"SELECT 2 AS {marker}", []),
            o => FrontendWriter.WriteBind(o, "", "taken", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var answers = await client.ReadUntilReadyAsync();

        Assert.Equal("42P05", Assert.Single(answers, m => m.Type == 'E').SqlState);
        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal("error", recorded.Str("outcome"));
        Assert.StartsWith("42P05", recorded.Str("error"), StringComparison.Ordinal);
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
