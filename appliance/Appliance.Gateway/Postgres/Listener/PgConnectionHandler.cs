using System.Net;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Gateway.Postgres.Startup;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Appliance.Gateway.Postgres.Listener;

/// <summary>
/// Kestrel's handler for the PostgreSQL endpoint: one instance for the endpoint, one
/// <see cref="PgSession"/> per client that gets through the handshake. Each connection gets a
/// thread of its own at once for the handshake, where every socket call blocks (so the sockets
/// stay plain blocking sockets: one system call per read or write). The session then goes to an
/// event loop, or stays on this thread (and a second one) to relay.
/// </summary>
internal sealed partial class PgConnectionHandler(
    ClientHandshake handshake, HandshakeLimiter limiter, SessionServices services, Loop.EventLoops loops, ILogger<PgConnectionHandler> logger)
    : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket
            ?? throw new InvalidOperationException("The PostgreSQL endpoint must use the gateway's own transport (PgSocketTransportFactory).");
        var shutdown = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        var remote = connection.RemoteEndPoint as IPEndPoint;
        if (limiter.TryEnter(remote?.Address) is { } refusal)
        {
            Refuse(socket, remote, refusal);
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                if (Serve(socket, remote, shutdown) is { } onLoop)
                {
                    // The session lives on an event loop now; this thread is done.
                    onLoop.ContinueWith(_ => done.TrySetResult(), TaskScheduler.Default);
                    return;
                }
            }
            catch (Exception e)
            {
                Log.ConnectionFailed(logger, connection.ConnectionId, e);
            }

            done.TrySetResult();
        }, services.Options.ThreadStackSize)
        {
            IsBackground = true,
            Name = "pg-client",
        };
        try
        {
            thread.Start();
        }
        catch
        {
            // No thread, no handshake: give the slot back, or enough failed starts would refuse everyone.
            limiter.Exit(remote?.Address);
            throw;
        }

        return done.Task;
    }

    /// <summary>The session's end when it went to an event loop; null when it ran (or ended) on this thread.</summary>
    private Task? Serve(System.Net.Sockets.Socket socket, IPEndPoint? remote, CancellationToken shutdown)
    {
        SessionStart? start;
        try
        {
            start = handshake.Run(socket, remote, shutdown);
        }
        finally
        {
            limiter.Exit(remote?.Address);
        }

        if (start is null)
        {
            return null;
        }

        var session = new PgSession(start, services);
        if (loops.Enabled && session.CanRunOnLoop)
        {
            return session.RunOnLoop(loops.Next(), shutdown).ContinueWith(_ => session.Dispose(), TaskScheduler.Default);
        }

        using (session)
        {
            session.Run(shutdown);
        }

        return null;
    }

    /// <summary>No room for another handshake: FATAL 53300 before reading anything (libpq shows it whatever it sent first).</summary>
    private void Refuse(System.Net.Sockets.Socket socket, IPEndPoint? remote, string refusal)
    {
        Log.HandshakeRefused(logger, remote?.ToString() ?? "unknown", refusal);
        try
        {
            socket.Send(LocalMessages.Fatal(Appliance.Wire.SqlStates.TooManyConnections, refusal));
            socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The client is gone already.
        }
    }
}
