using System.Data;
using System.Text;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Npgsql;

namespace Appliance.Gateway.Tests.Postgres;

public sealed class ClientEncodingOverTlsTests(PgGatewayFixture fixture) : ClientEncodingTests<PgGatewayFixture>(fixture);

public sealed class ClientEncodingOnEventLoopTests(PlaintextFixture fixture) : ClientEncodingTests<PlaintextFixture>(fixture);

/// <summary>
/// Encodings whose multibyte characters contain ASCII bytes would let a statement hide from the
/// guardrails' lexer, so a session in one is refused at login or cut when it switches.
/// </summary>
public abstract class ClientEncodingTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PgGatewayFixture
{
    [Fact]
    public async Task LoginAskingForSjis_IsRefusedWithTheReason()
    {
        await fixture.GrantAsync();
        var builder = fixture.ConnectionString();
        builder.ClientEncoding = "SJIS";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);

        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal("0A000", error.SqlState);
        Assert.Equal("FATAL", error.Severity);
        Assert.Contains("client_encoding \"SJIS\" is not supported", error.MessageText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SET client_encoding TO 'BIG5'")]
    [InlineData("SELECT set_config('client_encoding', 'GBK', false)")]
    public async Task SwitchingToAnUnreadableEncoding_CutsTheSession(string sql)
    {
        await using var connection = await fixture.OpenAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        });

