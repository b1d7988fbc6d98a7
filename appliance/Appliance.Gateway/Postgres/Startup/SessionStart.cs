using System.Net.Sockets;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Gateway.Postgres.Upstream;

namespace Appliance.Gateway.Postgres.Startup;

/// <summary>Everything the handshake established: the client leg, who it is, and the logged-in upstream leg.</summary>
internal sealed record SessionStart(
    Socket ClientSocket,
    Stream Client,
    bool ClientTls,
    string ClientAddress,
    string? Application,
    NativeAccess Access,
    UpstreamConnection Upstream,
    ColumnCatalog Catalog,
    IReadOnlyDictionary<string, string> Settings);
