using System.Collections.Concurrent;
using System.Security.Cryptography;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Gateway.Postgres.Upstream;

namespace Appliance.Gateway.Postgres.Sessions;

/// <summary>
/// The live sessions of this process: by the (pid, key) the gateway gave each client, for
/// CancelRequest, and by grant, to cut every session of a grant that ended.
/// </summary>
internal sealed partial class SessionRegistry(UpstreamConnector upstream, ILogger<SessionRegistry> logger)
{
    private readonly ConcurrentDictionary<int, PgSession> _byProcessId = new();

    public int Count => _byProcessId.Count;

    public IEnumerable<PgSession> Sessions => _byProcessId.Values;

    /// <summary>Gives the session its own process id and cancel key (4 bytes: protocol 3.0) and lists it.</summary>
    public (int ProcessId, byte[] SecretKey) Add(PgSession session)
    {
        var key = RandomNumberGenerator.GetBytes(4);
        while (true)
        {
            // Positive, so no client mistakes it for an error code; random, so it says nothing about load.
            var processId = RandomNumberGenerator.GetInt32(1, int.MaxValue);
            if (_byProcessId.TryAdd(processId, session))
            {
                return (processId, key);
            }
        }
    }

    public void Remove(PgSession session) => _byProcessId.TryRemove(new KeyValuePair<int, PgSession>(session.ProcessId, session));

    /// <summary>
    /// The pid this gateway gave the client whose session runs on upstream backend
    /// <paramref name="upstreamPid"/> of the same database, if one does: a notification names its
    /// sender by backend pid, and clients know their sessions by the gateway's.
    /// </summary>
    public int? ClientProcessIdOf(Appliance.Policy.Configuration.UpstreamPolicy upstream, int upstreamPid)
    {
        foreach (var session in _byProcessId.Values)
        {
            var other = session.Upstream;
            if (session.UpstreamProcessId == upstreamPid && other.Port == upstream.Port
                && string.Equals(other.Host, upstream.Host, StringComparison.OrdinalIgnoreCase)
                && string.Equals(other.Database, upstream.Database, StringComparison.Ordinal))
            {
                return session.ProcessId;
            }
        }

        return null;
    }

    public IReadOnlyList<PgSession> ForGrant(string grantId) => [.. _byProcessId.Values.Where(s => s.GrantId == grantId)];

    /// <summary>
    /// A CancelRequest: when the pid and key match a live session, the upstream backend that
    /// session runs on is asked to cancel, unless the session holds a statement for review with
    /// nothing of its own running ahead of it: then the hold ends. A wrong key is ignored
    /// silently, like PostgreSQL does.
    /// </summary>
    public void Cancel(int processId, byte[] secretKey, string clientAddress)
    {
        if (!_byProcessId.TryGetValue(processId, out var session) || !CryptographicOperations.FixedTimeEquals(session.SecretKey, secretKey))
        {
            Log.CancelIgnored(logger, clientAddress, processId);
            return;
        }

        if (!session.RunsAheadOfHold() && session.CancelHold())
        {
            // The statement waits for a review in the gateway, not upstream: the hold ends instead.
            Log.CancelEndedHold(logger, session.Id, clientAddress);
            return;
        }

        Log.CancelForwarded(logger, session.Id, clientAddress);
        try
        {
            upstream.Cancel(session.Upstream, session.UpstreamProcessId, session.UpstreamSecretKey);
        }
        catch (Exception e) when (e is UpstreamLoginException or IOException or System.Net.Sockets.SocketException)
        {
            Log.CancelFailed(logger, session.Id, e.Message);
        }
    }
}
