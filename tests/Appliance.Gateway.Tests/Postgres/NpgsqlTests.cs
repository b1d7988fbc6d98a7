using System.Data;
using System.Text;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Gateway.Tests.Support;
using Appliance.Wire.Backend;
using Appliance.Wire.Writing;
using Npgsql;
using NpgsqlTypes;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>Over TLS: the session runs on its own threads.</summary>
public sealed class NpgsqlOverTlsTests(PgGatewayFixture fixture) : NpgsqlTests<PgGatewayFixture>(fixture);

/// <summary>In plaintext: the session runs on an event loop.</summary>
public sealed class NpgsqlOnEventLoopTests(PlaintextFixture fixture) : NpgsqlTests<PlaintextFixture>(fixture);

/// <summary>Npgsql through the gateway: binary and text results, the extended protocol, pipelined batches, COPY, notices, notifications, cancel.</summary>
public abstract class NpgsqlTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : PgGatewayFixture
{
    [Fact]
    public async Task ALoginTheUpstreamRefuses_IsRecordedAsASessionOfThePerson_ThatEndsAtOnce()
    {
        await fixture.GrantAsync();
        var application = "escalate-" + Guid.NewGuid().ToString("N")[..8];
        var builder = fixture.ConnectionString();
        builder.Options = "-c role=postgres";
        builder.ApplicationName = application + " 078-05-1120";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("42501", refused.SqlState);

        // The application name is the client's free text, recorded masked here too.
        var session = await fixture.EndedSessionAsync(application + " ***-**-1120");
        Assert.NotNull(session);
        Assert.Equal(Appliance.Tests.Common.Gateway.TestPolicies.Alice, session.Value.GetProperty("user").GetString());
        Assert.StartsWith("the login was refused after authentication: ", session.Value.GetProperty("endReason").GetString(), StringComparison.Ordinal);

        // What it asked for is in its start.
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var events = await auditor.GetJsonAsync($"api/sessions/{session.Value.GetProperty("id").GetString()}/events");
        var started = events.EnumerateArray().Single(e => e.GetProperty("type").GetString() == "session.started");
        Assert.Equal("-c role=postgres", started.GetProperty("data").GetProperty("settings").GetProperty("options").GetString());
    }

