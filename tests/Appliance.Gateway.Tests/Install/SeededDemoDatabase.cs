using System.Diagnostics;
using System.Security.Cryptography;
using Appliance.Tests.Common;
using Npgsql;

namespace Appliance.Gateway.Tests.Install;

/// <summary>
/// A database of its own loaded with compose/demo-db/demo.sql exactly as scripts/install.sh and
/// the demo-db container load it: by psql, with the reader's role name and password as
/// variables. The reader role is cluster-wide, so each instance has its own and drops it.
/// </summary>
internal sealed class SeededDemoDatabase : IAsyncDisposable
{
    private readonly TestDatabase _database;

    private SeededDemoDatabase(TestDatabase database, string readerRole, string readerPassword)
    {
        _database = database;
        ReaderRole = readerRole;
        ReaderPassword = readerPassword;
    }

    public string ReaderRole { get; }

    public string ReaderPassword { get; }

    public string AdminConnectionString => _database.ConnectionString;

    public string ReaderConnectionString => new NpgsqlConnectionStringBuilder(_database.ConnectionString)
    {
        Username = ReaderRole,
        Password = ReaderPassword,
        Pooling = false,
    }.ConnectionString;

    public static async Task<SeededDemoDatabase> CreateAsync()
    {
        var database = await TestPostgres.CreateDatabaseAsync("demo");
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var seeded = new SeededDemoDatabase(database, $"demo_reader_{suffix}", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        try
        {
            await seeded.RunPsqlAsync(Repository.PathOf("compose", "demo-db", "demo.sql"));
            return seeded;
        }
        catch
        {
            await seeded.DisposeAsync();
            throw;
        }
    }

    public async Task<List<string>> ReadColumnAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        await using var connection = new NpgsqlConnection(TestPostgres.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP ROLE IF EXISTS \"{ReaderRole}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task RunPsqlAsync(string file)
    {
        var admin = TestPostgres.Admin;
        var start = new ProcessStartInfo("psql")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "-h", admin.Host!, "-p", admin.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", admin.Username!, "-d", _database.Name,
            "-v", $"reader_role={ReaderRole}", "-v", $"reader_password={ReaderPassword}",
            "-f", file,
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGPASSWORD"] = admin.Password;
        using var psql = Process.Start(start)!;
        var output = psql.StandardOutput.ReadToEndAsync();
        var errors = psql.StandardError.ReadToEndAsync();
        await psql.WaitForExitAsync();
        Assert.True(psql.ExitCode == 0, $"psql -f {file} exited with {psql.ExitCode}: {await errors}{await output}");
    }
}
