using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Appliance.Gateway.Postgres.Listener;

/// <summary>Accepts PostgreSQL clients for Kestrel's accept loop.</summary>
internal sealed class PgSocketListener(Socket socket, PgListenEndPoint endPoint) : IConnectionListener
{
    public EndPoint EndPoint => endPoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var accepted = await socket.AcceptAsync(cancellationToken);
                accepted.NoDelay = true;
                return new PgSocketConnection(accepted);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return null;
            }
            catch (SocketException)
            {
                // A client that reset before we accepted it: the next one may be fine.
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
