using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Wire.Writing;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>A certificate the policy configures is the one clients see.</summary>
public sealed class CertificateTests(CertificateTests.Fixture fixture) : IClassFixture<CertificateTests.Fixture>
{
    public sealed class Fixture : PgGatewayFixture
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "pg-cert-" + Guid.NewGuid().ToString("N"));

        public Fixture()
        {
            Directory.CreateDirectory(_directory);
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=gateway.test.example", key, HashAlgorithmName.SHA256);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            File.WriteAllText(Path.Combine(_directory, "gw.crt"), certificate.ExportCertificatePem());
            File.WriteAllText(Path.Combine(_directory, "gw.key"), key.ExportPkcs8PrivateKeyPem());
            Thumbprint = certificate.Thumbprint;
        }

        public string Thumbprint { get; }

        protected override (string Certificate, string Key)? ListenerCertificate => (Path.Combine(_directory, "gw.crt"), Path.Combine(_directory, "gw.key"));
    }

    [Fact]
    public async Task ConfiguredCertificate_IsPresentedAfterSslRequest()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", fixture.Port);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        FrontendWriter.WriteSslRequest(output);
        await stream.WriteAsync(output.WrittenMemory);
        var answer = new byte[1];
        await stream.ReadExactlyAsync(answer);
        X509Certificate? presented = null;
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true, (_, certificate, _, _) =>
        {
            presented = certificate is null ? null : new X509Certificate2(certificate);
            return true;
        });

        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "gateway.test.example" });

        Assert.Equal('S', (char)answer[0]);
        Assert.NotNull(presented);
        Assert.Equal(fixture.Thumbprint, ((X509Certificate2)presented).Thumbprint);
        Assert.False(File.Exists(Path.Combine(fixture.Gateway.Options.DataDir, "pg-gateway.crt")), "no certificate is generated when one is configured");
    }

    [Fact]
    public async Task CertificateRoute_GivesTheConfiguredCertificate()
    {
        using var client = fixture.Gateway.Client(fixture.AliceToken);

        using var response = await client.GetAsync("api/postgres/certificate");
        var pem = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-pem-file", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("PRIVATE KEY", pem, StringComparison.Ordinal);
        using var served = X509Certificate2.CreateFromPem(pem);
        Assert.Equal(fixture.Thumbprint, served.Thumbprint);
    }

    [Fact]
    public async Task CertificateRoute_NeedsACaller()
    {
        using var anonymous = fixture.Gateway.Client();

        using var response = await anonymous.GetAsync("api/postgres/certificate");

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

/// <summary>
/// The generated certificate, fetched from the API, lets psql verify the gateway: the token it
/// sends as a password then goes to the gateway and nobody in between.
/// </summary>
public sealed class GeneratedCertificateTests(PgGatewayFixture fixture) : IClassFixture<PgGatewayFixture>
{
    [Fact]
    public async Task Psql_VerifyFull_WithTheServedCertificate_Connects()
    {
        await fixture.GrantAsync();
        using var client = fixture.Gateway.Client(fixture.AliceToken);
        var pem = await client.GetStringAsync("api/postgres/certificate");

        // Each name once (probe DX7: localhost, the default host, was listed twice).
        using (var served = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem))
        {
            var names = served.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();
            Assert.Equal(names.Distinct(StringComparer.OrdinalIgnoreCase).Count(), names.Count);
            Assert.Contains("localhost", names);
        }

        var rootCertificate = Path.Combine(Path.GetTempPath(), $"gateway-{Guid.NewGuid():N}.crt");
        await File.WriteAllTextAsync(rootCertificate, pem);
        try
        {
            var verified = await VerifyFullAsync(rootCertificate);
            Assert.True(verified.ExitCode == 0, verified.ToString());
            Assert.Equal("1", verified.Stdout.Trim());

            // And another certificate does not pass: the check is real.
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var other = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(rootCertificate, other.ExportCertificatePem());
            var refused = await VerifyFullAsync(rootCertificate);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("certificate verify failed", refused.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(rootCertificate);
        }
    }

    private Task<ProcessResult> VerifyFullAsync(string rootCertificate) =>
        ProcessRunner.RunAsync(ProcessRunner.Psql,
            ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", fixture.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", Alice, "-d", "demo", "-c", "SELECT 1"],
            new Dictionary<string, string> { ["PGPASSWORD"] = fixture.AliceToken, ["PGSSLMODE"] = "verify-full", ["PGSSLROOTCERT"] = rootCertificate });
}
