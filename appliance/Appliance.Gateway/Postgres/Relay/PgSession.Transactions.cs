using Appliance.Gateway.Audit;
using Appliance.Wire.Backend;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// Records true to what PostgreSQL kept. Outside a transaction block, the statements of an
/// extended batch run in one implicit transaction that commits at Sync: a later error in the batch,
/// a ROLLBACK in it, or the client leaving before its Sync undoes the ones PostgreSQL had answered
/// with CommandComplete (probe IA3). Their records wait here, a batch's time, and are written
/// <c>ok</c> once the transaction commits, <c>rolled-back</c> when it certainly did not. Only what is
/// certain is marked: once a batch runs a transaction-control statement (BEGIN, COMMIT, ROLLBACK,
/// SAVEPOINT, RELEASE, PREPARE TRANSACTION: the tags of <c>ROLLBACK TO</c> and <c>COMMIT AND
/// CHAIN</c> read as the plain ones, probe KA2) its records are written as PostgreSQL answered them
/// until the next ReadyForQuery. Inside a block the client's own COMMIT or ROLLBACK is in the record,
/// and a session that ends in one says so.
/// </summary>
internal sealed partial class PgSession
{
    /// <summary>A batch of more statements than this without a Sync has its earlier records written <c>ok</c> as they come.</summary>
    internal const int MaxUncommittedRecords = 10_000;

    private const string RolledBackByError = "rolled back: an error later in its extended batch ended the implicit transaction it ran in before the Sync could commit it";

    private const string RolledBackByRollback = "rolled back: a ROLLBACK later in its extended batch ended the implicit transaction it ran in";

    private const string RolledBackAtCommit = "rolled back: the commit of the implicit transaction it ran in failed at the Sync: ";

    private const string RolledBackAtEnd = "rolled back: the session ended before a Sync committed the implicit transaction it ran in";

    /// <summary>Ok records of the implicit transaction going on (upstream side, under <see cref="_gate"/>).</summary>
    private readonly List<StatementRecord> _uncommitted = [];

    /// <summary>
    /// The batch going on started outside a transaction block and has run no transaction-control
    /// statement: its transaction's fate is certain, so its records may wait for it.
    /// </summary>
    private bool _implicitBatch = true;

    /// <summary>A transaction-control statement ran since the last ReadyForQuery: whether a block is open is not known.</summary>
    private bool _controlSinceReady;

    /// <summary>An Execute that succeeded: recorded now, or once its implicit transaction ends.</summary>
    private void RecordExecuted(StatementTrace trace)
    {
        RaiseAlertsOfRun(trace);
        var record = ToRecord(trace, StatementRecord.Ok);
        if (!_implicitBatch)
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

    /// <summary>A CommandComplete's tag that starts or ends a transaction (or a savepoint) decides the records waiting.</summary>
    private void OnTransactionTag(ReadOnlySpan<byte> tag)
    {
        if (!IsTransactionControl(tag))
        {
            return;
        }

        // Outside a block a ROLLBACK is a plain one (ROLLBACK TO and AND CHAIN fail there): it undid the batch so far.
        if (_implicitBatch && tag.SequenceEqual("ROLLBACK"u8))
        {
            RollBackUncommitted(RolledBackByRollback);
        }
        else
        {
            CommitUncommitted();
        }

        _implicitBatch = false;
        _controlSinceReady = true;
    }

    private static bool IsTransactionControl(ReadOnlySpan<byte> tag) =>
        tag.SequenceEqual("BEGIN"u8) || tag.SequenceEqual("START TRANSACTION"u8) || tag.SequenceEqual("COMMIT"u8)
        || tag.SequenceEqual("ROLLBACK"u8) || tag.SequenceEqual("SAVEPOINT"u8) || tag.SequenceEqual("RELEASE"u8)
        || tag.StartsWith("PREPARE TRANSACTION"u8) || tag.StartsWith("COMMIT PREPARED"u8) || tag.StartsWith("ROLLBACK PREPARED"u8);

    /// <summary>An ErrorResponse: in an implicit transaction it ends it, and with it the work of the batch before it.</summary>
    private void OnTransactionError(string why)
    {
        if (_implicitBatch)
        {
            RollBackUncommitted(why);
        }
    }

    /// <summary>ReadyForQuery: whatever is still waiting was committed; the next batch starts in <paramref name="status"/>.</summary>
    private void OnTransactionReady(TransactionStatus status)
    {
        CommitUncommitted();
        _implicitBatch = status == TransactionStatus.Idle;
        _controlSinceReady = false;
    }

    /// <summary>
    /// The session ends: a batch of which nothing that commits went upstream (a Sync, a simple
    /// Query), or whose refused statement went first (its injected failure rolls the batch back,
    /// probe LB1), was rolled back by PostgreSQL. One whose Sync or Query went first most likely
    /// committed: it keeps <c>ok</c>.
    /// </summary>
    private void OnTransactionSessionEnd()
    {
        lock (_gate)
        {
            if (_pending.FirstOf([PendingKind.InjectedError, PendingKind.Sync, PendingKind.Query]) is PendingKind.Sync or PendingKind.Query)
            {
                CommitUncommitted();
            }
            else
            {
                RollBackUncommitted(RolledBackAtEnd);
            }
        }
    }

    /// <summary>The session's end reason as recorded: one that certainly ends inside a transaction block says PostgreSQL rolled the block back.</summary>
    private string RecordedEndReason(string reason) => _lastStatus == TransactionStatus.Idle || _controlSinceReady
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
