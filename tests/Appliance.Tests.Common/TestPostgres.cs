using Npgsql;

namespace Appliance.Tests.Common;

/// <summary>
/// The throwaway PostgreSQL cluster that <c>scripts/test.sh</c> starts. Each test asks for
/// its own database, so tests never see each other's data.
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "APPLIANCE_TEST_PG";

    /// <summary>The superuser connection string to the cluster's <c>postgres</c> database.</summary>
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. Run the tests through scripts/test.sh, which starts a " +
                "throwaway PostgreSQL, or start one with scripts/pg-throwaway.sh and export " +
                $"{EnvironmentVariable}=\"Host=127.0.0.1;Port=<port>;Username=postgres;Password=<password>\".");

    public static NpgsqlConnectionStringBuilder Admin => new(AdminConnectionString);

    /// <summary>Creates a fresh, empty database and returns its connection string.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using (var conn = new NpgsqlConnection(AdminConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        var builder = Admin;
        builder.Database = name;
        builder.Pooling = true;
        return new TestDatabase(name, builder.ConnectionString);
    }
}

/// <summary>A database owned by one test; dropped (with its connections) on dispose.</summary>
public sealed class TestDatabase(string name, string connectionString) : IAsyncDisposable
{
    public string Name { get; } = name;
    public string ConnectionString { get; } = connectionString;

    public async ValueTask DisposeAsync()
    {
        // Only this database's pool: other tests in the process keep their pooled connections.
        using (var pooled = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var conn = new NpgsqlConnection(TestPostgres.AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
