using System.Net;

namespace Appliance.Gateway.Postgres.Listener;

/// <summary>Where the PostgreSQL listener is bound (port 0 in tests: the OS picks one).</summary>
internal sealed class PostgresListenerInfo
{
    private volatile IPEndPoint? _bound;

    /// <summary>The bound address once Kestrel has started the listener; null before.</summary>
    public IPEndPoint? Bound => _bound;

    /// <summary>The bound port, for clients on this host.</summary>
    public int Port => _bound?.Port ?? throw new InvalidOperationException("The PostgreSQL listener is not bound yet.");

    internal void SetBound(IPEndPoint endPoint) => _bound = endPoint;
}
