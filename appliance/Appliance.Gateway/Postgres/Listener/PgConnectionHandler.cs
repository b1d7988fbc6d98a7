using System.Net;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Gateway.Postgres.Startup;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Appliance.Gateway.Postgres.Listener;

/// <summary>
/// Kestrel's handler for the PostgreSQL endpoint: one instance for the endpoint, one
/// <see cref="PgSession"/> per client that gets through the handshake.
/// </summary>
internal sealed class PgConnectionHandler(ClientHandshake handshake, SessionServices services) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket
            ?? throw new InvalidOperationException("The PostgreSQL endpoint must use the gateway's own transport (PgSocketTransportFactory).");
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        var shutdown = lifetime?.ConnectionClosedRequested ?? CancellationToken.None;
        var start = await handshake.RunAsync(socket, connection.RemoteEndPoint as IPEndPoint, shutdown);
        if (start is null)
        {
            return;
        }

        using var session = new PgSession(start, services);
        await session.RunAsync(shutdown);
    }
}
