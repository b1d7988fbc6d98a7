using System.Net;
using System.Net.Sockets;

namespace Appliance.Gateway.Postgres.Listener;

/// <summary>
/// The PostgreSQL listener's address. Deliberately not an <see cref="IPEndPoint"/>: Kestrel asks
/// each transport whether it can bind an endpoint, and its socket transport claims every
/// IPEndPoint; this type is claimed only by <see cref="PgSocketTransportFactory"/>.
/// </summary>
internal sealed class PgListenEndPoint(IPEndPoint address) : EndPoint
{
    public IPEndPoint Address { get; } = address;

    public override AddressFamily AddressFamily => Address.AddressFamily;

    public override string ToString() => Address.ToString();
}
