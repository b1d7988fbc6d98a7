using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Postgres.Policy;

/// <summary>
/// A superuser reaches past every rule the gateway enforces: it writes the system catalogs
/// (COPY pg_operator FROM STDIN added an always-true =, an UPDATE through a view of pg_proc
/// renamed set_config and pg_read_file: probes EN1, EN2, EJ1), the server's files and programs,
/// and raw pages. PostgreSQL reports <c>is_superuser</c> at login and whenever SET ROLE or SET
/// SESSION AUTHORIZATION changes it, so the gateway refuses such a session, at login or when the
/// report comes, unless the connection's policy allows it (<c>upstream.allowSuperuser</c>).
/// </summary>
internal static class Superusers
{
    /// <summary>Null when the reported parameter is no superuser, or the connection allows one; else why the session is refused.</summary>
    public static string? Refusal(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, UpstreamPolicy upstream) =>
        !upstream.AllowSuperuser && name.SequenceEqual("is_superuser"u8) && value.SequenceEqual("on"u8)
            ? "the session would run as a PostgreSQL superuser, which can change the catalogs, files and programs the gateway's rules rely on; "
                + "connect the gateway with a role that is not one (or set upstream.allowSuperuser: true for this connection)"
            : null;

    /// <summary>Why a session whose role may become the superuser role <paramref name="role"/> is refused.</summary>
    public static string MembershipRefusal(string role) =>
        $"the gateway's upstream role is a member of the superuser role \"{role}\": through SET ROLE or a function's SET role clause "
        + "a session could run as it, past every rule the gateway enforces; revoke that membership "
        + "(or set upstream.allowSuperuser: true for this connection)";
}