    /// <summary>
    /// A session the server ends (an idle timeout, an administrator) is recorded with the server's
    /// reason, as the client was told it (probe DX6: only "upstream ended the session").
    /// </summary>
    [Fact]
    public async Task ASessionTheServerEnds_IsRecordedWithItsReason()
    {
        await fixture.GrantAsync();
        var application = "idle-" + Guid.NewGuid().ToString("N")[..8];
        var builder = fixture.ConnectionString();
        builder.ApplicationName = application;
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using (var set = new NpgsqlCommand("SET idle_session_timeout = 200", connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        var session = await fixture.EndedSessionAsync(application);

        Assert.NotNull(session);
        Assert.StartsWith("upstream ended the session: 57P05: terminating connection due to idle-session timeout",
            session.Value.GetProperty("endReason").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// An auditor finds the sessions that ran a statement by its text (probe DY5: only user,
    /// connection and time could be searched), in any case, with LIKE's wildcards and JSON's
    /// escapes taken literally; a masked value is not found by what it was.
    /// </summary>
    [Fact]
    public async Task SessionsAreFoundByTheTextOfTheirStatements()
    {
        var marker = PgGatewayFixture.Marker();
        await using (var connection = await fixture.OpenAsync())
        {
            await using var command = new NpgsqlCommand($"SELECT 'it''s \"{marker}\" 50%_done', '078-05-1120' AS {marker}_v", connection);
            await command.ExecuteScalarAsync();
        }

        Assert.Single(await fixture.RecordedStatementsAsync(marker + "_v"));
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        async Task<int> FoundAsync(string text) =>
            (await auditor.GetJsonAsync("api/sessions?text=" + Uri.EscapeDataString(text))).GetArrayLength();

        Assert.Equal(1, await FoundAsync(marker.ToUpperInvariant() + "_V"));
        Assert.Equal(1, await FoundAsync($"\"{marker}\" 50%_done"));
        Assert.Equal(0, await FoundAsync($"\"{marker}\" 50%x"));
        Assert.Equal(0, await FoundAsync("078-05-1120' AS " + marker));
    }

    /// <summary>
    /// A refused login is recorded as a session that ended at once, with why, where auditors search
    /// sessions (probe DY4: only the log had it): a wrong password, no grant. A token typed as the
    /// user name is not kept: the user is recorded as the log keeps it.
    /// </summary>
    [Fact]
    public async Task ARefusedLogin_IsRecordedAsASessionThatEndedAtOnce()
    {
        var marker = "refused-" + Guid.NewGuid().ToString("N")[..8];
        var wrong = fixture.ConnectionString(password: "not-a-token");
        wrong.ApplicationName = marker + "-pw 078-05-1120";
        await using (var connection = new NpgsqlConnection(wrong.ConnectionString))
        {
            Assert.Equal("28P01", (await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync())).SqlState);
        }

        var session = await fixture.EndedSessionAsync(marker + "-pw ***-**-1120");
        Assert.NotNull(session);
        Assert.Equal(Appliance.Tests.Common.Gateway.TestPolicies.Alice, session.Value.GetProperty("user").GetString());
        Assert.Equal("demo", session.Value.GetProperty("connection").GetString());
        Assert.Equal("the login was refused (28P01): password authentication failed for user \"" + Appliance.Tests.Common.Gateway.TestPolicies.Alice + "\"",
            session.Value.GetProperty("endReason").GetString());

        // A credential typed as the user name: refused, and recorded by its length only.
        var token = fixture.AliceToken;
        var pasted = fixture.ConnectionString(user: token);
        pasted.ApplicationName = marker + "-user";
        await using (var connection = new NpgsqlConnection(pasted.ConnectionString))
        {
            Assert.Equal("28P01", (await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync())).SqlState);
        }

        var byToken = await fixture.EndedSessionAsync(marker + "-user");
        Assert.NotNull(byToken);
        Assert.Equal($"(not a user the policy names: {token.Length} characters)", byToken.Value.GetProperty("user").GetString());
        Assert.DoesNotContain(token[4..], byToken.Value.GetRawText(), StringComparison.Ordinal);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var events = await auditor.GetStringAsync($"api/sessions/{byToken.Value.GetProperty("id").GetString()}/events");
        Assert.DoesNotContain(token[4..], events, StringComparison.Ordinal);
    }

    /// <summary>
    /// A credential pasted into a startup option: the upstream's refusal quotes the value, and the
    /// log and the record kept it (probe CQ2). It is cut to its prefix in both, and in the
    /// recorded settings and application name.
    /// </summary>
    [Fact]
    public async Task ACredentialInAStartupOption_IsKeptNeitherInTheLogNorInTheRecord()
    {
        var credential = await fixture.GrantCredentialAsync(fixture.AliceToken, await fixture.GrantAsync());
        var application = "pasted-" + Guid.NewGuid().ToString("N")[..8];
        var builder = fixture.ConnectionString();
        builder.Options = $"-c work_mem={credential}";
        builder.ApplicationName = $"{application} {credential}";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);

        await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        var session = await fixture.EndedSessionAsync($"{application} agc_****");
        Assert.NotNull(session);
        Assert.Contains("agc_****", session.Value.GetProperty("endReason").GetString(), StringComparison.Ordinal);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var events = await auditor.GetStringAsync($"api/sessions/{session.Value.GetProperty("id").GetString()}/events");
        Assert.Contains("work_mem=agc_****", events, StringComparison.Ordinal);
        Assert.DoesNotContain(credential, events, StringComparison.Ordinal);
        Assert.Contains(fixture.Gateway.Options.Logs.Entries, e => e.Message.Contains("agc_****", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Gateway.Options.Logs.Entries, e => e.Message.Contains(credential, StringComparison.Ordinal));
    }

    /// <summary>A credential typed into a statement, or read back in its result, is not kept in clear in the record (probe CR2).</summary>
    [Fact]
    public async Task ACredentialInAStatementOrItsResult_IsCutInTheRecord()
    {
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT 'pasted {fixture.AliceToken}' AS {marker}", connection);
        Assert.Equal($"pasted {fixture.AliceToken}", await command.ExecuteScalarAsync());

        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal($"SELECT 'pasted apt_****' AS {marker}", recorded.GetProperty("sql").GetString());
        Assert.Equal(["****"], recorded.GetProperty("sampleRows")[0].EnumerateArray().Select(v => v.GetString()));
        Assert.DoesNotContain(fixture.AliceToken, recorded.GetRawText(), StringComparison.Ordinal);

        // Quoted back by an error (probe CU1).
        await using var failing = new NpgsqlCommand($"SELECT '{fixture.AliceToken}'::int AS {marker}_e", connection);
        await Assert.ThrowsAsync<PostgresException>(() => failing.ExecuteScalarAsync());
        var failed = Assert.Single(await fixture.RecordedStatementsAsync(marker + "_e"));
        Assert.Contains("\"apt_****\"", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.AliceToken[4..], failed.GetRawText(), StringComparison.Ordinal);

        // The upstream's password, pasted into a statement, a comment, a parameter, a value selected,
        // or quoted back by an error (probe DY1: recorded as typed).
        var password = fixture.Upstream.Password;
        await using (var pasted = new NpgsqlCommand($"SELECT 'pw was {password}', $1 AS {marker}_u -- {password}", connection))
        {
            pasted.Parameters.AddWithValue(password);
            await using var reader = await pasted.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal($"pw was {password}", reader.GetString(0));
        }

        await using (var quoted = new NpgsqlCommand($"SELECT '{password}'::int AS {marker}_q", connection))
        {
            await Assert.ThrowsAsync<PostgresException>(() => quoted.ExecuteScalarAsync());
        }

        var withPassword = Assert.Single(await fixture.RecordedStatementsAsync(marker + "_u"));
        Assert.Equal($"SELECT 'pw was ****', $1 AS {marker}_u -- ****", withPassword.GetProperty("sql").GetString());
        Assert.Equal(["pw was ****", "****"], withPassword.GetProperty("sampleRows")[0].EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["****"], withPassword.GetProperty("parameters").EnumerateArray().Select(v => v.GetString()));
        var quotedError = Assert.Single(await fixture.RecordedStatementsAsync(marker + "_q"));
        Assert.DoesNotContain(password, quotedError.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("****", quotedError.GetProperty("error").GetString(), StringComparison.Ordinal);

        // Given as a startup option, it is not kept in the session's recorded settings (probe EA7).
        var withOption = fixture.ConnectionString();
        withOption.Options = $"-c search_path={password}";
        withOption.ApplicationName = marker + "-opt";
        await using (var optioned = new NpgsqlConnection(withOption.ConnectionString))
        {
            await optioned.OpenAsync();
        }

        var session = await fixture.EndedSessionAsync(marker + "-opt");
        Assert.NotNull(session);
        using var auditor = fixture.Gateway.Client(await fixture.Gateway.CreateTokenAsync("audrey@example.com"));
        var events = await auditor.GetStringAsync($"api/sessions/{session.Value.GetProperty("id").GetString()}/events");
        Assert.Contains("search_path=****", events, StringComparison.Ordinal);
        Assert.DoesNotContain(password, events, StringComparison.Ordinal);

        // Sent by a driver as a parameter (probe CV1).
        await using var bound = new NpgsqlCommand($"SELECT length($1) AS {marker}_p", connection);
        bound.Parameters.AddWithValue(fixture.AliceToken);
        Assert.Equal(fixture.AliceToken.Length, await bound.ExecuteScalarAsync());
        var parameters = Assert.Single(await fixture.RecordedStatementsAsync(marker + "_p")).GetProperty("parameters");
        Assert.Equal(["****"], parameters.EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task AResultRowOverTheGatewaysLimit_EndsTheSessionWithAnErrorNamingTheLimit_NotTheUpstream()
    {
        await using var connection = await fixture.OpenAsync();
        var marker = "big_" + Guid.NewGuid().ToString("N")[..8];
        await using var command = new NpgsqlCommand($"SELECT repeat('x', 65 * 1024 * 1024) AS {marker}", connection);

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());

        Assert.Equal("54000", error.SqlState);
        Assert.Contains("exceeds the gateway's limit of 67108864 bytes (APPLIANCE_PG_MAX_MESSAGE)", error.MessageText, StringComparison.Ordinal);

        // Nor the row's size, which a statement can make spell a masked value (probe DZ1).
        Assert.DoesNotContain((65 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), error.MessageText, StringComparison.Ordinal);

        // The statement ran upstream: it has its record, though its answer never reached the client.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        System.Text.Json.JsonElement? record = null;
        while (record is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            record = (await fixture.EventsAsync("session.statements"))
                .SelectMany(e => e.GetProperty("statements").EnumerateArray())
                .Cast<System.Text.Json.JsonElement?>()
                .FirstOrDefault(s => s!.Value.GetProperty("sql").GetString()!.Contains(marker, StringComparison.Ordinal));
        }

        Assert.NotNull(record);
        Assert.Equal("error", record.Value.GetProperty("outcome").GetString());
        Assert.Contains("may have run", record.Value.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private async Task<string> CustomersAsync()
    {
        var table = PgGatewayFixture.TableName("cust");
        await fixture.UpstreamAsync($$"""
            CREATE TABLE {{table}} (id int PRIMARY KEY, name text, email varchar(100), card text, card_number bigint, ssn text, doc jsonb, amount numeric);
            INSERT INTO {{table}} VALUES
              (1, 'Ann', 'ann@example.com', '4111-1111-1111-1111', 4111111111111111, '123-45-6789', '{"card": "4111111111111111", "ok": true}', 12.50),
              (2, 'Bob', 'bob@example.com', 'none', 42, NULL, '{"ok": false}', 7);
            """);
        return table;
    }

    [Fact]
    public async Task BinaryResults_AreMaskedIntoValidValuesOfTheirTypes()
    {
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT id, name, email, card, card_number, ssn, doc, amount FROM {table} ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.Equal("Ann", reader.GetString(1));
        Assert.Equal("a***@example.com", reader.GetString(2));
        Assert.DoesNotContain("4111-1111-1111-1111", reader.GetString(3), StringComparison.Ordinal);
        Assert.EndsWith("1111", reader.GetString(3), StringComparison.Ordinal);
        Assert.True(reader.IsDBNull(4), "a card number stored as a number becomes NULL");
        Assert.Equal("****", reader.GetString(5));
        Assert.DoesNotContain("4111111111111111", reader.GetString(6), StringComparison.Ordinal);
        Assert.Contains("\"ok\": true", reader.GetString(6), StringComparison.Ordinal);
        Assert.Equal(12.50m, reader.GetDecimal(7));

        Assert.True(await reader.ReadAsync());
        Assert.Equal("none", reader.GetString(3));
        Assert.Equal(42L, reader.GetInt64(4));
        Assert.True(reader.IsDBNull(5));
        Assert.False(await reader.ReadAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACardTakenFromText_IsMaskedAsARangeXid8MoneyOrGroupedNumber_InBothFormats(bool text)
    {
        // Probe AB: these came back readable in binary (ranges, xid8, money) and in text (xid8, money's separators).
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();
        const string digits = "regexp_replace(card, '\\D', '', 'g')";
        await using var command = new NpgsqlCommand(
            $"SELECT int8range({digits}::int8, null), {digits}::xid8, {digits}::numeric::money, ARRAY[numrange({digits}::numeric, null)], " +
            $"int8multirange(int8range(1, {digits}::int8)), to_char({digits}::numeric, 'FM9,999,999,999,999,999'), int8range(1, 10) " +
            $"FROM {table} WHERE id = 1", connection)
        {
            AllResultTypesAreUnknown = text,
        };
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());

        for (var i = 0; i < 5; i++)
        {
            if (!reader.IsDBNull(i))
            {
                var value = reader.GetString(i);
                Assert.True(text, $"column {i} in binary: {value}");
                Assert.DoesNotContain("4111111111111111", value, StringComparison.Ordinal);
                Assert.Contains("****-****-****-1111", value, StringComparison.Ordinal);
            }
        }

        Assert.True(text || reader.IsDBNull(2), "money");
        Assert.Equal("****-****-****-1111", reader.GetString(5));
        Assert.Equal("[1,10)", text ? reader.GetString(6) : reader.GetFieldValue<NpgsqlRange<long>>(6).ToString());
    }

    [Fact]
    public async Task TextResults_AreMaskedToo()
    {
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT email, card, card_number, ssn FROM {table} WHERE id = @id", connection)
        {
            AllResultTypesAreUnknown = true,
        };
        command.Parameters.AddWithValue("id", 1);
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal("a***@example.com", reader.GetString(0));
        Assert.EndsWith("1111", reader.GetString(1), StringComparison.Ordinal);
        Assert.StartsWith("****", reader.GetString(1), StringComparison.Ordinal);
        Assert.True(reader.IsDBNull(2));
        Assert.Equal("****", reader.GetString(3));
    }

    [Fact]
    public async Task AliasedAndComputedMaskedColumns_AreMaskedWhole()
    {
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT ssn AS x, upper(ssn) AS y, ssn || '' AS z FROM {table} WHERE id = 1", connection);
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal("****", reader.GetString(0));
        Assert.Equal("****", reader.GetString(1));
        Assert.Equal("****", reader.GetString(2));
    }

    [Fact]
    public async Task PreparedStatements_AreReusedAndStillMasked()
    {
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT ssn, name FROM {table} WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
        await command.PrepareAsync();

        for (var i = 0; i < 5; i++)
        {
            command.Parameters[0].Value = 1;
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("****", reader.GetString(0));
            Assert.Equal("Ann", reader.GetString(1));
        }

        Assert.True(command.IsPrepared);
    }

    [Fact]
    public async Task AQualifiedStarInASelectList_IsItsColumns_NotAWholeRow()
    {
        // Probe AA: DBeaver counts a result's rows with this query; through the gateway it got NULL.
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();
        await using (var count = new NpgsqlCommand($"SELECT COUNT(*) FROM (SELECT t.* FROM public.{table} t) dbvrcnt", connection))
        {
            Assert.Equal(2L, await count.ExecuteScalarAsync());
        }

        await using var command = new NpgsqlCommand($"SELECT t.*, upper(t.name) AS shout FROM {table} t WHERE id = 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("****", reader.GetString(reader.GetOrdinal("ssn")));
        Assert.Equal("a***@example.com", reader.GetString(reader.GetOrdinal("email")));
        Assert.Equal("ANN", reader.GetString(reader.GetOrdinal("shout")));
    }

    [Fact]
    public async Task TheClientsStatementTimeout_DoesNotCutTheGatewaysCatalogQuery_AndStaysTheClients()
    {
        // Probe AC: with -c statement_timeout=1 the catalog query read at login was cancelled on the
        // demo's database and every column of c.* came back masked. Here the query takes under a
        // millisecond, so this checks that its own timeout (ColumnCatalogsTests) leaves the client's
        // setting in place and the results as they should be. Raw messages: Npgsql's own type
        // loading would be cut too.
        var table = await CustomersAsync();
        await fixture.GrantAsync();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await using var client = fixture.Tls ? await RawPgClient.ConnectTlsAsync(fixture.Port) : await RawPgClient.ConnectAsync(fixture.Port);
            await client.SendStartupAsync(Alice, "demo", fixture.AliceToken, new KeyValuePair<string, string>("options", "-c statement_timeout=1"));
            Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

            async Task<List<string?>> FirstRow(string sql)
            {
                await client.SendAsync(o => FrontendWriter.WriteQuery(o, sql));
                var messages = await client.ReadUntilReadyAsync();
                Assert.DoesNotContain(messages, m => m.Type == 'E');
                var row = DataRowMessage.Parse(messages.First(m => m.Type == 'D').Body);
                var values = new List<string?>();
                foreach (var value in row.Columns)
                {
                    values.Add(value.IsNull ? null : Encoding.UTF8.GetString(value.Bytes));
                }

                return values;
            }

            Assert.Equal("1ms", Assert.Single(await FirstRow("SHOW statement_timeout")));
            await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SET statement_timeout = 0"));
            await client.ReadUntilReadyAsync();
            var customer = await FirstRow($"SELECT c.* FROM {table} c WHERE id = 1");
            Assert.Equal("1", customer[0]);
            Assert.Equal("Ann", customer[1]);
            Assert.Equal("****", customer[5]);
        }
    }

    [Fact]
    public async Task DiscardOtherThanAll_KeepsWhatTheGatewayKnowsOfPreparedStatements()
    {
        // Probe AB: Npgsql sends DISCARD TEMP and DISCARD SEQUENCES when a pooled connection is
        // returned; the gateway forgot its prepared statements then and masked their computed columns.
        var table = await CustomersAsync();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT upper(name), id + 1 FROM {table} WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = 1 });
        await command.PrepareAsync();

        async Task ExpectReadable(string after)
        {
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.True(reader.GetString(0) == "ANN", $"after {after}: {reader.GetString(0)}");
            Assert.Equal(2, reader.GetInt32(1));
        }

        await ExpectReadable("prepare");
        foreach (var discard in new[] { "DISCARD TEMP", "DISCARD SEQUENCES", "DISCARD PLANS", "discard /* all */ temporary" })
        {
            await using var other = new NpgsqlCommand(discard, connection);
            await other.ExecuteNonQueryAsync();
            await ExpectReadable(discard);
        }
    }

    /// <summary>
    /// One Query of several statements is one record under the first result's column names: its
    /// samples are that result's rows, not a later statement's under the wrong names (probe CD1).
    /// </summary>
    [Fact]
    public async Task AMultiStatementQuery_IsSampledFromItsFirstResult()
    {
        var marker = PgGatewayFixture.Marker();
        await using var client = await fixture.RawAliceAsync();
        await client.SendAsync(o => Appliance.Wire.Writing.FrontendWriter.WriteQuery(o, $"SELECT 'first' AS {marker}; SELECT 1 AS a, 'second' AS b, 3 AS c"));
        Assert.Equal(2, (await client.ReadUntilReadyAsync()).Count(m => m.Type == 'D'));

        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker, 1));
        Assert.Equal([marker], recorded.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var sample = Assert.Single(recorded.GetProperty("sampleRows").EnumerateArray());
        Assert.Equal(["first"], sample.EnumerateArray().Select(v => v.GetString()));
    }

    /// <summary>
    /// The values of a statement that names a masked column are recorded masked, in the text and
    /// in the parameters (probe BH1: an SSN without dashes was kept in clear); its samples are kept.
    /// </summary>
    [Fact]
    public async Task ValuesGivenToAMaskedColumn_AreRecordedMasked_InTheTextAndTheParameters()
    {
        var table = await fixture.CustomersAsync();
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        await using var literal = new NpgsqlCommand($"SELECT count(*) AS {marker} FROM {table} WHERE ssn = '219099999' OR id = 2", connection);
        Assert.Equal(1L, await literal.ExecuteScalarAsync());
        await using var parameter = new NpgsqlCommand($"SELECT count(*) AS {marker} FROM {table} WHERE id = $1 AND ssn <> $2", connection);
        parameter.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = 1 });
        parameter.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = "219099999" });
        Assert.Equal(1L, await parameter.ExecuteScalarAsync());

        // Its other values are kept: a masked column's value is no password (probe BL1: every sample was ****).
        await using var rows = new NpgsqlCommand($"SELECT id, note AS {marker} FROM {table} WHERE ssn <> '219099999'", connection);
        Assert.Equal(1, await rows.ExecuteScalarAsync());

        var recorded = await fixture.RecordedStatementsAsync(marker, 3);
        Assert.Equal(3, recorded.Count);
        Assert.Equal(["1", "plain words"], recorded[2].GetProperty("sampleRows")[0].EnumerateArray().Select(v => v.GetString()));
        Assert.Equal($"SELECT count(*) AS {marker} FROM {table} WHERE ssn = '****' OR id = ****", recorded[0].GetProperty("sql").GetString());
        Assert.Equal(["****", "****"], recorded[1].GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));
        Assert.DoesNotContain("219099999", string.Join(" ", recorded.Select(r => r.GetRawText())), StringComparison.Ordinal);
    }

    /// <summary>
    /// A write through a view that renames a masked column is recorded masked too, as the session's
    /// catalog knows the view holds one (probe BT1: the value landed in ssn and stayed in clear in the record).
    /// </summary>
    [Fact]
    public async Task AWriteThroughAViewThatRenamesAMaskedColumn_IsRecordedMasked()
    {
        var table = await fixture.CustomersAsync();
        var view = table + "_v";
        await fixture.UpstreamAsync($"CREATE VIEW {view} AS SELECT id, ssn AS s FROM {table}");
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        await using var update = new NpgsqlCommand($"UPDATE {view} SET s = '911000002' WHERE id = 2 RETURNING id AS {marker}", connection);
        Assert.Equal(2, await update.ExecuteScalarAsync());
        await using var parameter = new NpgsqlCommand($"UPDATE {view} SET s = $1 WHERE id = 2 RETURNING id AS {marker}", connection);
        parameter.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = "911000003" });
        Assert.Equal(2, await parameter.ExecuteScalarAsync());

        var recorded = await fixture.RecordedStatementsAsync(marker, 2);
        Assert.Equal($"UPDATE {view} SET s = '****' WHERE id = **** RETURNING id AS {marker}", recorded[0].GetProperty("sql").GetString());
        Assert.Equal(["****"], recorded[1].GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("911000003", await fixture.UpstreamScalarAsync<string>($"SELECT ssn FROM {table} WHERE id = 2"));
    }

    [Fact]
    public async Task LongParameters_AreRecordedMaskedWhole_AndPaddingIsCountedNotDropped()
    {
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT length($1) + length($2) AS {marker}", connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = new string('x', 190) + "4111 1111 1111 1111" + new string(' ', 3000) });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = new string(' ', 2000) + "4253" });

        Assert.Equal(190 + 19 + 3000 + 2004, await command.ExecuteScalarAsync());

        var parameters = Assert.Single(await fixture.RecordedStatementsAsync(marker)).GetProperty("parameters");
        Assert.Equal("x…[×190]****-****-****-1111 …[×3000]", parameters[0].GetString());
        Assert.Equal(" …[×2000]4253", parameters[1].GetString());
    }

    [Fact]
    public async Task AQueryOfThousandsOfStatements_RunsWhole_AndItsRecordCountsTheTagsBeyondTheFirst()
    {
        // Probe AE: 100,000 × "SELECT 1;" in one Query cost the gateway quadratic time (each result
        // set read the whole text again, each tag was appended to all before it).
        const int count = 5000;
        var marker = PgGatewayFixture.Marker();
        await fixture.GrantAsync();
        await using var client = fixture.Tls ? await RawPgClient.ConnectTlsAsync(fixture.Port) : await RawPgClient.ConnectAsync(fixture.Port);
        await client.SendStartupAsync(Alice, "demo", fixture.AliceToken);
        await client.ReadUntilReadyAsync();

        // Result sets of alternating shapes (probe AG: each new shape read the whole text again), then one naming a masked column.
        var table = await CustomersAsync();
        string[] shapes = ["SELECT 1 + 1;", "SELECT 'a' AS x, 2;", "SELECT 3 AS y;"];
        await client.SendAsync(o => FrontendWriter.WriteQuery(o,
            $"SELECT 1 AS {marker};" + string.Concat(Enumerable.Range(0, count - 2).Select(i => shapes[i % shapes.Length])) + $"SELECT upper(ssn) FROM {table} WHERE id = 1"));
        var messages = await client.ReadUntilReadyAsync(TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(messages, m => m.Type == 'E');
        Assert.Equal(count, messages.Count(m => m.Type == 'C'));
        var rows = messages.Where(m => m.Type == 'D').ToList();
        Assert.Equal(count, rows.Count);
        var last = DataRowMessage.Parse(rows[^1].Body);
        foreach (var value in last.Columns)
        {
            Assert.Equal("****", Encoding.UTF8.GetString(value.Bytes));
        }

        var record = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal(
            string.Join("; ", Enumerable.Repeat("SELECT 1", 20)) + $" (+{count - 20} more)", record.Str("commandTag"));
        Assert.Equal(count, record.GetProperty("rows").GetInt64());
    }

    /// <summary>A text parameter holding a card in bytea's octal escapes or as hex digits for decode() is recorded as **** (probe NA4).</summary>
    [Fact]
    public async Task EncodedTextParameters_HoldingACard_AreRecordedMasked()
    {
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        var octal = "\\064" + string.Concat(Enumerable.Repeat("\\061", 15));
        await using var command = new NpgsqlCommand($"SELECT length($1::bytea) AS {marker}, length(decode($2, 'hex')) AS h", connection)
        {
            Parameters =
            {
                new() { Value = octal, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = "34313131313131313131313131313131", NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
        await command.ExecuteNonQueryAsync();

        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal(["****", "****"], recorded.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));
    }

    /// <summary>Arrays Npgsql sends and reads in binary are recorded as PostgreSQL prints them (probe JB2: as hex).</summary>
    [Fact]
    public async Task BinaryArrays_AreRecordedAsPostgresPrintsThem()
    {
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT $1::int4[] AS {marker}, $2::text[] AS t", connection)
        {
            Parameters = { new() { Value = new[] { 1, 2 } }, new() { Value = new[] { "a b", "c\"d" } } },
        };
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal([1, 2], reader.GetFieldValue<int[]>(0));
        }

        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        string[] shown = ["{1,2}", "{\"a b\",\"c\\\"d\"}"];
        Assert.Equal(shown, recorded.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(shown, recorded.GetProperty("sampleRows")[0].EnumerateArray().Select(p => p.GetString()));
    }

    /// <summary>
    /// Dates DateTime cannot hold, in binary rows and parameters, are recorded as PostgreSQL prints
    /// them and the session goes on (probes TB1, TB2: Npgsql's DateOnly.MaxValue is sent as
    /// infinity, and recording it ended the session with an internal error).
    /// </summary>
    [Fact]
    public async Task BinaryDatesOutsideDateTime_AreRecordedAsPostgresPrintsThem_AndTheSessionGoesOn()
    {
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        await using (var command = new NpgsqlCommand(
            $"SELECT $1 AS {marker}, 'infinity'::date, '0044-03-15 BC'::date, '10000-01-01'::date, $2", connection))
        {
            command.Parameters.Add(new() { Value = DateOnly.MaxValue, NpgsqlDbType = NpgsqlDbType.Date });
            command.Parameters.Add(new() { Value = new DateOnly(2024, 2, 29), NpgsqlDbType = NpgsqlDbType.Date });
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(DateOnly.MaxValue, reader.GetFieldValue<DateOnly>(0));
            Assert.Equal(new DateOnly(2024, 2, 29), reader.GetFieldValue<DateOnly>(4));
        }

        await using (var after = new NpgsqlCommand("SELECT 1", connection))
        {
            Assert.Equal(1, await after.ExecuteScalarAsync());
        }

        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        Assert.Equal(["infinity", "2024-02-29"], recorded.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(
            ["infinity", "infinity", "0044-03-15 BC", "10000-01-01", "2024-02-29"],
            recorded.GetProperty("sampleRows")[0].EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task ColumnAliases_AreRecordedMaskedLikeTheStatementsLiterals()
    {
        // Probe AF: the statement was recorded masked, its result's column names in the clear.
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT 1 AS \"jane.doe@example.com\", 2 AS \"4111111111111111\", 3 AS \"078-05-1120\", 4 AS {marker}", connection);
        await command.ExecuteNonQueryAsync();

        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker));
        var columns = recorded.GetProperty("columns").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal(["j***@example.com", "****-****-****-1111", "***-**-1120", marker], columns);
        Assert.DoesNotContain("jane.doe", recorded.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACardSentAsANumberInText_IsRecordedMasked_HoweverItIsWritten()
    {
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT $1::text, $2::text AS {marker}", connection);

        // Npgsql sends strings as text; the declared types make the server read them as numbers.
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = 4111111111111111L });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Numeric, Value = 4111111111111111m });
        await command.ExecuteNonQueryAsync();

        await using var raw = new NpgsqlCommand($"SELECT $1::int8::text, $2::numeric::text AS {marker}x", connection);
        raw.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Unknown, Value = "04111111111111111" });
        raw.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Unknown, Value = "4.111111111111111e15" });
        await raw.ExecuteNonQueryAsync();

        await using var array = new NpgsqlCommand($"SELECT $1::int8[]::text AS {marker}y", connection);
        array.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Unknown, Value = "{1,04111111111111111}" });
        await array.ExecuteNonQueryAsync();

        // Shorter than the nine digits a flagged number needs, but for its exponent: 4200000000000000.
        await using var exponent = new NpgsqlCommand($"SELECT $1::numeric::text AS {marker}z", connection);
        exponent.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Unknown, Value = "4.2e15" });
        Assert.Equal("****-****-****-0000", await exponent.ExecuteScalarAsync());

        var recorded = await fixture.RecordedStatementsAsync(marker, count: 4);
        Assert.Equal(4, recorded.Count);
        Assert.All(recorded.SelectMany(r => r.GetProperty("parameters").EnumerateArray()), p => Assert.DoesNotContain("4111111111111111", p.GetString(), StringComparison.Ordinal));
        Assert.Contains(recorded, r => r.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()).SequenceEqual(["****"]));
    }

    [Fact]
    public async Task Batch_IsPipelined_AndEveryResultComesBackInOrder()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        await using var connection = await fixture.OpenAsync();
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"INSERT INTO {table} SELECT generate_series(1, 3)"),
                new NpgsqlBatchCommand($"SELECT count(*) FROM {table}"),
                new NpgsqlBatchCommand("SELECT 'x' || generate_series(1, 2)"),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(3L, reader.GetInt64(0));
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal("x1", reader.GetString(0));
        Assert.True(await reader.ReadAsync());
        Assert.Equal("x2", reader.GetString(0));
        Assert.Equal(3, batch.BatchCommands[0].RecordsAffected);
    }

    [Fact]
    public async Task Batch_WithABlockedStatementInTheMiddle_FailsWhole_AndTheConnectionGoesOn()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        await using var connection = await fixture.OpenAsync();
        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"INSERT INTO {table} VALUES (1)"),
                new NpgsqlBatchCommand($"DROP TABLE {table}"),
                new NpgsqlBatchCommand($"INSERT INTO {table} VALUES (2)"),
            },
        })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync());
            Assert.Equal("42501", error.SqlState);
            Assert.Contains("destructive-ddl", error.MessageText, StringComparison.Ordinal);
        }

        // As PostgreSQL does for an error inside a batch: the implicit transaction is rolled back.
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        await using var after = new NpgsqlCommand($"INSERT INTO {table} VALUES (3); SELECT count(*) FROM {table}", connection);
        Assert.Equal(1L, await after.ExecuteScalarAsync());
    }

    [Fact]
    public async Task BlockedStatementInExplicitTransaction_AbortsIt_AsAnyErrorWould()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        await using var connection = await fixture.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", connection, transaction).ExecuteNonQueryAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"TRUNCATE {table}", connection, transaction).ExecuteNonQueryAsync());
        var aborted = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand($"INSERT INTO {table} VALUES (2)", connection, transaction).ExecuteNonQueryAsync());
        await transaction.RollbackAsync();

        Assert.Equal("42501", error.SqlState);
        Assert.Equal("25P02", aborted.SqlState);
        Assert.Equal(0L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
        await using var after = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await after.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CopyInAndOut_WithBinaryAndText_RoundTrip()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, note text)");
        await using var connection = await fixture.OpenAsync("plain", tls: false);

        await using (var importer = await connection.BeginBinaryImportAsync($"COPY {table} (id, note) FROM STDIN (FORMAT binary)"))
        {
            for (var i = 0; i < 1000; i++)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(i, NpgsqlDbType.Integer);
                await importer.WriteAsync("row " + i, NpgsqlDbType.Text);
            }

            Assert.Equal(1000UL, await importer.CompleteAsync());
        }

        using var exporter = await connection.BeginTextExportAsync($"COPY (SELECT * FROM {table} ORDER BY id) TO STDOUT");
        var text = await exporter.ReadToEndAsync();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1000, lines.Length);
        Assert.Equal("999\trow 999", lines[^1]);
    }

    [Fact]
    public async Task NoticesAndNotifications_ReachTheClient()
    {
        await using var connection = await fixture.OpenAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        var notifications = new List<(string Channel, string Payload, int Pid)>();
        connection.Notification += (_, e) => notifications.Add((e.Channel, e.Payload, e.PID));
        var channel = "ch_" + Guid.NewGuid().ToString("N")[..8];

        await new NpgsqlCommand("DO $$ BEGIN RAISE NOTICE 'hello from plpgsql'; END $$", connection).ExecuteNonQueryAsync();
        await new NpgsqlCommand($"LISTEN {channel}", connection).ExecuteNonQueryAsync();
        await new NpgsqlCommand($"NOTIFY {channel}, 'to myself'", connection).ExecuteNonQueryAsync();
        // The other session stays open until its notification arrives: the gateway names a sender by the pid it gave a live session.
        await using var other = await fixture.OpenAsync();
        var otherPid = other.ProcessID;
        await new NpgsqlCommand($"NOTIFY {channel}, 'from another session'", other).ExecuteNonQueryAsync();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (notifications.Count < 2 && DateTime.UtcNow < deadline)
        {
            await connection.WaitAsync(TimeSpan.FromSeconds(1));
        }

        Assert.Contains("hello from plpgsql", notices);
        // The demo connection masks columns, so every payload is withheld: a NOTIFY could carry one's values out.
        Assert.Equal(["****", "****"], notifications.Select(n => n.Payload));
        Assert.All(notifications, n => Assert.Equal(channel, n.Channel));
        // A notification this session sent carries the pid the gateway gave it, as the client knows its backend.
        Assert.Equal(connection.ProcessID, notifications[0].Pid);
        // Another session of this gateway is named by the pid the gateway gave that one.
        Assert.Equal(otherPid, notifications[1].Pid);
    }

    [Fact]
    public async Task LargeRows_PassInBothDirections()
    {
        var table = PgGatewayFixture.TableName();
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int, body text)");
        await using var connection = await fixture.OpenAsync();
        var body = string.Concat(Enumerable.Repeat("0123456789abcdef", 1024 * 1024)); // 16 MiB
        await using (var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1, @body)", connection))
        {
            insert.Parameters.AddWithValue("body", body);
            await insert.ExecuteNonQueryAsync();
        }

        await using var select = new NpgsqlCommand($"SELECT body, length(body) FROM {table}", connection);
        await using var reader = await select.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(body.Length, reader.GetInt32(1));
        Assert.Equal(body, reader.GetString(0));
    }

    [Fact]
    public async Task AHugeRowToMask_IsMasked_AndTheSessionGoesOnAfterIt()
    {
        // Probe AE: masking a 48 MB row on the event loop stalled every session on it; such a
        // session now moves to threads first (PgSession.Backend.cs), mid-result.
        await using var connection = await fixture.OpenAsync();
        await using (var huge = new NpgsqlCommand("SELECT 1 AS n, repeat('pay 4111111111111111 ', 200000) AS body, 2 AS m", connection))
        await using (var reader = await huge.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            var body = reader.GetString(1);
            Assert.Equal((long)200000 * "pay ****-****-****-1111 ".Length, body.Length);
            Assert.DoesNotContain("4111111111111111", body, StringComparison.Ordinal);
            Assert.Equal(2, reader.GetInt32(2));
        }

        await using var after = new NpgsqlCommand("SELECT 41 + 1", connection);
        Assert.Equal(42, await after.ExecuteScalarAsync());
    }

    [Fact]
    public async Task AHugeStatement_RunsWhole_AndItsRecordKeepsWhatItDid_NotItsBulk()
    {
        var marker = PgGatewayFixture.Marker();
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT length('{new string('x', 1_000_000)}') AS {marker}", connection);

        Assert.Equal(1_000_000, await command.ExecuteScalarAsync());

        var recorded = Assert.Single(await fixture.RecordedStatementsAsync(marker)).GetProperty("sql").GetString()!;
        Assert.StartsWith("SELECT length('xxx", recorded, StringComparison.Ordinal);
        Assert.Contains($"…[{1_000_002 - Appliance.Policy.Masking.Masker.KeptPartLength} more characters not recorded]') AS {marker}", recorded, StringComparison.Ordinal);
        Assert.True(recorded.Length < 2 * Appliance.Policy.Masking.Masker.KeptPartLength, $"{recorded.Length} characters recorded");
    }

    [Fact]
    public async Task HugeStatementsSentAtOnce_AllRun_TakingTurns()
    {
        // Ten sessions, each with a 2 MB statement: at most four are read at once, plaintext ones leave their loop to wait.
        var runs = Enumerable.Range(0, 10).Select(async i =>
        {
            await using var connection = await fixture.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT length('{new string((char)('a' + i), 2_000_000)}')", connection);
            return await command.ExecuteScalarAsync();
        });

        Assert.All(await Task.WhenAll(runs), n => Assert.Equal(2_000_000, n));
    }

    [Fact]
    public async Task Cancel_ReachesTheUpstreamBackend()
    {
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_sleep(8)", connection);
        var running = command.ExecuteNonQueryAsync();
        await Task.Delay(500);
        var started = DateTime.UtcNow;

        command.Cancel();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => running);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "the statement ran on after the cancel");
        var postgres = error as PostgresException ?? error.InnerException as PostgresException;
        Assert.Equal("57014", postgres?.SqlState);
        await using var after = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await after.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ManyConcurrentSessions_EachGetTheirOwnAnswers()
    {
        await fixture.GrantAsync();
        var sessions = Enumerable.Range(0, 40).Select(async i =>
        {
            await using var connection = new NpgsqlConnection(fixture.ConnectionString().ConnectionString);
            await connection.OpenAsync();
            for (var q = 0; q < 20; q++)
            {
                await using var command = new NpgsqlCommand("SELECT $1::int * 1000 + $2::int", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = i });
                command.Parameters.Add(new NpgsqlParameter { Value = q });
                Assert.Equal((i * 1000) + q, await command.ExecuteScalarAsync());
            }
        });

        await Task.WhenAll(sessions);
    }

    [Fact]
    public async Task UpstreamLogin_WithMd5AndCleartextPasswords_Works()
    {
        foreach (var name in new[] { "md5", "cleartext" })
        {
            await using var connection = await fixture.OpenAsync(name);
            await using var command = new NpgsqlCommand("SELECT current_user", connection);
            Assert.Equal(name == "md5" ? "md5_user" : "clear_user", await command.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task UpstreamRefusingTheStoredCredentials_GivesAFatalThatRevealsNothing()
    {
        await fixture.GrantAsync("wrongpass");
        await using var connection = new NpgsqlConnection(fixture.ConnectionString("wrongpass").ConnectionString);

        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal("08004", error.SqlState);
        Assert.Contains("refused the gateway's stored credentials", error.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Upstream.User, error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamRefusingTheLoginItself_SaysSo_NotThatThePasswordIsWrong()
    {
        await fixture.GrantAsync("nologin");
        await using var connection = new NpgsqlConnection(fixture.ConnectionString("nologin").ConnectionString);

        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal("08004", error.SqlState);
        Assert.Contains("does not let the gateway log in (SQLSTATE 28000: role \"(the stored user)\" is not permitted to log in)", error.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain("stored credentials", error.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Upstream.User, error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamTlsVerifyFull_RefusesAServerItCannotVerify()
    {
        await fixture.GrantAsync("verified");
        await using var connection = new NpgsqlConnection(fixture.ConnectionString("verified").ConnectionString);

        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal("08001", error.SqlState);
        Assert.Contains("tls: verify-full", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StrictAudit_CommitsEachStatementsIntentBeforeItRuns()
    {
        var table = PgGatewayFixture.TableName("strict");
        await fixture.UpstreamAsync($"CREATE TABLE {table} (id int)");
        await using (var connection = await fixture.OpenAsync("strict"))
        {
            await new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", connection).ExecuteNonQueryAsync();
        }

        // The intent is in the chain even though the session's batched records may still be on their way.
        var intents = (await fixture.EventsAsync("session.statements"))
            .SelectMany(e => e.GetProperty("statements").EnumerateArray())
            .Where(s => s.GetProperty("sql").GetString()!.Contains(table, StringComparison.Ordinal))
            .Select(s => s.GetProperty("outcome").GetString())
            .ToList();
        Assert.Contains("forwarded", intents);
        Assert.Equal(1L, await fixture.UpstreamScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task ServerParameters_AreTheUpstreams_AndTheBackendKeyIsTheGateways()
    {
        await using var connection = await fixture.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var upstreamPid = (int)(await command.ExecuteScalarAsync())!;

        await using var direct = new NpgsqlConnection(fixture.UpstreamConnectionString);
        await direct.OpenAsync();

        Assert.Equal(direct.ServerVersion, connection.ServerVersion);
        Assert.Equal(direct.PostgreSqlVersion, connection.PostgreSqlVersion);
        Assert.Equal(direct.Timezone, connection.Timezone);
        Assert.NotEqual(upstreamPid, connection.ProcessID);
        Assert.Equal(ConnectionState.Open, connection.State);
    }
}
