using Appliance.Wire.Framing;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// COPY FROM STDIN. While the upstream reads COPY data it ignores Flush and Sync (PostgreSQL
/// does so for clients that send them without noticing the command was a COPY): libpq's
/// <c>PQexecParams</c> sends a Sync right behind the COPY's Execute and another after CopyDone,
/// and only the second is answered. A Sync counted as answerable there left the gateway one
/// answer behind for the rest of the session: every result masked by the plan of the statement
/// before it, and recorded as it (probe FD1, FD2, high). Whether the upstream reads COPY data
/// is known only from its answer (a COPY that fails to start does not), so each Sync carries the
/// number of COPY data streams the client had ended when it sent it; when the upstream starts
/// reading a COPY's data, the Syncs the client sent before it ended that stream are taken off
/// unanswered as they come up.
/// </summary>
internal sealed partial class PgSession
{
    /// <summary>COPY data streams the client ended (CopyDone, CopyFail); the client side's.</summary>
    private long _clientCopyEnds;

    /// <summary>The <see cref="PendingEntry.CopyEnds"/> of the last COPY the upstream started reading data for; -1 for none.</summary>
    private long _copyInStartedAt = -1;

    private void OnCopyIn(PgSpanFrame frame)
    {
        if (!_pending.IsEmpty)
        {
            _copyInStartedAt = _pending.Head.CopyEnds;
        }

        Relay(frame);
    }

    /// <summary>A Sync the client sent while the upstream read the data of a COPY: it gets no answer.</summary>
    private bool IgnoredInCopy(in PendingEntry head) =>
        head.Kind == PendingKind.Sync && head.CopyEnds == _copyInStartedAt;
}
