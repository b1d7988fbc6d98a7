using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Wire.Writing;

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
}
