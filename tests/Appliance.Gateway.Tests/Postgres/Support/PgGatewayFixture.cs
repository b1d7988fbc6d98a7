using System.Net;
using System.Text.Json;
using Appliance.Gateway.Postgres.Listener;
using Appliance.Gateway.Tests.Support;
using Appliance.Tests.Common;
using Appliance.Tests.Common.Gateway;
using Npgsql;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres.Support;

/// <summary>
/// A real gateway in front of the test PostgreSQL, shared by the tests of one class: its own
/// upstream role (with a real password) and database, a policy with guardrails and masking
/// (<see cref="PgTestPolicy"/>), tokens for alice and bob, and grants for alice approved by
/// bob through the API. Tests create their own tables, so they never see each other's data.
/// </summary>
public class PgGatewayFixture : IAsyncLifetime
{
    private readonly Dictionary<string, string> _grants = new(StringComparer.Ordinal);
    private string? _bobToken;

    /// <summary>How long the review guardrail holds a statement in this fixture's policy.</summary>
    protected virtual TimeSpan ReviewHold => TimeSpan.FromSeconds(5);

    protected virtual bool AllowLoopbackPlaintext => true;

    /// <summary>PEM files of a certificate the policy configures for the listener; null: the generated one.</summary>
    protected virtual (string Certificate, string Key)? ListenerCertificate => null;

    /// <summary>The gateway's store in a PostgreSQL database of its own (<see cref="Store"/>), instead of the embedded one.</summary>
    protected virtual bool PostgresStore => false;

    public TestDatabase? Store { get; private set; }

    /// <summary>
    /// Whether Npgsql connections use TLS by default. TLS sessions run on threads, plaintext
    /// ones on the event loops, so the suites that matter run both ways.
    /// </summary>
    public virtual bool Tls => true;

    /// <summary>
    /// The demo connection's upstream TLS mode. Only a session plaintext on both legs runs on an
    /// event loop, and the test PostgreSQL has TLS on, so <c>prefer</c> keeps it on threads.
    /// </summary>
    protected virtual string DemoUpstreamTls => Tls ? "prefer" : "disable";

    internal TestGateway Gateway { get; private set; } = null!;

    internal PgUpstream Upstream { get; private set; } = null!;

    public int Port { get; private set; }

    public string AliceToken { get; private set; } = "";

    public string BobToken => _bobToken!;

    public string UpstreamConnectionString { get; private set; } = "";

    public string AdminUpstreamConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var admin = TestPostgres.Admin;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        Upstream = new PgUpstream(admin.Host!, admin.Port, "gwt_" + suffix, "gwu_" + suffix, "pw-" + Guid.NewGuid().ToString("N"), admin.Password!);
        await using (var connection = new NpgsqlConnection(TestPostgres.AdminConnectionString))
        {
            await connection.OpenAsync();
            await Execute(connection, $"CREATE ROLE {Upstream.User} LOGIN PASSWORD '{Upstream.Password}'");
            await Execute(connection, $"CREATE DATABASE {Upstream.Database} OWNER {Upstream.User}");
            // The nologin connection's role: PostgreSQL refuses its login with 28000, not 28P01.
            await Execute(connection, $"CREATE ROLE {Upstream.User}_nl NOLOGIN PASSWORD '{Upstream.Password}'");
        }

        UpstreamConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = Upstream.Host, Port = Upstream.Port, Database = Upstream.Database, Username = Upstream.User, Password = Upstream.Password, Pooling = false,
        }.ConnectionString;
        var adminBuilder = TestPostgres.Admin;
        adminBuilder.Database = Upstream.Database;
        adminBuilder.Pooling = false;
        AdminUpstreamConnectionString = adminBuilder.ConnectionString;

        Store = PostgresStore ? await TestPostgres.CreateDatabaseAsync("gwstore") : null;
        Gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir(Store?.ConnectionString) with
        {
            PolicyYaml = PgTestPolicy.Build(Upstream, ReviewHold, AllowLoopbackPlaintext, ListenerCertificate, DemoUpstreamTls),
        });
        Port = Gateway.Service<PostgresListenerInfo>().Port;
        AliceToken = await Gateway.CreateTokenAsync(Alice);
        _bobToken = await Gateway.CreateTokenAsync(Bob);
    }

    public async Task DisposeAsync()
    {
        if (Upstream is null)
        {
            return;
        }

        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        if (Store is not null)
        {
            await Store.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(TestPostgres.AdminConnectionString);
        await connection.OpenAsync();
        await Execute(connection, $"DROP DATABASE IF EXISTS {Upstream.Database} WITH (FORCE)");
        await Execute(connection, $"DROP ROLE IF EXISTS {Upstream.User}");
        await Execute(connection, $"DROP ROLE IF EXISTS {Upstream.User}_nl");
    }

    /// <summary>Alice's grant for <paramref name="connection"/> (requested by her, approved by bob), created once.</summary>
    public async Task<string> GrantAsync(string connection = "demo")
    {
        if (_grants.TryGetValue(connection, out var id))
        {
            return id;
        }

        id = await RequestAndApproveAsync(AliceToken, connection, "1h");
        _grants[connection] = id;
        return id;
    }

    /// <summary>Alice, with her grant, logged in by a client that speaks the protocol message by message.</summary>
    internal async Task<RawPgClient> RawAliceAsync(string connection = "demo")
    {
        await GrantAsync(connection);
        return await RawPgClient.LoginAsync(Port, Alice, AliceToken, connection, Tls);
    }

    /// <summary>A fresh grant of its own (for tests that end it), approved by bob.</summary>
    public async Task<string> RequestAndApproveAsync(string requesterToken, string connection, string duration)
    {
        using var requester = Gateway.Client(requesterToken);
        var request = await requester.PostAsync("api/requests", new { connection, duration, reason = "gateway test" }, HttpStatusCode.Created);
        using var bob = Gateway.Client(BobToken);
        var grant = await bob.PostAsync($"api/requests/{request.Str("id")}/approve", null, HttpStatusCode.OK);
        Assert.Equal("active", grant.Str("status"));
        return grant.Str("id");
    }

    /// <summary>A password that works only for grant <paramref name="grantId"/>.</summary>
    public async Task<string> GrantCredentialAsync(string requesterToken, string grantId)
    {
        using var requester = Gateway.Client(requesterToken);
        var credentials = await requester.PostAsync($"api/grants/{grantId}/credentials", null, HttpStatusCode.Created);
        return credentials.Str("password");
    }

    /// <summary>Npgsql through the gateway, as alice, with TLS unless told otherwise.</summary>
    public NpgsqlConnectionStringBuilder ConnectionString(string connection = "demo", bool? tls = null, string? password = null, string user = Alice) => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = user,
        Password = password ?? AliceToken,
        Database = connection,
        SslMode = tls ?? Tls ? SslMode.Require : SslMode.Disable,
        Pooling = false,
        Timeout = 15,
        CommandTimeout = 30,
    };

    public async Task<NpgsqlConnection> OpenAsync(string connection = "demo", bool? tls = null)
    {
        await GrantAsync(connection);
        var npgsql = new NpgsqlConnection(ConnectionString(connection, tls).ConnectionString);
        await npgsql.OpenAsync();
        return npgsql;
    }

    /// <summary>Runs SQL straight on the upstream as its owner (setting up tables, checking what happened).</summary>
    public async Task UpstreamAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(UpstreamConnectionString);
        await connection.OpenAsync();
        await Execute(connection, sql);
    }

    public async Task<T?> UpstreamScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(UpstreamConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>A table name no other test uses.</summary>
    public static string TableName(string prefix = "t") => $"{prefix}_{Marker()}"[..Math.Min(prefix.Length + 17, 63)];

    /// <summary>
    /// A unique word of letters only: a GUID's digits sometimes make a Luhn-valid run that the card
    /// detector masks in the audit record or an event, and a test looking for the word then misses it.
    /// </summary>
    public static string Marker() => string.Concat(Guid.NewGuid().ToString("N").Select(c => char.IsAsciiDigit(c) ? (char)('g' + (c - '0')) : c));

    /// <summary>psql through the gateway as alice.</summary>
    internal Task<ProcessResult> PsqlAsync(string connection, string sslmode, params string[] arguments) =>
        PsqlWithAsync(AliceToken, Alice, connection, sslmode, arguments);

    internal Task<ProcessResult> PsqlWithAsync(string password, string user, string connection, string sslmode, params string[] arguments) =>
        ProcessRunner.RunAsync(ProcessRunner.Psql,
            ["-X", "-v", "ON_ERROR_STOP=0", "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", user, "-d", connection, .. arguments],
            new Dictionary<string, string> { ["PGPASSWORD"] = password, ["PGSSLMODE"] = sslmode });

    /// <summary>The ended session whose client gave <paramref name="application"/> as its name, as an auditor lists it; null when none ended within 10 s.</summary>
    public async Task<JsonElement?> EndedSessionAsync(string application)
    {
        using var auditor = Gateway.Client(await Gateway.CreateTokenAsync("audrey@example.com"));
        for (var i = 0; i < 100; i++)
        {
            await Task.Delay(100);
            var session = (await auditor.GetJsonAsync("api/sessions?limit=200")).EnumerateArray().Cast<JsonElement?>()
                .FirstOrDefault(s => s!.Value.GetProperty("application").GetString() == application && s.Value.GetProperty("endedAt").ValueKind != JsonValueKind.Null);
            if (session is not null)
            {
                return session;
            }
        }

        return null;
    }

    /// <summary>The recorded statements whose SQL holds <paramref name="marker"/>, once <paramref name="count"/> of them are in the store (10 s at most).</summary>
    public async Task<List<JsonElement>> RecordedStatementsAsync(string marker, int count = 1)
    {
        List<JsonElement> found = [];
        for (var i = 0; i < 100 && found.Count < count; i++)
        {
            await Task.Delay(100);
            found = [.. (await EventsAsync("session.statements"))
                .SelectMany(e => e.GetProperty("statements").EnumerateArray())
                .Where(s => s.GetProperty("sql").GetString()!.Contains(marker, StringComparison.Ordinal))];
        }

        return found;
    }

    /// <summary>The events of the audit chain this gateway wrote of <paramref name="type"/>.</summary>
    public async Task<IReadOnlyList<JsonElement>> EventsAsync(string type)
    {
        await using var connection = await Gateway.Service<Appliance.Gateway.Store.StoreDatabase>().OpenAsync();
        var rows = await Dapper.SqlMapper.QueryAsync<string>(connection, "SELECT data FROM events WHERE type = @type ORDER BY seq", new { type });
        return [.. rows.Select(r => JsonDocument.Parse(r).RootElement.Clone())];
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The same gateway, with Npgsql connecting in plaintext (sessions on the event loops).</summary>
public sealed class PlaintextFixture : PgGatewayFixture
{
    public override bool Tls => false;
}
