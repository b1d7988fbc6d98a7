using Appliance.Wire.Backend;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// A named portal lives until its transaction ends (a WITH HOLD cursor longer, until closed).
/// Once PostgreSQL has dropped one, its name may be a SQL cursor's, declared in SQL or opened by a
/// function, running another query: masked by the dropped portal's plan, its rows went out as the
/// old columns' (probe DO-3). So a named portal bound in an earlier batch is trusted only while
/// every batch since has been answered and none of them ended a transaction; otherwise it is
/// described again and planned as a cursor is, computed columns masked whole. Inside a
/// transaction too, any statement run since may have closed the portal and opened another under
/// its name (a SQL CLOSE then DECLARE, a function's OPEN: probe IA1, the old plan masked the SSNs
/// of the new cursor): a named portal is trusted only while nothing ran since its Bind or its own
/// last Execute.
/// </summary>
internal sealed partial class PgSession
{
    /// <summary>Messages read so far that may have closed a portal or opened one (a Query, an Execute): client side.</summary>
    private long _codeRuns;

    /// <summary>
    /// Statements that may close a portal or open one under a name: CLOSE, DECLARE, a rollback,
    /// DISCARD, code run by DO, CALL, EXECUTE, FETCH or MOVE (a cursor's query), a function call
    /// (any parenthesis), and writes, which may fire triggers. Views calling functions are not
    /// seen, as the gateway reads no existing database objects.
    /// </summary>
    private static readonly System.Buffers.SearchValues<string> PortalWords = System.Buffers.SearchValues.Create(
        ["close", "declare", "rollback", "abort", "discard", "do", "call", "execute", "fetch", "move", "insert", "update", "delete", "merge", "copy", "truncate"],
        StringComparison.OrdinalIgnoreCase);

    internal static bool MayTouchPortals(ReadOnlySpan<byte> sql)
    {
        if (sql.IsEmpty || sql.Contains((byte)'('))
        {
            // Empty: a cursor executed by name, whose query the gateway does not know.
            return true;
        }

        var chars = sql.Length <= 1024 ? stackalloc char[sql.Length] : new char[sql.Length];
        System.Text.Encoding.Latin1.GetChars(sql, chars);
        for (var offset = 0; offset < chars.Length;)
        {
            var at = chars[offset..].IndexOfAny(PortalWords);
            if (at < 0)
            {
                return false;
            }

            var start = offset + at;
            var end = start;
            while (end < chars.Length && (char.IsAsciiLetterOrDigit(chars[end]) || chars[end] == '_'))
            {
                end++;
            }

            // A whole word only: "do" is not "document".
            if ((start == 0 || !(char.IsAsciiLetterOrDigit(chars[start - 1]) || chars[start - 1] == '_'))
                && PortalWords.Contains(new string(chars[start..end])))
            {
                return true;
            }

            offset = start + 1;
        }

        return false;
    }

    /// <summary>A Query or an executed statement that may have touched a portal: named portals are trusted no longer.</summary>
    private void NoteCodeRun(bool mayTouchPortals)
    {
        if (mayTouchPortals)
        {
            _codeRuns++;
        }
    }

    /// <summary>The last batch the upstream answered (its ReadyForQuery): set by the upstream thread.</summary>
    private long _answeredBatch = -1;

    /// <summary>The last batch whose ReadyForQuery said Idle: every portal of it and before was dropped then.</summary>
    private long _lastIdleBatch = -1;

    /// <summary>The last batch the upstream answered with an error (any): set by the upstream thread before <see cref="_answeredBatch"/>.</summary>
    private long _lastFailedBatch = -1;

    /// <summary>An error came since the last ReadyForQuery. Upstream thread.</summary>
    private bool _errorSinceReady;

    private void BatchAnswered(long batch, TransactionStatus status)
    {
        if (_errorSinceReady)
        {
            _errorSinceReady = false;
            Volatile.Write(ref _lastFailedBatch, batch);
        }

        Volatile.Write(ref _answeredBatch, batch);
        if (status == TransactionStatus.Idle)
        {
            Volatile.Write(ref _lastIdleBatch, batch);
        }
    }

    /// <summary>
    /// Before statements are classified (client side): what SQL-prepared statements earlier
    /// batches forgot is settled by their answers, and what this one forgets waits for its own.
    /// </summary>
    private void SettleSqlSession()
    {
        _sql.Batch = _batch;
        if (_sql.HasPendingRemovals)
        {
            var answered = Volatile.Read(ref _answeredBatch);
            _sql.Settle(answered, Volatile.Read(ref _lastFailedBatch));
        }
    }

    /// <summary>The portal a Describe or Execute names, as it is upstream now.</summary>
    private PortalState LivePortal(ReadOnlySpan<byte> name)
    {
        var portal = PortalFor(name);
        if (name.IsEmpty || (portal.TrustedThrough == _codeRuns && (portal.BoundInBatch >= _batch
            || (Volatile.Read(ref _answeredBatch) >= _batch - 1 && Volatile.Read(ref _lastIdleBatch) < portal.BoundInBatch))))
        {
            return portal;
        }

        // Counted as bound in an earlier batch still: what runs under the name may change the encoding (probe DO-2).
        portal = new PortalState(StatementInfo.Unknown, portal.Parameters)
        {
            BoundInBatch = _batch - 1,
            TrustedThrough = _codeRuns,
            BoundTo = portal.BoundTo ?? (ReferenceEquals(portal.Statement, StatementInfo.Unknown) ? null : portal.Statement),
            // A portal paused by a row limit goes on with the plan it started (probe AJ3: held again when resumed).
            Started = portal.Started,
            RecordedAs = portal.RecordedAs ?? (portal.Statement.Text.Length == 0 ? null
                : $"-- portal \"{System.Text.Encoding.UTF8.GetString(name)}\", bound to:\n{portal.Statement.MaskedSql ??= MaskSql(portal.Statement.Text)}"),
        };
        _portals.Set(name, portal);
        return portal;
    }
}
