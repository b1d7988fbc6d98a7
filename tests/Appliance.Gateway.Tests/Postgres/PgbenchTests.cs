using System.Globalization;
using Appliance.Gateway.Tests.Postgres.Support;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>pgbench through the gateway, logged in with the email and a token, in each query mode.</summary>
public sealed class PgbenchTests(PgGatewayFixture fixture) : IClassFixture<PgGatewayFixture>
{
    [Theory]
    [InlineData("simple")]
    [InlineData("extended")]
    [InlineData("prepared")]
    public async Task SelectOnly_RunsWithoutFailures(string mode)
    {
        await fixture.GrantAsync();
        await EnsureInitializedAsync();

        var result = await ProcessRunner.RunAsync(ProcessRunner.Pgbench,
            ["-n", "-S", "-M", mode, "-c", "4", "-j", "2", "-t", "200", "-h", "127.0.0.1", "-p", fixture.Port.ToString(CultureInfo.InvariantCulture), "-U", Alice, "demo"],
            new Dictionary<string, string> { ["PGPASSWORD"] = fixture.AliceToken, ["PGSSLMODE"] = "require" });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("number of transactions actually processed: 800/800", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("number of failed transactions: 0", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_ThroughTheGateway_IsStoppedByTheDestructiveDdlGuardrail()
    {
        await fixture.GrantAsync();

        var result = await ProcessRunner.RunAsync(ProcessRunner.Pgbench,
            ["-i", "-s", "1", "-h", "127.0.0.1", "-p", fixture.Port.ToString(CultureInfo.InvariantCulture), "-U", Alice, "demo"],
            new Dictionary<string, string> { ["PGPASSWORD"] = fixture.AliceToken, ["PGSSLMODE"] = "require" });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("blocked by guardrail \"destructive-ddl\"", result.Stderr, StringComparison.Ordinal);
    }

    private static readonly SemaphoreSlim Once = new(1, 1);

    private async Task EnsureInitializedAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (await fixture.UpstreamScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'pgbench_accounts'") > 0)
            {
                return;
            }

            var upstream = fixture.Upstream;
            var init = await ProcessRunner.RunAsync(ProcessRunner.Pgbench,
                ["-i", "-s", "1", "-q", "-h", upstream.Host, "-p", upstream.Port.ToString(CultureInfo.InvariantCulture), "-U", upstream.User, upstream.Database],
                new Dictionary<string, string> { ["PGPASSWORD"] = upstream.Password });
            Assert.True(init.ExitCode == 0, init.ToString());
        }
        finally
        {
            Once.Release();
        }
    }
}
