using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Appliance.Gateway.Postgres.Listener;

/// <summary>
/// One accepted client. The socket is exposed through <see cref="IConnectionSocketFeature"/>;
/// <see cref="Transport"/> is a pipe over it created only if some middleware asks for one.
/// </summary>
internal sealed class PgSocketConnection : ConnectionContext, IConnectionSocketFeature
{
    private static long _lastId;

    private readonly CancellationTokenSource _closed = new();
    private IDuplexPipe? _transport;
    private int _disposed;

    public PgSocketConnection(Socket socket)
    {
        Socket = socket;
        ConnectionId = "pg-" + Interlocked.Increment(ref _lastId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionClosed = _closed.Token;
        Features.Set<IConnectionSocketFeature>(this);
    }

    public Socket Socket { get; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new ConnectionItems();

    public override IDuplexPipe Transport
    {
        get => _transport ??= CreatePipe();
        set => _transport = value;
    }

    public override void Abort(ConnectionAbortedException abortReason) => Close();

    public override ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }
        catch (ObjectDisposedException)
        {
            // Already closed by the session.
        }

        Socket.Dispose();
        // Not disposed: Kestrel and the session may still hold the token; cancelling is enough.
        _closed.Cancel();
    }

    private DuplexPipe CreatePipe()
    {
        var stream = new NetworkStream(Socket, ownsSocket: false);
        return new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
