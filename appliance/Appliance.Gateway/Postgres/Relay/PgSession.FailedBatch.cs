using Appliance.Wire.Framing;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// An extended batch the upstream already failed. After an error PostgreSQL skips every message
/// up to Sync; a client that writes message by message (one write per Parse, Bind, Execute) has
/// its Bind and Execute read by the gateway only after the upstream's error came back. They were
/// then judged against a statement whose Parse had failed: recorded with no text as skipped, or,
/// for a named statement, blocked as one no Parse made, neither what happened (probe FC1). So
/// the gateway drops the rest of such a batch as the upstream does, and records the statement
/// whose Parse or Bind failed with that error, the others as skipped.
/// </summary>
internal sealed partial class PgSession
{
    /// <summary>The last batch the upstream failed (written by the upstream side); -1 for none.</summary>
    private long _failedBatch = -1;

    /// <summary>The error of the failed Parse or Bind no statement took yet, for the batch's next Execute.</summary>
    private string? _failedBatchError;

    /// <summary>Discarding a batch the upstream failed (not one the gateway refused). Client side.</summary>
    private bool _discardForUpstream;

    /// <summary>
    /// The texts of the Parses dropped with such a batch, by statement name: a later Bind binds
    /// one of them, not the statement the name held before (probe GB2: the skipped DELETE was
    /// recorded as a second copy of the failed SELECT, a named one with no text).
    /// </summary>
    private NameTable<byte[]>? _discardedParses;

    /// <summary>The upstream's side: <paramref name="batch"/> failed; <paramref name="failedWith"/> for its next statement, if none took it.</summary>
    private void MarkBatchFailed(long batch, string? failedWith)
    {
        Volatile.Write(ref _failedBatchError, failedWith);
        Volatile.Write(ref _failedBatch, batch);
    }

    /// <summary>The client's side: the batch now read failed upstream, so what is left of it up to Sync is dropped.</summary>
    private bool UpstreamFailedThisBatch()
    {
        if (!_forwardedInBatch || Volatile.Read(ref _failedBatch) != _batch)
        {
            return false;
        }

        _discarding = true;
        _discardForUpstream = true;
        _discardedSql = null;
        _discardedParses = null;
        _refusedOwnExecute = false;
        return true;
    }

    /// <summary>A Parse dropped with a failed batch: its text, for the Execute that follows it.</summary>
    private void NoteDiscardedParseName(ReadOnlySpan<byte> name, byte[] text)
    {
        if (_discardForUpstream)
        {
            (_discardedParses ??= new()).Set(name, text);
        }
    }

    /// <summary>A Bind dropped with a failed batch: the text of the statement it binds, for the Execute's record.</summary>
    private bool NoteDiscardedBind(PgSpanFrame frame)
    {
        if (_discardForUpstream)
        {
            var bind = Appliance.Wire.Frontend.BindMessage.Parse(frame.Body);
            _discardedSql = _discardedParses?.Find(bind.Statement)
                ?? _statements.Find(bind.Statement)?.Text ?? [];
        }

        return true;
    }

    /// <summary>
    /// A simple Query sent inside an extended batch that failed: PostgreSQL ignores it until Sync,
    /// as every message. Counted as answered, it left the gateway one answer behind, masking each
    /// later result by the plan of the statement before it (probe HC1, high); it is recorded skipped.
    /// </summary>
    private bool RecordDiscardedQuery(PgSpanFrame frame)
    {
        RecordRefused(MaskSql(Appliance.Wire.Frontend.QueryMessage.Parse(frame.Body).Sql), Audit.StatementRecord.Skipped, NotRunInBatch, null);
        return true;
    }

    /// <summary>The failed Parse's or Bind's error, once: the first statement dropped with the batch is the one that failed.</summary>
    private string? TakeUpstreamFailure() =>
        _discardForUpstream ? Interlocked.Exchange(ref _failedBatchError, null) : null;
}
