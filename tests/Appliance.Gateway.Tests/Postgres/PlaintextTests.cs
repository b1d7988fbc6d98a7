using Appliance.Gateway.Tests.Postgres.Support;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>Where the policy does not allow plaintext, passwords go over TLS only.</summary>
public sealed class PlaintextTests(PlaintextTests.Fixture fixture) : IClassFixture<PlaintextTests.Fixture>
{
    public sealed class Fixture : PgGatewayFixture
    {
        protected override bool AllowLoopbackPlaintext => false;
    }

    [Fact]
    public async Task Plaintext_IsRefusedBeforeThePasswordIsAskedFor()
    {
        await fixture.GrantAsync();

        var result = await fixture.PsqlAsync("demo", "disable", "-c", "SELECT 1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the gateway accepts passwords only over TLS", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_IsAccepted_AndTheSelfSignedCertificateIsKeptInTheDataDirectory()
    {
        await fixture.GrantAsync();

        var result = await fixture.PsqlAsync("demo", "require", "-A", "-t", "-c", "SELECT 7");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("7", result.Stdout.Trim());
        Assert.True(File.Exists(Path.Combine(fixture.Gateway.Options.DataDir, "pg-gateway.crt")));
        Assert.True(File.Exists(Path.Combine(fixture.Gateway.Options.DataDir, "pg-gateway.key")));
    }
}
