using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// A statement's record says whether PostgreSQL kept its work. The statements of an extended
/// batch outside a transaction block share an implicit transaction that commits at Sync: one
/// PostgreSQL answered with CommandComplete is still undone by a later error, a ROLLBACK, a
/// failed commit or the client leaving before the Sync (probe IA3). Each case is checked against
/// the table itself, upstream.
/// </summary>
public sealed class TransactionOutcomeTests(PlaintextFixture fixture) : IClassFixture<PlaintextFixture>
{
    [Fact]
    public async Task AWriteInABatchThatFailsLater_IsRecordedRolledBack()
    {
        var (table, marker) = await TableAsync();
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(Statement($"INSERT INTO {table} VALUES (1) -- {marker}"), Statement("SELECT 1/0"), FrontendWriter.WriteSync);
        var answers = await client.ReadUntilReadyAsync();

        Assert.Equal("22012", Assert.Single(answers, m => m.Type == 'E').SqlState);
        Assert.Contains(answers, m => m.Type == 'C');
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        var insert = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal("rolled-back", insert.Str("outcome"));
        Assert.Equal("INSERT 0 1", insert.Str("commandTag"));
        Assert.Contains("an error later in its extended batch", insert.Str("error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWriteFlushedButNeverSynced_IsRecordedRolledBack_WhenTheClientLeaves()
    {
        var (table, marker) = await TableAsync();
        await using (var client = await fixture.RawAliceAsync())
        {
            await client.SendAsync(Statement($"INSERT INTO {table} VALUES (1) -- {marker}"), FrontendWriter.WriteFlush);
            Assert.Contains(await client.ReadUntilAsync('C'), m => m.Type == 'C');
            await client.SendAsync(FrontendWriter.WriteTerminate);
        }

        var insert = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal("rolled-back", insert.Str("outcome"));
        Assert.Contains("the session ended before a Sync", insert.Str("error"), StringComparison.Ordinal);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task AWriteFollowedByARollbackInItsBatch_IsRecordedRolledBack()
    {
        var (table, marker) = await TableAsync();
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(Statement($"INSERT INTO {table} VALUES (1) -- {marker}"), Statement("ROLLBACK"), FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();

        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        var insert = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal("rolled-back", insert.Str("outcome"));
        Assert.Contains("a ROLLBACK later in its extended batch", insert.Str("error"), StringComparison.Ordinal);
    }

    /// <summary>A deferred foreign key fails at the implicit commit, the Sync's answer.</summary>
    [Fact]
    public async Task AWriteWhoseCommitFailsAtSync_IsRecordedRolledBack()
    {
        var (table, marker) = await TableAsync();
        await fixture.UpstreamAsync($"CREATE TABLE {table}_child (id int REFERENCES {table} (id) DEFERRABLE INITIALLY DEFERRED)");
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(Statement($"INSERT INTO {table}_child VALUES (7) -- {marker}"), FrontendWriter.WriteSync);
        var answers = await client.ReadUntilReadyAsync();

        Assert.Equal("23503", Assert.Single(answers, m => m.Type == 'E').SqlState);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}_child"));
        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal("rolled-back", recorded.Str("outcome"));
        // The commit failed, not a later statement, and the record keeps the error the client saw (probe VB2).
        Assert.StartsWith("rolled back: the commit of the implicit transaction it ran in failed at the Sync: 23503", recorded.Str("error"), StringComparison.Ordinal);
    }

    /// <summary>The cases above against what commits: a synced batch, and a failure after an explicit BEGIN, which leaves the block to the client.</summary>
    [Fact]
    public async Task AWriteThatCommits_OrIsInABlockTheClientEnds_IsRecordedOk()
    {
        var (table, marker) = await TableAsync();
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(Statement($"INSERT INTO {table} VALUES (1) -- {marker} synced"), FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();
        await client.SendAsync(
            Statement("BEGIN"), Statement($"INSERT INTO {table} VALUES (2) -- {marker} in a block"), Statement("SELECT 1/0"), FrontendWriter.WriteSync);
        Assert.Equal('E', (await client.ReadUntilReadyAsync())[^1].Status);
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "ROLLBACK"));
        await client.ReadUntilReadyAsync();

        Assert.Equal(1L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        var recorded = await fixture.RecordedStatementsAsync(marker, count: 2);
        Assert.Equal(["ok", "ok"], recorded.Select(r => r.Str("outcome")));
    }

    /// <summary>
    /// COMMIT AND CHAIN (tag COMMIT) keeps a block open, and ROLLBACK TO SAVEPOINT (tag ROLLBACK)
    /// too: after a transaction-control statement in a batch the records say what PostgreSQL
    /// answered, never rolled-back for work it kept (probe KA2).
    /// </summary>
    [Fact]
    public async Task AfterChainOrSavepointsInABatch_WorkPostgreSqlKept_IsNotRecordedRolledBack()
    {
        var (table, marker) = await TableAsync();
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(
            Statement("BEGIN"), Statement($"INSERT INTO {table} VALUES (1) -- {marker} before"), Statement("COMMIT AND CHAIN"),
            Statement($"INSERT INTO {table} VALUES (2) -- {marker} chained"), Statement("SAVEPOINT s"), Statement("SAVEPOINT s2"),
            Statement("ROLLBACK TO SAVEPOINT s2"), Statement($"INSERT INTO {table} VALUES (3) -- {marker} after"), Statement("SAVEPOINT s3"),
            Statement("SELECT 1/0"), FrontendWriter.WriteSync);
        Assert.Equal('E', (await client.ReadUntilReadyAsync())[^1].Status);
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "ROLLBACK TO SAVEPOINT s3; COMMIT"));
        await client.ReadUntilReadyAsync();

        Assert.Equal(3L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        var recorded = await fixture.RecordedStatementsAsync(marker, count: 3);
        Assert.Equal(["ok", "ok", "ok"], recorded.Select(r => r.Str("outcome")));
    }

    /// <summary>A simple Query sent after a flushed write commits it when it ends, even if the client is gone by then (probe KA3).</summary>
    [Fact]
    public async Task AWriteFollowedByAQuery_WhenTheClientLeavesMeanwhile_IsRecordedOk()
    {
        var (table, marker) = await TableAsync();
        await using (var client = await fixture.RawAliceAsync())
        {
            await client.SendAsync(Statement($"INSERT INTO {table} VALUES (1) -- {marker}"), FrontendWriter.WriteFlush);
            await client.ReadUntilAsync('C');
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT count(*) FROM generate_series(1, 2000000)"));
        }

        var insert = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal("ok", insert.Str("outcome"));
        // The query takes its time to end, longer on a loaded 2-core machine: the commit follows it (up to 30 s).
        for (var i = 0; i < 300 && await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}") == 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(1L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    /// <summary>
    /// A refused fast-path FunctionCall fails the implicit transaction of the batch before it, as
    /// PostgreSQL's failing call does: the Sync after it commits nothing the client was told failed.
    /// </summary>
    [Fact]
    public async Task ARefusedFunctionCall_RollsBackTheBatchBeforeIt()
    {
        var (table, marker) = await TableAsync();
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(Statement($"INSERT INTO {table} VALUES (1) -- {marker}"), FrontendWriter.WriteFlush);
        await client.ReadUntilAsync('C');
        await client.SendAsync(RawPgClient.FunctionCall(1));
        var refused = await client.ReadUntilReadyAsync();
        Assert.Equal("42501", Assert.Single(refused, m => m.Type == 'E').SqlState);
        await client.SendAsync(FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();

        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        Assert.Equal("rolled-back", Assert.Single(await fixture.RecordedStatementsAsync(marker)).Str("outcome"));
    }

    [Fact]
    public async Task ASessionThatEndsInsideATransactionBlock_SaysSoInItsEndReason()
    {
        var (table, _) = await TableAsync();
        var application = "open_block_" + PgGatewayFixture.Marker();
        await fixture.GrantAsync();
        await using (var client = await RawPgClient.ConnectAsync(fixture.Port))
        {
            await client.SendStartupAsync(Appliance.Tests.Common.Gateway.TestPolicies.Alice, "demo", fixture.AliceToken, new KeyValuePair<string, string>("application_name", application));
            await client.ReadUntilReadyAsync();
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, $"BEGIN; INSERT INTO {table} VALUES (1)"));
            Assert.Equal('T', (await client.ReadUntilReadyAsync())[^1].Status);
            await client.SendAsync(FrontendWriter.WriteTerminate);
        }

        var session = await fixture.EndedSessionAsync(application);
        Assert.NotNull(session);
        Assert.Contains("inside a transaction block, which PostgreSQL rolled back", session.Value.Str("endReason"), StringComparison.Ordinal);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    private async Task<(string Table, string Marker)> TableAsync()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int PRIMARY KEY)");
        return (table, "tx_" + PgGatewayFixture.Marker());
    }

    private static Action<System.Buffers.IBufferWriter<byte>> Statement(string sql) => RawPgClient.Unnamed(sql);
}
