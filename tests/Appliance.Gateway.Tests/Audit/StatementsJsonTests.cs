using Appliance.Gateway.Audit;
using Appliance.Gateway.Store;

namespace Appliance.Gateway.Tests.Audit;

/// <summary>The hand-written statements JSON is exactly what the store's serializer writes for the same records.</summary>
public sealed class StatementsJsonTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 10, 0, 0, 123, TimeSpan.FromHours(2));

    public static TheoryData<string> Texts => new()
    {
        "SELECT abalance FROM pgbench_accounts WHERE aid = 4711;",
        "SELECT '<b>&amp;</b>', 'it''s', \"quoted\", E'\\\\back\\tslash\\n'",
        "SELECT 'ünïcode ✓ 日本語 🚀'",
        "SELECT '\u0001\u001f\u007f control'",
        "",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Serialize_MatchesTheStoreSerializer_ByteForByte(string sql)
    {
        StatementRecord[] records =
        [
            new("s-1", 1, At, 0.123456789, sql, ["4111 **** **** 1111", null, "x\"y"], StatementRecord.Ok, "SELECT 1", 1, null,
                ["id", "ssn"], [["1", null], ["2", "***-**-6789 " + sql]], "big-table, late-night"),
            new("s-1", 2, At.AddMilliseconds(1.5), 0, sql, null, StatementRecord.Blocked, null, null, "42501: blocked " + sql,
                null, null, "destructive-ddl"),
            new("s-1", long.MaxValue, DateTimeOffset.MinValue, double.Epsilon, sql, [], StatementRecord.Failed, "", long.MinValue, "",
                [], [[]], null),
        ];

        var expected = StoreJson.Serialize(new { statements = records });
        Assert.Equal(expected, StatementsJson.Serialize(records));
    }

    [Fact]
    public void Writer_IsReusedAcrossEvents_AndCountsWhatItHolds()
    {
        var json = new StatementsJson();
        var first = new StatementRecord("s-2", 1, At, 1, "SELECT 1", null, StatementRecord.Ok, "SELECT 1", 1, null, null, null, null);
        json.Begin();
        json.Add(first);
        json.Add(first with { Seq = 2 });
        Assert.Equal(2, json.Count);
        Assert.Equal(StoreJson.Serialize(new { statements = new[] { first, first with { Seq = 2 } } }), json.End());

        json.Begin();
        Assert.Equal(0, json.Count);
        json.Add(first with { Seq = 3 });
        Assert.Equal(StoreJson.Serialize(new { statements = new[] { first with { Seq = 3 } } }), json.End());
    }
}