        Assert.Equal("0A000", error.SqlState);
        Assert.Contains("is not supported by the gateway", error.MessageText, StringComparison.Ordinal);
        Assert.NotEqual(ConnectionState.Open, connection.State);
    }

    /// <summary>The record says the gateway cut the session and why, not that the server went away (probe DE-2).</summary>
    [Fact]
    public async Task ASessionCutForItsEncoding_IsRecordedSo()
    {
        // Its own grant: run alone, no other test of the class has made one.
        await fixture.GrantAsync();
        var marker = "enc" + Guid.NewGuid().ToString("N")[..8];
        var builder = fixture.ConnectionString();
        builder.ApplicationName = marker;
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand("SET client_encoding TO 'BIG5'", connection).ExecuteNonQueryAsync());
        }

        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string? reason = null;
        while (reason is null && DateTime.UtcNow < deadline)
        {
            var session = (await auditor.GetJsonAsync("api/sessions?limit=50")).EnumerateArray()
                .FirstOrDefault(s => s.Str("application") == marker);
            reason = session.ValueKind == System.Text.Json.JsonValueKind.Object && session.GetProperty("endReason").ValueKind == System.Text.Json.JsonValueKind.String
                ? session.Str("endReason") : null;
            await Task.Delay(100);
        }

        Assert.Equal("cut by the gateway: client_encoding \"BIG5\" is not supported by the gateway: it cannot check statements in an encoding "
            + "that puts ASCII bytes inside multibyte characters; use UTF8", reason);
    }

    /// <summary>
    /// A statement sent right behind a switch, before the server reports it: in BIG5 the byte
    /// 0x5C after 0xA4 is half a character, not the backslash the gateway would read, so the
    /// literal ends early and what the gateway took for its inside ran (probe DB-1). The second
    /// Query is judged only once the first is answered: the report cuts the session first.
    /// </summary>
    [Fact]
    public async Task AStatementPipelinedBehindASwitch_IsNotJudgedBeforeTheSwitchIsKnown()
    {
        var table = await TableAsync();
        await using var client = await fixture.RawAliceAsync();

        // The switch takes a while to run, so the next Query is at the gateway long before the report.
        var hidden = HiddenBehindBig5Backslash($"DROP TABLE {table}");
        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "SELECT set_config('client_encoding', 'BIG5', false), count(*) FROM generate_series(1, 300000)"),
            o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, hidden));
        var messages = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(20));

        Assert.Contains(messages, m => m.Type == 'E' && m.SqlState == "0A000" && m.Message.Contains("is not supported by the gateway", StringComparison.Ordinal));
        Assert.True(await TableExistsAsync(table));
    }

    /// <summary>In an extended batch the server reports a switch only at Sync: such a text after a statement of the batch ran is refused.</summary>
    [Fact]
    public async Task AStatementBehindAStatementOfItsBatch_IsRefused_WhenItsTextCouldReadDifferently()
    {
        var table = await TableAsync();
        await using var client = await fixture.RawAliceAsync();

        var hidden = HiddenBehindBig5Backslash($"DROP TABLE {table}");
        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "SET client_encoding TO 'BIG5'", []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            o => Raw(o, 'P', [0], hidden, [0, 0, 0]),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        var messages = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));

        var error = Assert.Single(messages, m => m.Type == 'E');
        Assert.Equal("0A000", error.SqlState);
        Assert.Contains("send it after a Sync", error.Message, StringComparison.Ordinal);
        Assert.True(await TableExistsAsync(table));

        // Its own batch, and the switch undone with the failed one: read as the gateway reads it.
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "SELECT 'naïve'"));
        Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
    }

    private async Task<string> TableAsync()
    {
        var table = PgGatewayFixture.TableName("enc");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        return table;
    }

    private async Task<bool> TableExistsAsync(string table) =>
        await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM pg_class WHERE relname = '{table}'") == 1;

    /// <summary>
    /// <c>SELECT E'中\'; {statement} --'</c>: in UTF-8 (中 is E4 B8 AD) one literal, in BIG5 (E4 B8,
    /// then AD 5C, two characters that swallow the backslash) a literal, the statement and a comment.
    /// Valid UTF-8: text that is not is refused before it could be read either way.
    /// </summary>
    private static byte[] HiddenBehindBig5Backslash(string statement) =>
        [.. "SELECT E'"u8, 0xE4, 0xB8, 0xAD, 0x5C, .. Encoding.ASCII.GetBytes($"'; {statement} --'")];

    /// <summary>
    /// A ROLLBACK restores an encoding that may have been set and changed back in one Query, never
    /// reported: the savepoint's (probe DI-1) or the transaction's start (DM-1). The statement
    /// behind it in the batch would be read in it: a hidden DROP ran.
    /// </summary>
    [Theory]
    [InlineData("BEGIN; SET client_encoding TO 'BIG5'; SAVEPOINT a; SET client_encoding TO 'UTF8'", "ROLLBACK TO SAVEPOINT a")]
    [InlineData("SET client_encoding TO 'BIG5'; COMMIT; BEGIN; SET client_encoding TO 'UTF8'", "ROLLBACK")]
    public async Task AStatementBehindARollback_IsRefused_WhenItsTextCouldReadDifferently(string setup, string rollback)
    {
        var table = await TableAsync();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, setup));
        Assert.Equal('T', (await client.ReadUntilReadyAsync())[^1].Status);

        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", rollback, []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, HiddenBehindBig5Backslash($"DROP TABLE {table}")));

        await AssertRefusedAndNotRunAsync(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(20)), table);
    }

    /// <summary>The hidden statement was refused as read in an unknown encoding, and did not run.</summary>
    private async Task AssertRefusedAndNotRunAsync(List<PgMessage> messages, string table)
    {
        Assert.Contains(messages, m => m.Type == 'E' && m.SqlState == "0A000" && m.Message.Contains("send it after a Sync", StringComparison.Ordinal));
        Assert.True(await TableExistsAsync(table));
    }

    /// <summary>
    /// A transaction's end drops its portals; a SQL cursor may then take a portal's name and run
    /// anything. Executed in a later batch, a named portal counts as one that may change the
    /// encoding (probe DO-2: the gateway saw the old portal's SHOW, PostgreSQL ran set_config).
    /// </summary>
    [Fact]
    public async Task AStatementBehindANamedPortalOfAnEarlierBatch_IsRefused_WhenItsTextCouldReadDifferently()
    {
        var table = await TableAsync();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "SHOW client_encoding", []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "p", "", [], [], []),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        await client.ReadUntilReadyAsync();
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(
            o, "BEGIN; DECLARE p CURSOR FOR SELECT set_config('client_encoding', 'BIG5', false)"));
        Assert.Equal('T', (await client.ReadUntilReadyAsync())[^1].Status);

        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "p", 0),
            o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, HiddenBehindBig5Backslash($"DROP TABLE {table}")));

        await AssertRefusedAndNotRunAsync(await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20)), table);
    }

    /// <summary>
    /// Non-ASCII text in a string, with no ASCII letter or digit after a non-ASCII byte, is data in
    /// every encoding: it runs behind any statement of its batch (probe EM-1: batches of '日本語'
    /// literals were refused after a SELECT 1); in a name it could read differently, and is refused.
    /// </summary>
    [Theory]
    [InlineData("SELECT '日本語', 'café' /* é */", false)]
    [InlineData("SELECT 1 AS \"日本語\"", true)]
    public async Task NonAsciiTextBehindAStatementOfItsBatch_RunsWhenItIsOnlyData(string sql, bool refused)
    {
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "SELECT 1", []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", sql, []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        var messages = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));

        if (refused)
        {
            Assert.Contains("send it after a Sync", Assert.Single(messages, m => m.Type == 'E').Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain(messages, m => m.Type == 'E');
            Assert.Equal(2, messages.Count(m => m.Type == 'D'));
        }
    }

    /// <summary>pgjdbc with autocommit off puts BEGIN before a transaction's first statement, in its batch: BEGIN changes no encoding (probe DH).</summary>
    [Fact]
    public async Task AStatementBehindBeginInItsBatch_Runs()
    {
        await using var client = await fixture.RawAliceAsync();

        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "BEGIN", []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "SELECT 'Müller', 'naïve'", []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteBind(o, "", "", [], [], []),
            o => Appliance.Wire.Writing.FrontendWriter.WriteExecute(o, "", 0),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        var messages = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(20));

        Assert.DoesNotContain(messages, m => m.Type == 'E');
        Assert.Contains(messages, m => m.Type == 'D');
        Assert.Equal('T', messages[^1].Status);
    }

    /// <summary>
    /// PostgreSQL tells names of prepared statements and portals apart by their first 63 bytes, in
    /// its own encoding: the gateway takes only names it can keep apart the same way, short ASCII
    /// ones (probe EA-1: in a LATIN1 session \xfe and \xff were one name to the gateway; EF1, EF2:
    /// two 70-byte names alike in their first 63 were two to the gateway, one to PostgreSQL).
    /// </summary>
    [Theory]
    [InlineData("fe")]
    [InlineData("long")]
    public async Task NamesPostgresCouldNotTellApart_AreRefused(string kind)
    {
        await using var client = await fixture.RawAliceAsync();
        byte[] name = kind == "fe" ? [0xFE] : Encoding.ASCII.GetBytes(new string('n', 63) + "_harmless");

        await client.SendAsync(
            o => Raw(o, 'P', name, [0], "SELECT 1"u8.ToArray(), [0, 0, 0]),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        var parse = await client.ReadUntilReadyAsync();
        await client.SendAsync(
            o => Appliance.Wire.Writing.FrontendWriter.WriteParse(o, "", "SELECT 1", []),
            o => Raw(o, 'B', name, [0], [0], [0, 0, 0, 0, 0, 0]),
            o => Raw(o, 'E', name, [0], [0, 0, 0, 0]),
            Appliance.Wire.Writing.FrontendWriter.WriteSync);
        var portal = await client.ReadUntilReadyAsync();

        Assert.Equal("42602", Assert.Single(parse, m => m.Type == 'E').SqlState);
        Assert.Contains("at most 63 ASCII bytes", Assert.Single(portal, m => m.Type == 'E').Message, StringComparison.Ordinal);
        Assert.DoesNotContain(portal, m => m.Type == 'D');
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "SELECT 1"));
        Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
    }

    /// <summary>
    /// Text that is not UTF-8 is refused (a LATIN1 session's 'Müller'), and so is UTF-8 text that
    /// could read differently while the session is in another encoding than UTF8: the same bytes
    /// are other characters there, and names are cut at other places (probe EF). ASCII runs as ever.
    /// </summary>
    [Fact]
    public async Task InALatin1Session_TextThatCouldReadDifferently_IsRefused()
    {
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "SET client_encoding TO 'LATIN1'"));
        await client.ReadUntilReadyAsync();

        await client.SendAsync(o => Raw(o, 'Q', "SELECT 'M"u8.ToArray(), [0xFC], "ller'"u8.ToArray(), [0]));
        var notUtf8 = await client.ReadUntilReadyAsync();
        await client.SendAsync(o => Raw(o, 'Q', "SELECT 'M"u8.ToArray(), [0xC3, 0xBC], "ller'"u8.ToArray(), [0]));
        var utf8InLatin1 = await client.ReadUntilReadyAsync();
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, "SELECT 'Mueller'"));
        var ascii = await client.ReadUntilReadyAsync();

        var error = Assert.Single(notUtf8, m => m.Type == 'E');
        Assert.Equal("22021", error.SqlState);
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        var latin1 = Assert.Single(utf8InLatin1, m => m.Type == 'E');
        Assert.Equal("0A000", latin1.SqlState);
        Assert.Contains("client_encoding LATIN1", latin1.Message, StringComparison.Ordinal);
        Assert.Contains(ascii, m => m.Type == 'D');
    }

    /// <summary>A message of <paramref name="type"/> whose body is <paramref name="parts"/> as they are.</summary>
    private static void Raw(System.Buffers.IBufferWriter<byte> output, char type, params byte[][] parts)
    {
        var length = parts.Sum(p => p.Length);
        var span = output.GetSpan(5 + length);
        span[0] = (byte)type;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(span[1..], 4 + length);
        var at = 5;
        foreach (var part in parts)
        {
            part.CopyTo(span[at..]);
            at += part.Length;
        }

        output.Advance(5 + length);
    }

    [Fact]
    public async Task SwitchingToAnAsciiCompatibleEncoding_Works()
    {
        await using var connection = await fixture.OpenAsync();
        await using (var set = new NpgsqlCommand("SET client_encoding TO 'LATIN1'", connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using var show = new NpgsqlCommand("SHOW client_encoding", connection);
        Assert.Equal("LATIN1", await show.ExecuteScalarAsync());
    }
}

public sealed class ClientEncodingsTests
{
    [Theory]
    [InlineData("BEGIN", false)]
    [InlineData("  /* driver */ START TRANSACTION ISOLATION LEVEL SERIALIZABLE", false)]
    [InlineData("RELEASE SAVEPOINT a", false)]
    [InlineData("SET application_name = 'PostgreSQL JDBC Driver'", false)]
    [InlineData("SET SESSION extra_float_digits = 3", false)]
    [InlineData("RESET search_path", false)]
    [InlineData("SAVEPOINT a", false)]
    [InlineData("ROLLBACK", true)] // restores the transaction's start, maybe never reported (probe DM-1)
    [InlineData("ABORT AND CHAIN", true)]
    [InlineData("ROLLBACK TO SAVEPOINT a", true)] // restores the encoding the savepoint saw, maybe never reported (probe DI-1)
    [InlineData("rollback work to a", true)]
    [InlineData("SHOW client_encoding", false)]
    [InlineData("SET client_encoding TO 'BIG5'", true)]
    [InlineData("set local \"client_encoding\" = 'SJIS'", true)]
    [InlineData("SET NAMES 'GBK'", true)]
    [InlineData("RESET ALL", true)]
    [InlineData("SET CONSTRAINTS ALL IMMEDIATE", true)] // runs deferred triggers
    [InlineData("SET --\rclient_encoding TO 'SJIS' /*\napplication_name */", true)] // a -- comment ends at a carriage return too (probe DO-1)
    [InlineData("COMMIT", true)] // deferred triggers run at COMMIT
    [InlineData("SELECT 'Müller'", true)] // may read a view or call a function that calls set_config
    [InlineData("SELECT set_config('client_encoding', 'BIG5', false)", true)]
    [InlineData("/* /* */ BEGIN */ SET client_encoding TO 'BIG5'", true)] // block comments nest
    [InlineData("BEGIN; SET client_encoding TO 'BIG5'", true)]
    [InlineData("SET U&\"client\\0065ncoding\" TO 'BIG5'", true)] // the name by Unicode escapes
    [InlineData("SET \"CLIENT_ENCODING\" TO 'BIG5'", true)] // setting names are case-insensitive
    [InlineData("SET my.var = 'x'", false)]
    [InlineData("", true)]
    public void MayChangeClientEncoding_OnlyStatementsThatRunNoCodeAndSetNoEncoding_AreSafe(string sql, bool expected) =>
        Assert.Equal(expected, ClientEncodings.MayChangeClientEncoding(Encoding.UTF8.GetBytes(sql)));

    [Theory]
    [InlineData("UTF8")]
    [InlineData("SQL_ASCII")]
    [InlineData("LATIN1")]
    [InlineData("EUC_JP")]
    [InlineData("WIN1252")]
    public void AsciiCompatibleEncodings_AreReadable(string encoding) =>
        Assert.Null(ClientEncodings.Refusal(Encoding.ASCII.GetBytes(encoding)));

    [Theory]
    [InlineData("SJIS")]
    [InlineData("sjis")]
    [InlineData("SHIFT_JIS_2004")]
    [InlineData("BIG5")]
    [InlineData("GBK")]
    [InlineData("UHC")]
    [InlineData("GB18030")]
    [InlineData("JOHAB")]
    public void EncodingsWithAsciiBytesInsideCharacters_AreRefused(string encoding) =>
        Assert.Contains(encoding, ClientEncodings.Refusal(Encoding.ASCII.GetBytes(encoding)), StringComparison.Ordinal);
}
