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

    private Task<ProcessResult> RunAsync(string policy, params string[] arguments) => ProcessRunner.RunAsync(
        "dotnet", [Program, .. arguments],
        new Dictionary<string, string> { ["APPLIANCE_CONFIG"] = policy, ["APPLIANCE_DATA_DIR"] = Path.Combine(_dir, "data"), ["APPLIANCE_HTTP_PORT"] = "0", ["APPLIANCE_PG_PORT"] = "0" },
        TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Check_SaysTheSettingsPolicyAndStoreLoad_WithoutStarting()
    {
        var result = await RunAsync(Policy("4h"), "--check");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("The settings and the policy load (1 users, 1 connections, 0 guardrails), and the store sqlite:", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_OfAPolicyThatDoesNotLoad_SaysWhyInOneLine_AndFails()
    {
        var result = await RunAsync(Policy("4 hours"), "--check");

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
