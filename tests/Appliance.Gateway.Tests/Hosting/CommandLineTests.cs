using Appliance.Gateway.Tests.Postgres.Support;

namespace Appliance.Gateway.Tests.Hosting;

/// <summary>The gateway as an operator runs it: the published program, its environment, its one argument.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-cli-").FullName;

    private static readonly string Program = typeof(Appliance.Gateway.Hosting.GatewayApp).Assembly.Location;

    private string Policy(string maxDuration)
    {
        var path = Path.Combine(_dir, "appliance.yaml");
        File.WriteAllText(path, $"""
            users:
              - email: alice@example.com
                groups: [engineering]
            connections:
              - name: demo
                type: postgres
                upstream: {"{"} host: 127.0.0.1, port: 5432, database: demo, user: demo, password: x {"}"}
                access: {"{"} requesters: [engineering], approvers: [engineering], maxDuration: {maxDuration} {"}"}
            """);
        return path;
    }

    private Task<ProcessResult> RunAsync(string policy, params string[] arguments) => RunInAsync(Path.Combine(_dir, "data"), policy, arguments);

    private static Task<ProcessResult> RunInAsync(string dataDir, string policy, params string[] arguments) => ProcessRunner.RunAsync(
        "dotnet", [Program, .. arguments],
        new Dictionary<string, string> { ["APPLIANCE_CONFIG"] = policy, ["APPLIANCE_DATA_DIR"] = dataDir, ["APPLIANCE_HTTP_PORT"] = "0", ["APPLIANCE_PG_PORT"] = "0" },
        TimeSpan.FromSeconds(60));

    /// <summary>Beside a running gateway, on its store, as install.sh restart runs it.</summary>
    [Fact]
    public async Task Check_SaysTheSettingsPolicyAndStoreLoad_WithoutStarting()
    {
        await using var running = await Appliance.Tests.Common.Gateway.TestGateway.StartAsync(Appliance.Tests.Common.Gateway.TestGatewayOptions.InTempDir());

        var result = await RunInAsync(running.Options.DataDir, Policy("4h"), "--check");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("The settings and the policy load (1 users, 1 connections, 0 guardrails), and the store sqlite:", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>A mistyped data directory would start on a new, empty store: every token and grant gone (probe DK).</summary>
    [Fact]
    public async Task Check_WithoutAStore_SaysSo_AndMakesNone()
    {
        var result = await RunAsync(Policy("4h"), "--check");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"There is no store at {Path.Combine(_dir, "data", "appliance.db")}", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "data", "appliance.db")));
    }

    /// <summary>
    /// A new, empty PostgreSQL database named as the store (a move from the embedded one): the check
    /// says it has no schema yet and how to start on it, not to check permissions (probe PA2).
    /// </summary>
    [Fact]
    public async Task Check_OfAnEmptyPostgresStore_SaysItHasNoSchemaYet_AndSetsNoneUp()
    {
        await using var database = await Appliance.Tests.Common.TestPostgres.CreateDatabaseAsync("emptystore");
        var result = await ProcessRunner.RunAsync(
            "dotnet", [Program, "--check"],
            new Dictionary<string, string>
            {
                ["APPLIANCE_CONFIG"] = Policy("4h"), ["APPLIANCE_DATA_DIR"] = Path.Combine(_dir, "data"), ["APPLIANCE_STORE"] = database.ConnectionString,
                ["APPLIANCE_HTTP_PORT"] = "0", ["APPLIANCE_PG_PORT"] = "0",
            },
            TimeSpan.FromSeconds(60));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("answers but has no schema yet", result.Stderr, StringComparison.Ordinal);
        await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var tables = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", connection);
        Assert.Equal(0L, await tables.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Check_OfAPolicyThatDoesNotLoad_SaysWhyInOneLine_AndFails()
    {
        await using var running = await Appliance.Tests.Common.Gateway.TestGateway.StartAsync(Appliance.Tests.Common.Gateway.TestGatewayOptions.InTempDir());

        var result = await RunInAsync(running.Options.DataDir, Policy("4 hours"), "--check");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'4 hours' is not a duration", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A mistyped argument started a second gateway on the live store (probe DG).</summary>
    [Theory]
    [InlineData("--chek")]
    [InlineData("--help")]
    public async Task AnUnknownArgument_IsRefused_NotAStart(string argument)
    {
        var result = await RunAsync(Policy("4h"), argument);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"Unknown argument {argument}:", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "data")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
