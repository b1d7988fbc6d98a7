using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Appliance.Gateway.Postgres.Listener;

/// <summary>
/// Kestrel's transport for the PostgreSQL endpoint. Kestrel runs the accept loop, the connection
/// middleware (<c>UseConnectionHandler</c>), connection tracking and graceful shutdown; unlike its
/// socket transport, this one starts no receive loop of its own, so the session can move bytes
/// with blocking socket calls on dedicated threads (the fastest relay measured on these machines:
/// docs/benchmarks.md, /work/shared/reference/performance.md).
/// </summary>
internal sealed class PgSocketTransportFactory(PostgresListenerInfo info) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private const int Backlog = 1024;

    public bool CanBind(EndPoint endpoint) => endpoint is PgListenEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var requested = ((PgListenEndPoint)endpoint).Address;
        var socket = Bind(requested);
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        info.SetBound(bound);
        return ValueTask.FromResult<IConnectionListener>(new PgSocketListener(socket, new PgListenEndPoint(bound)));
    }

    private static Socket Bind(IPEndPoint requested)
    {
        if (requested.Address.Equals(IPAddress.IPv6Any))
        {
            try
            {
                return Listen(requested, dualMode: true);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
            {
                // No IPv6 on this host (some containers): listen on every IPv4 address, as Kestrel's ListenAnyIP does.
                return Listen(new IPEndPoint(IPAddress.Any, requested.Port), dualMode: false);
            }
        }

        return Listen(requested, dualMode: false);
    }

    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;

    private static Socket Listen(IPEndPoint address, bool dualMode)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (dualMode)
            {
                socket.DualMode = true;
            }

            // SO_REUSEADDR only, so a restart binds while old connections sit in TIME_WAIT. .NET's
            // ReuseAddress also sets SO_REUSEPORT on Linux, which let a second gateway bind the same
            // port and take half the logins, with their tokens (probe BB).
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            }

            socket.Bind(address);
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new IOException($"The PostgreSQL listener cannot bind port {address.Port}: another process uses it (APPLIANCE_PG_PORT).", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
