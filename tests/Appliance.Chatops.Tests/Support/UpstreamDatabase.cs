using Appliance.Tests.Common;
using Npgsql;

namespace Appliance.Chatops.Tests.Support;

/// <summary>
/// A real PostgreSQL database behind the gateway, owned by one test: its own login role with a
/// real password (what the gateway logs in upstream with) and a small <c>customers</c> table
/// holding a card number and an SSN, so masking has something to hide.
/// </summary>
internal sealed class UpstreamDatabase : IAsyncDisposable
{
    public const string Card = "4111-1111-1111-1111";
    public const string Ssn = "123-45-6789";

    /// <summary>The application name of the test's own direct connections, so they never count as the gateway's.</summary>
    private const string DirectApplication = "chatops-test-direct";

    private UpstreamDatabase(string host, int port, string database, string user, string password)
    {
        Host = host;
        Port = port;
        Database = database;
        User = user;
        Password = password;
    }

    public string Host { get; }
    public int Port { get; }
    public string Database { get; }
    public string User { get; }
    public string Password { get; }

    /// <summary>The table's own connection string, straight to PostgreSQL (not through the gateway).</summary>
    public string DirectConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host, Port = Port, Database = Database, Username = User, Password = Password, Pooling = false, ApplicationName = DirectApplication,
    }.ConnectionString;

    public static async Task<UpstreamDatabase> CreateAsync()
    {
        var admin = TestPostgres.Admin;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var upstream = new UpstreamDatabase(admin.Host!, admin.Port, "chat_" + suffix, "chatu_" + suffix, "pw-" + Guid.NewGuid().ToString("N"));
        await using (var connection = new NpgsqlConnection(TestPostgres.AdminConnectionString))
        {
            await connection.OpenAsync();
            await ExecuteAsync(connection, $"CREATE ROLE {upstream.User} LOGIN PASSWORD '{upstream.Password}'");
            await ExecuteAsync(connection, $"CREATE DATABASE {upstream.Database} OWNER {upstream.User}");
        }

        await using (var owner = new NpgsqlConnection(upstream.DirectConnectionString))
        {
            await owner.OpenAsync();
            await ExecuteAsync(owner, $"""
                CREATE TABLE customers (id int PRIMARY KEY, name text, card text, ssn text);
                INSERT INTO customers VALUES (1, 'Ann', '{Card}', '{Ssn}');
                """);
        }

        return upstream;
    }

    /// <summary>How many backends the gateway has logged in to this database right now (its sessions' upstream legs).</summary>
    public async Task<long> SessionsAsync()
    {
        await using var connection = new NpgsqlConnection(TestPostgres.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = @database AND usename = @user AND application_name IS DISTINCT FROM @direct", connection);
        command.Parameters.AddWithValue("database", Database);
        command.Parameters.AddWithValue("user", User);
        command.Parameters.AddWithValue("direct", DirectApplication);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the role's backends to be gone; returns how many are left.</summary>
    public async Task<long> SessionsLeftAfterAsync(TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        long left;
        while ((left = await SessionsAsync()) > 0 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return left;
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(TestPostgres.AdminConnectionString);
        await connection.OpenAsync();
        await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {Database} WITH (FORCE)");
        await ExecuteAsync(connection, $"DROP ROLE IF EXISTS {User}");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
