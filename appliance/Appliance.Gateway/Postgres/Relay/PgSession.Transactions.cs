using Appliance.Gateway.Audit;
using Appliance.Wire.Backend;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// Records true to what PostgreSQL kept. Outside a transaction block, the statements of an
/// extended batch run in one implicit transaction that commits at Sync: a later error in the batch,
/// a ROLLBACK in it, or the client leaving before its Sync undoes the ones PostgreSQL had answered
/// with CommandComplete (probe IA3). Their records wait here, a batch's time, and are written
/// <c>ok</c> once the transaction commits, <c>rolled-back</c> when it does not. Inside a block the
/// client's own COMMIT or ROLLBACK is in the record, and a session that ends in one says so.
/// </summary>
internal sealed partial class PgSession
{
    /// <summary>A batch of more statements than this without a Sync has its earlier records written <c>ok</c> as they come.</summary>
    internal const int MaxUncommittedRecords = 10_000;

    private const string RolledBackByError = "rolled back: an error later in its extended batch ended the implicit transaction it ran in before the Sync could commit it";

    private const string RolledBackByRollback = "rolled back: a ROLLBACK later in its extended batch ended the implicit transaction it ran in";

    private const string RolledBackAtEnd = "rolled back: the session ended before a Sync committed the implicit transaction it ran in";

    /// <summary>Ok records of the implicit transaction going on (upstream side, under <see cref="_gate"/>).</summary>
    private readonly List<StatementRecord> _uncommitted = [];

    /// <summary>A BEGIN answered since the last ReadyForQuery: the batch's statements are in a block the client ends.</summary>
    private bool _blockInBatch;

    /// <summary>An Execute that succeeded: recorded now, or once its implicit transaction ends.</summary>
    private void RecordExecuted(StatementTrace trace)
    {
        var record = ToRecord(trace, StatementRecord.Ok);
        if (_lastStatus != TransactionStatus.Idle || _blockInBatch)
        {
            _services.Recorder.Record(record);
            return;
        }

        if (_uncommitted.Count == MaxUncommittedRecords)
        {
            CommitUncommitted();
        }

        _uncommitted.Add(record);
    }

    /// <summary>A CommandComplete's tag that starts or ends a transaction decides the records waiting.</summary>
    private void OnTransactionTag(ReadOnlySpan<byte> tag)
    {
        if (tag.SequenceEqual("BEGIN"u8) || tag.SequenceEqual("START TRANSACTION"u8))
        {
            // The statements before it in the batch now belong to the block (PostgreSQL folds
            // them in): the client's COMMIT or ROLLBACK, recorded too, decides them.
            CommitUncommitted();
            _blockInBatch = true;
        }
        else if (tag.SequenceEqual("COMMIT"u8))
        {
            CommitUncommitted();
            _blockInBatch = false;
        }
        else if (tag.SequenceEqual("ROLLBACK"u8))
        {
            RollBackUncommitted(RolledBackByRollback);
            _blockInBatch = false;
        }
    }

    /// <summary>An ErrorResponse: outside a block it ends the implicit transaction, and with it the work of the batch before it.</summary>
    private void OnTransactionError()
    {
        if (!_blockInBatch)
        {
            RollBackUncommitted(RolledBackByError);
        }
    }

    /// <summary>ReadyForQuery: whatever is still waiting was committed.</summary>
    private void OnTransactionReady()
    {
        CommitUncommitted();
        _blockInBatch = false;
    }

    /// <summary>
    /// The session ends: a batch whose Sync never went upstream was rolled back by PostgreSQL. One
    /// whose Sync went but was not answered most likely committed: it keeps <c>ok</c>.
    /// </summary>
    private void OnTransactionSessionEnd()
    {
        lock (_gate)
        {
            if (_pending.Contains(PendingKind.Sync))
            {
                CommitUncommitted();
            }
            else
            {
                RollBackUncommitted(RolledBackAtEnd);
            }
        }
    }

    /// <summary>The session's end reason as recorded: one that ends inside a transaction block says PostgreSQL rolled the block back.</summary>
    private string RecordedEndReason(string reason) => _lastStatus == TransactionStatus.Idle
        ? reason
        : $"{reason}; it ended inside a transaction block, which PostgreSQL rolled back";

    private void CommitUncommitted()
    {
        foreach (var record in _uncommitted)
        {
            _services.Recorder.Record(record);
        }

        _uncommitted.Clear();
    }

    private void RollBackUncommitted(string why)
    {
        foreach (var record in _uncommitted)
        {
            _services.Recorder.Record(record with { Outcome = StatementRecord.RolledBack, Error = why });
        }

        _uncommitted.Clear();
    }
}
