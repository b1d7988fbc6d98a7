using System.Net;

namespace Appliance.Gateway.Postgres.Listener;

/// <summary>
/// Bounds the connections still in their handshake. Each holds a thread until it logs in or its
/// startup timeout ends it, and nobody has authenticated it yet: without a bound, anyone who can
/// reach the port could open sockets that say nothing and make the gateway start a thread for
/// each. Sessions that logged in do not count; a client refused here gets FATAL 53300 at once,
/// as PostgreSQL answers when it has no room.
/// </summary>
internal sealed class HandshakeLimiter(int total, int perAddress)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _byAddress = [];
    private int _total;

    /// <summary>Null when the handshake may start (then <see cref="Exit"/> must follow); otherwise why not.</summary>
    public string? TryEnter(IPAddress? address)
    {
        lock (_lock)
        {
            if (_total >= total)
            {
                return $"too many connections are logging in to the gateway (at most {total} at once); try again shortly";
            }

            var fromAddress = address is null ? 0 : _byAddress.GetValueOrDefault(address);
            if (fromAddress >= perAddress)
            {
                return $"too many connections are logging in from {address} (at most {perAddress} at once); try again shortly";
            }

            _total++;
            if (address is not null)
            {
                _byAddress[address] = fromAddress + 1;
            }

            return null;
        }
    }

    public void Exit(IPAddress? address)
    {
        lock (_lock)
        {
            _total--;
            if (address is not null && _byAddress.TryGetValue(address, out var count))
            {
                if (count <= 1)
                {
                    _byAddress.Remove(address);
                }
                else
                {
                    _byAddress[address] = count - 1;
                }
            }
        }
    }
}
