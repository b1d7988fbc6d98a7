using Appliance.Wire.Backend;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// A named portal lives until its transaction ends (a WITH HOLD cursor longer, until closed).
/// Once PostgreSQL has dropped one, its name may be a SQL cursor's, declared in SQL or opened by a
/// function, running another query: masked by the dropped portal's plan, its rows went out as the
/// old columns' (probe DO-3). So a named portal bound in an earlier batch is trusted only while
/// every batch since has been answered and none of them ended a transaction; otherwise it is
/// described again and planned as a cursor is, computed columns masked whole.
/// </summary>
internal sealed partial class PgSession
{
    /// <summary>The last batch the upstream answered (its ReadyForQuery): set by the upstream thread.</summary>
    private long _answeredBatch = -1;

    /// <summary>The last batch whose ReadyForQuery said Idle: every portal of it and before was dropped then.</summary>
    private long _lastIdleBatch = -1;

    private void BatchAnswered(long batch, TransactionStatus status)
    {
        Volatile.Write(ref _answeredBatch, batch);
        if (status == TransactionStatus.Idle)
        {
            Volatile.Write(ref _lastIdleBatch, batch);
        }
    }

    /// <summary>The portal a Describe or Execute names, as it is upstream now.</summary>
    private PortalState LivePortal(ReadOnlySpan<byte> name)
    {
        var portal = PortalFor(name);
        if (name.IsEmpty || portal.BoundInBatch >= _batch
            || (Volatile.Read(ref _answeredBatch) >= _batch - 1 && Volatile.Read(ref _lastIdleBatch) < portal.BoundInBatch))
        {
            return portal;
        }

        // Counted as bound in an earlier batch still: what runs under the name may change the encoding (probe DO-2).
        portal = new PortalState(StatementInfo.Unknown, null) { BoundInBatch = _batch - 1 };
        _portals.Set(name, portal);
        return portal;
    }
}
