using System.Text;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Wire.Backend;
using Appliance.Wire.Frontend;
using Appliance.Wire.Writing;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// COPY FROM STDIN with the Syncs PostgreSQL ignores while it reads COPY data: libpq's
/// PQexecParams sends one right behind the COPY's Execute, answered by nothing, and another after
/// CopyDone. Counted as answerable, the first left the gateway one answer behind for the rest of
/// the session, masking every result by the plan of the statement before it (probe FD1).
/// </summary>
public sealed class CopyInTests(PlaintextFixture fixture) : IClassFixture<PlaintextFixture>
{
    private const string Ssn = "123-45-6789";

    [Fact]
    public async Task ExtendedCopyIn_WithLibpqsSyncBeforeTheData_KeepsEveryLaterResultInStep()
    {
        var table = await CreateTableAsync();
        await using var client = await LoginAsync();

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "", $"COPY {table} (id, ssn) FROM STDIN", []),
            o => FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => FrontendWriter.WriteDescribe(o, DescribeTarget.Portal, ""),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        Assert.Equal("1 2 n G", string.Join(' ', (await client.ReadUntilAsync('G')).Select(m => m.Type)));
        await client.SendAsync(
            o => CopyWriter.WriteCopyData(o, Encoding.UTF8.GetBytes($"2\t{Ssn}\n")),
            CopyWriter.WriteCopyDone,
            FrontendWriter.WriteSync);
        Assert.Equal("C Z", string.Join(' ', (await client.ReadUntilReadyAsync()).Select(m => m.Type)));

        await AssertInStepAsync(client, table, rows: 2);
    }

    [Fact]
    public async Task SimpleCopyIn_WithASyncAmongTheData_KeepsEveryLaterResultInStep()
    {
        var table = await CreateTableAsync();
        await using var client = await LoginAsync();

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"COPY {table} (id, ssn) FROM STDIN"));
        Assert.Equal("G", string.Join(' ', (await client.ReadUntilAsync('G')).Select(m => m.Type)));
        await client.SendAsync(
            o => CopyWriter.WriteCopyData(o, Encoding.UTF8.GetBytes($"2\t{Ssn}\n")),
            FrontendWriter.WriteSync,
            FrontendWriter.WriteFlush,
            CopyWriter.WriteCopyDone);
        Assert.Equal("C Z", string.Join(' ', (await client.ReadUntilReadyAsync()).Select(m => m.Type)));

        await AssertInStepAsync(client, table, rows: 2);
    }

    [Fact]
    public async Task ExtendedCopyIn_ThatFailsToStart_StillAnswersItsSync()
    {
        // The upstream never reads data for a COPY it refuses: the Sync behind it is answered.
        await using var client = await LoginAsync();

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "", "COPY no_such_table_here FROM STDIN", []),
            o => FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        var answers = await client.ReadUntilReadyAsync();

        Assert.Equal("1 2 E Z", string.Join(' ', answers.Select(m => m.Type)));
        Assert.Equal("42P01", answers[2].SqlState);
        await AssertHelloAsync(client);
    }

    private async Task<string> CreateTableAsync()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, ssn text); INSERT INTO {table} VALUES (1, '{Ssn}')");
        return table;
    }

    private async Task<RawPgClient> LoginAsync()
    {
        await fixture.GrantAsync();
        return await RawPgClient.LoginAsync(fixture.Port, Alice, fixture.AliceToken, "demo");
    }

    /// <summary>A constant comes back as itself, and the masked column masked, in both protocols.</summary>
    private static async Task AssertInStepAsync(RawPgClient client, string table, int rows)
    {
        await AssertHelloAsync(client);

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"SELECT reverse(ssn) FROM {table}"));
        var masked = Values(await client.ReadUntilReadyAsync());
        Assert.Equal(rows, masked.Count);
        Assert.All(masked, value => Assert.DoesNotContain("54-321", value ?? "", StringComparison.Ordinal));

        await client.SendAsync(
            o => FrontendWriter.WriteParse(o, "", $"SELECT count(*)::text FROM {table}", []),
            o => FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => FrontendWriter.WriteExecute(o, "", 0),
            FrontendWriter.WriteSync);
        Assert.Equal([rows.ToString(System.Globalization.CultureInfo.InvariantCulture)], Values(await client.ReadUntilReadyAsync()));
    }

    private static async Task AssertHelloAsync(RawPgClient client)
    {
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 'hello'"));
        Assert.Equal(["hello"], Values(await client.ReadUntilReadyAsync()));
    }

    private static List<string?> Values(IEnumerable<PgMessage> messages) =>
        [.. messages.Where(m => m.Type == 'D').Select(m =>
        {
            foreach (var value in DataRowMessage.Parse(m.Body).Columns)
            {
                return value.IsNull ? null : Encoding.UTF8.GetString(value.Bytes);
            }

            return null;
        })];
}
