using System.Text;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Wire.Backend;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Writing;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// A prepared statement's result shape is asked for once and kept for its next portals (drivers
/// describe once, then only bind and execute), but never past what PostgreSQL guarantees: the
/// shape is per result formats, and a new Parse of the same text starts over.
/// </summary>
public sealed class PreparedResultTests(PlaintextFixture fixture) : IClassFixture<PlaintextFixture>
{
    private const string Ssn = "123-45-6789";

    private async Task<RawPgClient> LoginAsync()
    {
        await fixture.GrantAsync();
        return await RawPgClient.LoginAsync(fixture.Port, Alice, fixture.AliceToken, "demo");
    }

    /// <summary>The values of the DataRows among <paramref name="messages"/>, as text (null for NULL).</summary>
    private static List<string?[]> Rows(IEnumerable<PgMessage> messages) =>
        [.. messages.Where(m => m.Type == 'D').Select(m =>
        {
            var values = new List<string?>();
            foreach (var value in DataRowMessage.Parse(m.Body).Columns)
            {
                values.Add(value.IsNull ? null : Encoding.UTF8.GetString(value.Bytes));
            }

            return values.ToArray();
        })];

    private static string Text(string?[] row) => string.Join('|', row.Select(v => v ?? "NULL"));

    private static async Task<List<PgMessage>> ExecuteAsync(RawPgClient client, string statement, params PgFormat[] resultFormats)
    {
        await client.SendAsync(
            o => FrontendWriter.WriteBind(o, "", statement, [], [], resultFormats),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        return await client.ReadUntilReadyAsync();
    }

    [Fact]
    public async Task PreparedStatement_ExecutedWithoutDescribe_InTextAndBinary_IsMaskedInEachFormat()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, ssn text, note text); INSERT INTO {table} VALUES (1, '{Ssn}', 'card 4111 1111 1111 1111')");
        await using var client = await LoginAsync();
        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "s1", $"SELECT ssn, note FROM {table}", []),
            o => FrontendWriter.WriteDescribe(o, DescribeTarget.Statement, "s1"),
            FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();

        // Each format set twice in a row: the first execution describes the portal, the second reuses what it answered.
        PgFormat[][] formatSets = [[], [], [PgFormat.Binary], [PgFormat.Binary], [PgFormat.Binary, PgFormat.Text], [PgFormat.Binary, PgFormat.Text], []];
        foreach (var formats in formatSets)
        {
            var messages = await ExecuteAsync(client, "s1", formats);
            Assert.Equal("2 D C Z", string.Join(' ', messages.Select(m => m.Type)));
            var row = Assert.Single(Rows(messages));
            Assert.Equal("****", row[0]);
            Assert.DoesNotContain("4111 1111 1111 1111", row[1], StringComparison.Ordinal);
            Assert.EndsWith("1111", row[1], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UnnamedStatement_ParsedAgainAfterItsTableGainedAMaskedColumn_IsDescribedAgain_AndMasked()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, note text); INSERT INTO {table} VALUES (1, 'hello')");
        await using var client = await LoginAsync();
        var query = $"SELECT * FROM {table}";
        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync(o => FrontendWriter.WriteParse(o, "", query, []));
            var before = Rows(await ExecuteAsync(client, ""));
            Assert.Equal("1|hello", Text(Assert.Single(before)));
        }

        await fixture.UpstreamAsync($"ALTER TABLE {table} ADD COLUMN ssn text DEFAULT '{Ssn}'");
        // The same text, parsed again: its result has a column more, masked by name.
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "", query, []));
        var after = Assert.Single(Rows(await ExecuteAsync(client, "")));
        Assert.Equal("1|hello|****", Text(after));
    }

    [Fact]
    public async Task NamedStatement_WhoseTableChanged_FailsUpstream_AndNothingUnmaskedLeaves()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, note text); INSERT INTO {table} VALUES (1, 'hello')");
        await using var client = await LoginAsync();
        await client.SendAsync(o => FrontendWriter.WriteParse(o, "s2", $"SELECT * FROM {table}", []));
        Assert.Single(Rows(await ExecuteAsync(client, "s2")));

        await fixture.UpstreamAsync($"ALTER TABLE {table} ADD COLUMN ssn text DEFAULT '{Ssn}'");
        var messages = await ExecuteAsync(client, "s2");
        var error = Assert.Single(messages, m => m.Type == 'E');
        Assert.Equal("0A000", error.SqlState); // cached plan must not change result type
        Assert.Empty(Rows(messages));

        await client.SendAsync(
            o => FrontendWriter.WriteClose(o, DescribeTarget.Statement, "s2"),
            o => FrontendWriter.WriteParse(o, "s2", $"SELECT * FROM {table}", []));
        Assert.Equal("1|hello|****", Text(Assert.Single(Rows(await ExecuteAsync(client, "s2")))));
    }
}
