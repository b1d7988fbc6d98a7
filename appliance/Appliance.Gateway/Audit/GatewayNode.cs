namespace Appliance.Gateway.Audit;

/// <summary>
/// This gateway process, as the store knows it: each session it relays names it, and it says it
/// is alive in <c>gateway_nodes</c> (<see cref="OrphanedSessions"/>). New at every start.
/// </summary>
/// <remarks>
/// On a PostgreSQL store the other gateways end this one's sessions in the record once it has not
/// said it is alive for a while. A gateway paused that long (SIGSTOP, a stalled VM, the store out
/// of reach) must not run what its clients send on resuming, in sessions the record already shows
/// ended (probe QC1: it ran queries 29 s after their recorded end). So it holds a lease: until a
/// heartbeat's time plus less than the others wait; and when one is renewed after it lapsed, a new
/// epoch begins. A session of an earlier epoch, or any session while the lease has lapsed, is cut
/// before it relays anything more. Without a heartbeat (the embedded store, one gateway) there is
/// no lease to lapse.
/// </remarks>
internal sealed class GatewayNode
{
    private long _aliveUntil = long.MaxValue;
    private long _epoch;

    public string Id { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The epoch sessions starting now belong to.</summary>
    public long Epoch => Volatile.Read(ref _epoch);

    /// <summary>Whether a session of <paramref name="epoch"/> may have been ended in the record by other gateways.</summary>
    public bool MayHaveLost(long epoch) => epoch != Volatile.Read(ref _epoch) || Environment.TickCount64 > Volatile.Read(ref _aliveUntil);

    /// <summary>A heartbeat issued at <paramref name="beatAt"/> (<see cref="Environment.TickCount64"/>) was written.</summary>
    /// <param name="lease">How long after it the others cannot yet take this gateway for dead.</param>
    public void Alive(long beatAt, TimeSpan lease)
    {
        if (Environment.TickCount64 > Volatile.Read(ref _aliveUntil))
        {
            Interlocked.Increment(ref _epoch);
        }

        Volatile.Write(ref _aliveUntil, beatAt + (long)lease.TotalMilliseconds);
    }
}
