using System.Globalization;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Policy.Configuration;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Upstream;

internal sealed partial class UpstreamConnector
{
    /// <summary>
    /// Ends the upstream backend <paramref name="processId"/> of a session the gateway cut while
    /// a statement ran. A cancel does not stop code that catches it (a DO block's <c>EXCEPTION WHEN
    /// query_canceled</c>), and PostgreSQL notices a closed socket only when it next writes to it:
    /// such a backend ran on past the grant's end, committing rows (probe BI1). A new login as the
    /// connection's role asks <c>pg_terminate_backend</c>, whose FATAL no handler catches; a role
    /// may end its own backends. Returns whether the backend was still there to end.
    /// </summary>
    /// <exception cref="UpstreamLoginException">The login was refused, or the server refused to end the backend.</exception>
    /// <param name="clientPort">The gateway's port on that backend's connection: a pid the backend left may be another's by now.</param>
    public bool Terminate(UpstreamPolicy upstream, int processId, int clientPort)
    {
        using var connection = Login(upstream, [new("application_name", "appliance gateway: ending a cut session")], CancellationToken.None);
        connection.Socket.ReceiveTimeout = (int)options.StartupTimeout.TotalMilliseconds;
        using var output = new OutputBuffer(256);
        // Named by pid and the gateway's port, as everyone on the connection shares its role: a pid
        // the backend left, taken by another person's session, is not ended. No row: nothing to end
        // (behind a pooler the pid is the pooler's key, and no backend has it).
        var answer = QueryFirstValue(connection, output, string.Create(CultureInfo.InvariantCulture,
            $"SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE pid = {processId} AND client_port = {clientPort}"),
            "ending a cut session's backend");
        FrontendWriter.WriteTerminate(output);
        output.FlushTo(connection.Stream);
        return answer.Error is { } refusal
            ? throw new UpstreamLoginException(SqlStates.InsufficientPrivilege, $"the upstream server did not end backend {processId}: {refusal}")
            : answer.Value == "t";
    }
}
