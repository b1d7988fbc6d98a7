using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Gateway.Configuration;

namespace Appliance.Gateway.Postgres.Startup;

/// <summary>
/// The listener's TLS certificate: the one the policy configures (<c>gateway.tlsCertificate</c>
/// and <c>gateway.tlsKey</c>, PEM), else a self-signed one generated at first start and kept in
/// the data directory, so clients that pin it keep working across restarts.
/// </summary>
internal sealed partial class GatewayCertificate(PostgresListenerOptions options, IPolicyProvider policy, ILogger<GatewayCertificate> logger)
{
    public const string GeneratedCertificateFile = "pg-gateway.crt";
    public const string GeneratedKeyFile = "pg-gateway.key";

    private readonly Lock _lock = new();
    private Loaded? _loaded;

    /// <summary>The certificate for the next handshake (reloaded when the policy points elsewhere).</summary>
    public SslStreamCertificateContext Get()
    {
        var gateway = policy.Current.Gateway;
        var source = (gateway.TlsCertificatePath, gateway.TlsKeyPath);
        var loaded = Volatile.Read(ref _loaded);
        if (loaded is not null && loaded.Source == source)
        {
            return loaded.Context;
        }

        lock (_lock)
        {
            if (_loaded is not null && _loaded.Source == source)
            {
                return _loaded.Context;
            }

            var certificate = source.TlsCertificatePath is { Length: > 0 } path
                ? X509Certificate2.CreateFromPemFile(path, source.TlsKeyPath is { Length: > 0 } key ? key : null)
                : LoadOrGenerate(gateway.PublicHost);
            Volatile.Write(ref _loaded, new Loaded(source, SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true)));
            return _loaded.Context;
        }
    }

    private X509Certificate2 LoadOrGenerate(string publicHost)
    {
        var directory = Path.GetFullPath(options.DataDir);
        var certificatePath = Path.Combine(directory, GeneratedCertificateFile);
        var keyPath = Path.Combine(directory, GeneratedKeyFile);
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }

        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={publicHost}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(publicHost);
        if (!publicHost.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            // Named once: the default host is localhost (probe DX7: it was listed twice).
            names.AddDnsName("localhost");
        }

        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));

        // The key file is written readable by the owner only; the certificate is public.
        File.WriteAllText(keyPath, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        Log.CertificateGenerated(logger, certificatePath, certificate.Thumbprint);
        return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
    }

    private sealed record Loaded((string? Certificate, string? Key) Source, SslStreamCertificateContext Context);
}
