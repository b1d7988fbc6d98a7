using System.Text;
using Appliance.Wire.Authentication;
using Appliance.Wire.Backend;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Authentication;

/// <summary>
/// The upstream leg against the real PostgreSQL that the test script starts: users
/// <c>postgres</c> (SCRAM-SHA-256), <c>md5_user</c> (MD5) and <c>clear_user</c> (cleartext)
/// share the superuser password.
/// </summary>
public class UpstreamHandshakeTests
{
    [Theory]
    [InlineData("postgres", (int)AuthenticationKind.Sasl)]
    [InlineData("md5_user", (int)AuthenticationKind.Md5Password)]
    [InlineData("clear_user", (int)AuthenticationKind.CleartextPassword)]
    public async Task Login_WithTheRightPassword_ReachesReadyForQueryAndRunsAQuery(string user, int expected)
    {
        var admin = LivePostgres.Settings;
        await using var client = await RawPgClient.ConnectAsync(admin.Host, admin.Port);

        var asked = await LoginAsync(client, user, admin.Password);

        Assert.Equal((AuthenticationKind)expected, asked);
        var seen = await ReadUntilReadyAsync(client);
        Assert.Contains('K', seen);
        Assert.Contains('S', seen);

        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "select 42 as answer, null::text as nothing"));
        var (type, body) = await client.ReadMessageAsync();
        Assert.Equal('T', type);
        var names = new List<string>();
        foreach (var field in RowDescriptionMessage.Parse(body))
        {
            names.Add(PgBytes.Utf8(field.Name));
        }

        Assert.Equal(["answer", "nothing"], names);
        (type, body) = await client.ReadMessageAsync();
        Assert.Equal('D', type);
        var values = new List<string?>();
        foreach (var value in DataRowMessage.Parse(body).Columns)
        {
            values.Add(value.IsNull ? null : PgBytes.Utf8(value.Bytes));
        }

        Assert.Equal(["42", null], values);
        (type, body) = await client.ReadMessageAsync();
        Assert.True(CommandCompleteMessage.Parse(body).TryGetRowCount(out var rows));
        Assert.Equal(1ul, rows);
        (type, body) = await client.ReadMessageAsync();
        Assert.Equal(TransactionStatus.Idle, ReadyForQueryMessage.Parse(body).Status);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("md5_user")]
    public async Task Login_WithAWrongPassword_EndsInFatal28P01(string user)
    {
        var admin = LivePostgres.Settings;
        await using var client = await RawPgClient.ConnectAsync(admin.Host, admin.Port);

        var error = await Assert.ThrowsAsync<PgErrorException>(() => LoginAsync(client, user, "wrong-" + admin.Password));

        Assert.Equal("FATAL", error.Severity);
        Assert.Equal(SqlStates.InvalidPassword, error.SqlState);
    }

    [Fact]
    public async Task ExtendedQuery_WrittenByTheCodec_IsUnderstoodByTheServer()
    {
        var admin = LivePostgres.Settings;
        await using var client = await RawPgClient.ConnectAsync(admin.Host, admin.Port);
        await LoginAsync(client, admin.Username, admin.Password);
        await ReadUntilReadyAsync(client);

        await client.SendAsync(o =>
        {
            FrontendWriter.WriteParse(o, "s1", "select $1::int + 1, $2::text", [0, 0]);
            FrontendWriter.WriteBind(o, "", "s1", [], ["41"u8.ToArray(), null], [PgFormat.Binary, PgFormat.Text]);
            FrontendWriter.WriteDescribe(o, DescribeTarget.Portal, "");
            FrontendWriter.WriteExecute(o, "", 0);
            FrontendWriter.WriteClose(o, DescribeTarget.Statement, "s1");
            FrontendWriter.WriteSync(o);
        });

        var types = new StringBuilder();
        byte[]? row = null;
        while (true)
        {
            var (type, body) = await client.ReadMessageAsync();
            types.Append(type);
            if (type == 'D')
            {
                row = body;
            }

            if (type == 'Z')
            {
                break;
            }
        }

        Assert.Equal("12TDC3Z", types.ToString());
        var values = new List<byte[]?>();
        foreach (var value in DataRowMessage.Parse(row).Columns)
        {
            values.Add(value.IsNull ? null : value.Bytes.ToArray());
        }

        Assert.Equal([new byte[] { 0, 0, 0, 42 }, null], values);
    }

    [Fact]
    public async Task SslRequest_IsAnsweredWithS_BecauseTheServerHasTls()
    {
        var admin = LivePostgres.Settings;
        await using var client = await RawPgClient.ConnectAsync(admin.Host, admin.Port);

        await client.SendAsync(FrontendWriter.WriteSslRequest);

        Assert.Equal('S', (char)await client.ReadByteAsync());
    }

    private static async Task<AuthenticationKind> LoginAsync(RawPgClient client, string user, string password)
    {
        await client.SendAsync(o => FrontendWriter.WriteStartupMessage(
            o, ProtocolVersion.V30, [new("user", user), new("database", "postgres")]));
        AuthenticationKind? first = null;
        ScramSha256Client? scram = null;
        while (true)
        {
            var (type, body) = await client.ReadMessageAsync();
            if (type == 'E')
            {
                throw PgErrorException.From(body);
            }

            Assert.Equal('R', type);
            var request = AuthenticationMessage.Parse(body);
            first ??= request.Kind;
            switch (request.Kind)
            {
                case AuthenticationKind.Ok:
                    return first.Value;
                case AuthenticationKind.CleartextPassword:
                    await client.SendAsync(o => FrontendWriter.WritePasswordMessage(o, password));
                    break;
                case AuthenticationKind.Md5Password:
                    var hash = Md5Password.Compute(user, password, request.Data);
                    await client.SendAsync(o => FrontendWriter.WritePasswordMessage(o, hash));
                    break;
                case AuthenticationKind.Sasl:
                    Assert.True(request.SaslMechanisms.Contains("SCRAM-SHA-256"u8));
                    scram = new ScramSha256Client(password);
                    var clientFirst = scram.CreateClientFirstMessage();
                    await client.SendAsync(o => FrontendWriter.WriteSaslInitialResponse(o, ScramSha256Client.Mechanism, clientFirst));
                    break;
                case AuthenticationKind.SaslContinue:
                    var clientFinal = scram!.CreateClientFinalMessage(request.Data);
                    await client.SendAsync(o => FrontendWriter.WriteSaslResponse(o, clientFinal));
                    break;
                case AuthenticationKind.SaslFinal:
                    scram!.VerifyServerFinalMessage(request.Data);
                    break;
                default:
                    Assert.Fail($"Unexpected authentication request {request.Code}.");
                    break;
            }
        }
    }

    private static async Task<string> ReadUntilReadyAsync(RawPgClient client)
    {
        var seen = new StringBuilder();
        while (true)
        {
            var (type, body) = await client.ReadMessageAsync();
            seen.Append(type);
            switch (type)
            {
                case 'S':
                    ParameterStatusMessage.Parse(body);
                    break;
                case 'K':
                    Assert.Equal(4, BackendKeyDataMessage.Parse(body).SecretKey.Length);
                    break;
                case 'Z':
                    ReadyForQueryMessage.Parse(body);
                    return seen.ToString();
            }
        }
    }

    private sealed class PgErrorException(string severity, string sqlState, string message) : Exception(message)
    {
        public string Severity { get; } = severity;

        public string SqlState { get; } = sqlState;

        public static PgErrorException From(byte[] body)
        {
            var error = ErrorOrNoticeMessage.Parse(body);
            return new PgErrorException(PgBytes.Utf8(error.SeverityNonLocalized), PgBytes.Utf8(error.SqlState), PgBytes.Utf8(error.Message));
        }
    }
}
