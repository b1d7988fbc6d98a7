using Appliance.Gateway.Postgres.Startup;

namespace Appliance.Gateway.Postgres.Listener;

/// <summary>
/// <c>GET /api/postgres/certificate</c>: the certificate the PostgreSQL listener presents, as PEM,
/// so a client can verify the gateway (<c>sslmode=verify-full sslrootcert=…</c>). Login sends the
/// token as a password inside the TLS session: without verification, whoever can stand in the
/// middle of the connection can read it (probe AL). The certificate is public; any caller may
/// read it.
/// </summary>
internal static class CertificateApi
{
    public const string PemContentType = "application/x-pem-file";

    public static RouteGroupBuilder MapCertificateApi(this RouteGroupBuilder api)
    {
        api.MapGet("/postgres/certificate", (GatewayCertificate certificate) =>
            TypedResults.Text(certificate.Get().TargetCertificate.ExportCertificatePem() + "\n", PemContentType));
        return api;
    }
}
