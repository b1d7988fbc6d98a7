using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Store;
using Appliance.Gateway.Tests.Support;
using Npgsql;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// <c>audit: strict</c> when the store cannot commit (probe AO): nothing runs that the audit log
/// does not hold, the refusals are clean and on record once the store is back, and a session's
/// statement numbers stay without gaps.
/// </summary>
public sealed class StrictAuditTests(StrictAuditTests.Fixture fixture) : IClassFixture<StrictAuditTests.Fixture>
{
    public sealed class Fixture : PgGatewayFixture
    {
        protected override bool PostgresStore => true;
    }

    [Fact]
    public async Task Statement_TheStoreCannotRecord_IsRefused_AndTheNumbersHaveNoGap()
    {
        var marker = PgGatewayFixture.Marker();
        await using (var connection = await fixture.OpenAsync("strict"))
        {
            Assert.Equal("before", await ScalarAsync(connection, $"SELECT 'before' AS {marker}"));
            await using (await StoreOutage.BeginAsync(fixture.Store!))
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(connection, $"SELECT 'during' AS {marker}"));
                Assert.Equal("58000", error.SqlState);
                Assert.Contains("could not record the statement", error.MessageText, StringComparison.Ordinal);
            }
        }

        // Npgsql ends a connection on a class 58 error (system error), as on any it cannot trust: a new one works.
        await using (var again = await fixture.OpenAsync("strict"))
        {
            Assert.Equal("after", await ScalarAsync(again, $"SELECT 'after' AS {marker}"));
        }

        // Two intents committed ahead, then the three statements' own records; the first session's numbers follow each other.
        var recorded = await fixture.RecordedStatementsAsync(marker, count: 5);
        var first = recorded.Where(s => s.Str("outcome") != "forwarded" && s.Str("sql").Contains("'before'", StringComparison.Ordinal)).Single();
        var during = recorded.Single(s => s.Str("sql").Contains("'during'", StringComparison.Ordinal));
        Assert.Equal("error", during.Str("outcome"));
        Assert.Equal(first.GetProperty("seq").GetInt64() + 1, during.GetProperty("seq").GetInt64());
        Assert.Contains(recorded, s => s.Str("sql").Contains("'after'", StringComparison.Ordinal) && s.Str("outcome") == "ok");
    }

    [Fact]
    public async Task Login_TheStoreCannotRecord_IsRefused_AndTheAttemptIsOnRecordAfter()
    {
        await fixture.GrantAsync("strict");
        var application = "strict-" + PgGatewayFixture.Marker();
        var builder = fixture.ConnectionString("strict");
        builder.ApplicationName = application;

        await using (await StoreOutage.BeginWritesFailAsync(fixture.Store!))
        {
            // The store still reads (the token and the grant check out) but takes no write to the audit chain.
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.Equal("58000", error.SqlState);
            Assert.Contains("could not record the session", error.MessageText, StringComparison.Ordinal);
        }

        var session = await fixture.EndedSessionAsync(application);
        Assert.NotNull(session);
        Assert.Contains("could not record the session", session.Value.Str("endReason"), StringComparison.Ordinal);
        Assert.Equal(0, session.Value.GetProperty("statements").GetInt64());
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
