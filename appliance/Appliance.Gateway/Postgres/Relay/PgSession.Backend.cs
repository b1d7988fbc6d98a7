using System.Buffers.Binary;
using Appliance.Gateway.Audit;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Policy.Masking;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// The upstream thread: answers in, matched to what the client expects, masked, out to the
/// client in one write per chunk received.
/// </summary>
internal sealed partial class PgSession
{
    private TransactionStatus _lastStatus;

    /// <summary>The simple Query's current result: set by its RowDescription, cleared by CommandComplete.</summary>
    private ResultShapeInfo? _queryShape;

    private ResultMaskPlan? _queryPlan;

    /// <summary>The gateway replaced an answer with its own error: nothing more is relayed until ReadyForQuery.</summary>
    private bool _mute;

    private bool _copyMasking;

    private bool _upstreamFatal;

    /// <summary>Why the gateway itself ended the session on an upstream message, for the record.</summary>
    private string? _cutBecause;

    /// <summary>The client said Terminate: set on the client side, read on the upstream side.</summary>
    private volatile bool _clientTerminated;

    /// <summary>The client said Terminate right after statements not answered yet (a pipelining client's last write): they are relayed before the session ends.</summary>
    private volatile bool _answersOwedAtTerminate;

    private void RunBackend()
    {
        var reason = "upstream closed the connection";
        try
        {
            do
            {
                lock (_gate)
                {
                    if (_clientCut)
                    {
                        return;
                    }

                    ProcessUpstreamInput();
                    SendClient();
                    if (_fatalAtBoundary is { } fatal)
                    {
                        // Cut while this thread held the client: every message before is whole.
                        WriteToClient(fatal);
                        return;
                    }
                }

                if (_upstreamFatal)
                {
                    reason = _cutBecause ?? "upstream ended the session";
                    return;
                }
            }
            while (!_stopping.IsCancellationRequested && _upstreamIn.Fill(_upstream));

            UpstreamClosed();
        }
        catch (Exception e)
        {
            reason = UpstreamFault(e) ?? reason;
        }
        finally
        {
            Stop(EndReason(reason));
        }
    }

    /// <summary>Why the session ended when a side's stream ended: the client's Terminate and its going away come before what the streams saw.</summary>
    private string EndReason(string observed) =>
        _clientTerminated ? "client terminated the session" : _clientGone ? "client disconnected" : observed;

    private void UpstreamClosed()
    {
        if (!_stopping.IsCancellationRequested && !_clientTerminated)
        {
            SendFatal(SqlStates.ConnectionFailure, "the upstream server closed the connection unexpectedly");
        }
    }

    private string? UpstreamFault(Exception e) => Fault(e, upstream: true);

    private void ProcessUpstreamInput()
    {
        while (true)
        {
            var status = _upstreamIn.TryRead(_maxMessageLength, out var frame);
            if (status == PgFrameStatus.Incomplete)
            {
                break;
            }

            if (status == PgFrameStatus.TooLarge)
            {
                // Not the message's size: a statement can make it a masked value's digits
                // (lpad('x', 67200000 + ssn digits)), and the size was given out in clear (probe DZ1).
                throw new PgProtocolException(
                    $"A result message exceeds the gateway's limit of {_maxMessageLength} bytes (APPLIANCE_PG_MAX_MESSAGE); the session is closed.",
                    SqlStates.ProgramLimitExceeded);
            }

            if (!OnThreads && LargeStatementGate.IsLarge(frame.Length) && frame.Type == (byte)BackendMessageType.DataRow && _runtime.Masks)
            {
                // Masking a row of many megabytes takes a core for a while: not on a loop other
                // sessions share, which stalled them all for the row's time (probe AE). The row
                // stays at the head of the buffer, for the upstream thread.
                throw new MigrationRequired();
            }

            DrainLocal();
            OnUpstreamMessage(frame);
            _upstreamIn.Consume(frame.TotalLength);
            if (_upstreamFatal)
            {
                // Nothing follows a FATAL: what the upstream sent after it is not the client's to see.
                return;
            }
        }

        DrainLocal();
    }

    private void OnUpstreamMessage(PgSpanFrame frame)
    {
        switch ((BackendMessageType)frame.Type)
        {
            case BackendMessageType.DataRow:
                OnDataRow(frame);
                break;
            case BackendMessageType.ParseComplete or BackendMessageType.CloseComplete or BackendMessageType.ParameterDescription
                or BackendMessageType.RowDescription or BackendMessageType.NoData or BackendMessageType.ErrorResponse
                or BackendMessageType.ReadyForQuery when HeadIs(PendingKind.CopyProbe):
                OnCopyProbeAnswer(frame);
                break;
            case BackendMessageType.CommandComplete:
                OnCommandComplete(frame);
                break;
            case BackendMessageType.RowDescription:
                OnRowDescription(frame);
                break;
            case BackendMessageType.ReadyForQuery:
                OnReadyForQuery(frame);
                break;
            case BackendMessageType.ParseComplete or BackendMessageType.BindComplete or BackendMessageType.CloseComplete:
                Relay(frame, Complete());
                break;
            case BackendMessageType.ParameterDescription:
                Relay(frame, !_pending.IsEmpty && _pending.Head.Swallow);
                break;
            case BackendMessageType.NoData:
                OnNoData(frame);
                break;
            case BackendMessageType.EmptyQueryResponse:
                if (HeadIs(PendingKind.Execute))
                {
                    _pending.Dequeue();
                }

                Relay(frame);
                break;
            case BackendMessageType.PortalSuspended:
                OnPortalSuspended(frame);
                break;
            case BackendMessageType.ErrorResponse:
                OnError(frame);
                break;
            case BackendMessageType.CopyOutResponse:
                OnCopyOut(frame);
                break;
            case BackendMessageType.CopyData:
                OnCopyData(frame);
                break;
            case BackendMessageType.CopyDone:
                EndCopy();
                Relay(frame);
                break;
            case BackendMessageType.NotificationResponse:
                OnNotification(frame);
                break;
            case BackendMessageType.ParameterStatus:
                OnParameterStatus(frame);
                break;
            case BackendMessageType.CopyInResponse:
                OnCopyIn(frame);
                break;
            case BackendMessageType.NoticeResponse:
                Relay(frame);
                break;
            default:
                throw new PgProtocolException($"The upstream sent an unexpected message of type {PgProtocolException.DescribeType(frame.Type)}.");
        }
    }

    /// <summary>
    /// A parameter the server reports. A client that switches to an encoding the gateway cannot
    /// read (SET client_encoding, set_config), or becomes a superuser (SET ROLE to one, Superusers),
    /// is cut before its next statement: the FATAL instead of the report, and nothing after it.
    /// </summary>
    private void OnParameterStatus(PgSpanFrame frame)
    {
        var parameter = ParameterStatusMessage.Parse(frame.Body);
        if (ClientEncodings.IsClientEncoding(parameter.Name))
        {
            _clientEncoding = System.Text.Encoding.ASCII.GetString(parameter.Value);
        }

        var encoding = ClientEncodings.IsClientEncoding(parameter.Name);
        var refusal = encoding
            ? ClientEncodings.Refusal(parameter.Value)
            : Superusers.Refusal(parameter.Name, parameter.Value, Connection.Upstream);
        if (refusal is not null)
        {
            Log.SessionCut(_services.Logger, Id, encoding ? "unsupported client_encoding" : "became a superuser");
            // The same code as the refusal at login says (probe FA4): a privilege, not a missing feature.
            _clientOut.Write(LocalMessages.Fatal(encoding ? SqlStates.FeatureNotSupported : SqlStates.InsufficientPrivilege, refusal));
            // The record says the gateway cut it, and why: not a server that went away (probe DE-2).
            _cutBecause = $"cut by the gateway: {refusal}";
            _upstreamFatal = true;
            return;
        }

        if (parameter.Name.SequenceEqual("application_name"u8))
        {
            // Recorded as the client is shown it (probe AL1: the client read ****, the record a value in clear).
            NoteApplication(_runtime.Masks ? SideChannels.MaskedText(parameter.Value, _runtime.Masker, WithholdValues(frame)) : parameter.Value);
        }

        Relay(frame);
    }

    private void OnRowDescription(PgSpanFrame frame)
    {
        if (_pending.IsEmpty)
        {
            Relay(frame);
            return;
        }

        ref var head = ref _pending.Head;
        switch (head.Kind)
        {
            case PendingKind.DescribeStatement:
                _pending.Dequeue();
                Relay(frame);
                break;
            case PendingKind.DescribePortal:
                var portal = head.Portal!;
                var swallow = head.Swallow;
                var masker = _runtime.Masker;
                (portal.Shape, portal.Plan) = ShapeAndPlan(masker, frame.Body, portal.Statement.ResultText);
                RememberResult(portal, masker);
                _pending.Dequeue();
                NoticeWithheld(portal.Plan, portal.Statement.FetchesCursor);
                Relay(frame, swallow);
                break;
            case PendingKind.Query:
                (_queryShape, _queryPlan) = ShapeAndPlan(_runtime.Masker, frame.Body, head.QueryText);
                head.Trace!.Shape ??= _queryShape;
                NoticeWithheld(_queryPlan, fetchesCursor: false, head.Trace);
                Relay(frame);
                break;
            default:
                Relay(frame);
                break;
        }
    }

    private void OnNoData(PgSpanFrame frame)
    {
        var swallow = false;
        if (HeadIs(PendingKind.DescribePortal) || HeadIs(PendingKind.DescribeStatement))
        {
            ref var head = ref _pending.Head;
            swallow = head.Swallow;
            if (head.Portal is { } portal)
            {
                portal.Shape = null;
                portal.Plan = ResultMaskPlan.Unmasked;
                RememberResult(portal, _runtime.Masker);
            }

            _pending.Dequeue();
        }

        Relay(frame, swallow);
    }

    private void OnDataRow(PgSpanFrame frame)
    {
        ResultShapeInfo? shape = null;
        ResultMaskPlan? plan = null;
        StatementTrace? trace = null;
        if (HeadIs(PendingKind.Execute))
        {
            ref var head = ref _pending.Head;
            shape = head.Portal!.Shape;
            plan = head.Portal.Plan;
            trace = head.Trace;
        }
        else if (HeadIs(PendingKind.Query))
        {
            shape = _queryShape;
            plan = _queryPlan;
            trace = _pending.Head.Trace;
        }

        var start = _clientOut.Length;
        if (_runtime.Masks)
        {
            MaskRow(frame, shape, plan);
        }
        else
        {
            Relay(frame);
        }

        if (trace is not null)
        {
            trace.Shape ??= shape;
            trace.RowsRelayed++;
            // The record names the first result's columns: a later statement's rows of a
            // multi-statement Query would sit under them (probe CD1), so only the first's are sampled.
            if (trace.WantsSample && ReferenceEquals(trace.Shape, shape) && _clientOut.Length > start)
            {
                Sample(trace, shape, _clientOut.WrittenSpan[start..]);
            }
        }
    }

    private void OnCommandComplete(PgSpanFrame frame)
    {
        var complete = CommandCompleteMessage.Parse(frame.Body);
        OnTransactionTag(complete.Tag);
        if (HeadIs(PendingKind.Execute))
        {
            var trace = _pending.Head.Trace!;
            trace.Shape ??= _pending.Head.Portal!.Shape;
            trace.AddCompletion(System.Text.Encoding.UTF8.GetString(complete.Tag), complete.TryGetRowCount(out var rows) ? rows : null);
            _executedSinceReady.Add(_pending.Head.Portal!.Statement.ResultText);
            _pending.Dequeue();
            RecordExecuted(trace);
        }
        else if (HeadIs(PendingKind.Query))
        {
            OnDeclareAnswered(complete.Tag, _pending.Head.Declares);
            _pending.Head.Trace!.AddCompletion(System.Text.Encoding.UTF8.GetString(complete.Tag), complete.TryGetRowCount(out var rows) ? rows : null);
            _queryShape = null;
            _queryPlan = null;
        }

        Relay(frame);
    }

    private void OnPortalSuspended(PgSpanFrame frame)
    {
        if (HeadIs(PendingKind.Execute))
        {
            var trace = _pending.Head.Trace!;
            trace.AddCompletion("suspended", null);
            _executedSinceReady.Add(_pending.Head.Portal!.Statement.ResultText);
            _pending.Dequeue();
            RecordExecuted(trace);
        }

        Relay(frame);
    }

    /// <summary>An error answered a message of the extended batch now going: the upstream skips the rest of it up to Sync. Read by a hold (PgSession.Holding.cs).</summary>
    private bool _upstreamFailedBatch;

    /// <summary>
    /// An upstream error. In a simple Query the Query goes on to its ReadyForQuery; in an
    /// extended batch the upstream now skips everything until Sync, and so do the expected
    /// answers. The error the upstream gave for an Execute the gateway injected is replaced
    /// with the refusal it stands for.
    /// </summary>
    private void OnError(PgSpanFrame frame)
    {
        _errorSinceReady = true;
        // Masked before anything is dequeued: what may be withheld depends on the statement it answers.
        var sanitized = Sanitized(frame);
        // An error answering the Sync is the implicit transaction's commit failing (a deferred
        // constraint): said so, with the error, on the records it undid (probe VB2).
        OnTransactionError(HeadIs(PendingKind.Sync) && !_pending.Head.AnswersQuery ? RolledBackAtCommit + DescribeError(frame, sanitized) : RolledBackByError);
        if (LocalMessages.IsFatal(frame.Body))
        {
            _upstreamFatal = true;

            // Why, as the client was told (masked as it was): an idle timeout, an administrator's
            // pg_terminate_backend, a shutdown (probe DX6: the record said only that it ended).
            _cutBecause ??= "upstream ended the session: " + Appliance.Logging.GatewayCredentials.Cut(_runtime.CutSecret(DescribeError(frame, sanitized)));
        }

        if (_pending.IsEmpty)
        {
            RelayError(frame, sanitized);
            return;
        }

        ref var head = ref _pending.Head;
        switch (head.Kind)
        {
            case PendingKind.InjectedError:
                _upstreamFailedBatch = true;
                if (!_mute)
                {
                    _clientOut.Write(head.Local);
                }

                _pending.Dequeue();
                if (!(HeadIs(PendingKind.Sync) && _pending.Head.AnswersQuery))
                {
                    // An extended stand-in failed the batch; a refused Query's stand-in is followed by its own ReadyForQuery.
                    SkipToSync(failedWith: null);
                }

                return;
            case PendingKind.Query:
                if (AbortedByProbe(head, frame))
                {
                    sanitized = head.Probe!.Error;
                }

                head.Trace!.Error ??= DescribeError(frame, sanitized);
                RelayError(frame, sanitized);
                return;
            case PendingKind.Sync:
                // A failure at the implicit commit: ReadyForQuery follows.
                RelayError(frame, sanitized);
                return;
            case PendingKind.Execute:
                _upstreamFailedBatch = true;
                var trace = head.Trace!;
                var failedBatch = head.Batch;
                trace.Error = DescribeError(frame, sanitized);
                _pending.Dequeue();
                RaiseAlertsOfRun(trace);
                Record(trace, StatementRecord.Failed);
                RelayError(frame, sanitized);
                SkipToSync(failedWith: null);
                MarkBatchFailed(failedBatch, failedWith: null);
                return;
            default:
                // A Parse, Bind or Describe failed: the Execute it prepared is the statement that failed.
                _upstreamFailedBatch = true;
                if (head.Statement is { } refused)
                {
                    refused.NameTaken = head.Kind == PendingKind.Parse && ErrorOrNoticeMessage.Parse(frame.Body).SqlState.SequenceEqual("42P05"u8);
                    refused.ParseFailed = true;
                }

                var batch = head.Batch;
                var failedWith = DescribeError(frame, sanitized);
                _pending.Dequeue();
                RelayError(frame, sanitized);
                MarkBatchFailed(batch, SkipToSync(failedWith) ? null : failedWith);
                return;
        }
    }

    private void OnReadyForQuery(PgSpanFrame frame)
    {
        var status = ReadyForQueryMessage.Parse(frame.Body).Status;
        _upstreamFailedBatch = false;
        ForgetNoticeUnlessFetching();
        OnTransactionReady(status);
        while (!_pending.IsEmpty && _pending.Head.Kind is not (PendingKind.Sync or PendingKind.Query or PendingKind.Local or PendingKind.LocalReady))
        {
            DequeueUnanswered(failedWith: null);
        }

        if (HeadIs(PendingKind.Query))
        {
            var trace = _pending.Head.Trace!;
            BatchAnswered(_pending.Head.Batch, status);
            _pending.Dequeue();
            Record(trace, trace.Outcome ?? (trace.Error is null ? StatementRecord.Ok : StatementRecord.Failed));
        }
        else if (HeadIs(PendingKind.Sync))
        {
            BatchAnswered(_pending.Head.Batch, status);
            _pending.Dequeue();
        }

        _lastStatus = status;
        _executedSinceReady.Clear();
        _mute = false;
        EndCopy();
        _queryShape = null;
        _queryPlan = null;
        Relay(frame);
    }

    /// <summary>
    /// A NOTIFY payload is whatever a statement put in it, and the statement may be another
    /// session's (the same person listening in one session and notifying from another): on a
    /// connection with masked columns every payload is withheld, elsewhere the detectors mask it.
    /// Clients know sessions by the pids the gateway gave them: a notification from this session
    /// or another one through this gateway names that pid, not the upstream backend's.
    /// </summary>
    private void OnNotification(PgSpanFrame frame)
    {
        if (_mute)
        {
            return;
        }

        var notification = NotificationResponseMessage.Parse(frame.Body);
        var message = frame.Message;
        var rewritten = new System.Buffers.ArrayBufferWriter<byte>();
        if (_runtime.Masks && SideChannels.TryRewrite(frame.Type, frame.Body, _runtime.Masker, _runtime.Masker.HasColumnRules, rewritten))
        {
            message = rewritten.WrittenSpan;
        }

        var span = _clientOut.GetSpan(message.Length);
        message.CopyTo(span);
        var sender = notification.ProcessId == _upstreamConnection.ProcessId
            ? ProcessId
            : _services.Registry.ClientProcessIdOf(Upstream, notification.ProcessId);
        if (sender is { } pid)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[PgLimits.MessageHeaderLength..], pid);
        }

        _clientOut.Advance(message.Length);
    }

    /// <summary>
    /// After an error in an extended batch the upstream ignores everything until Sync: those
    /// entries get no answer. Their statements are still recorded (every Execute is): the first
    /// as failed with <paramref name="failedWith"/> when its Parse or Bind is what failed, the
    /// others as skipped.
    /// </summary>
    /// <returns>Whether a statement took <paramref name="failedWith"/>.</returns>
    private bool SkipToSync(string? failedWith)
    {
        var taken = false;
        while (!_pending.IsEmpty && !(_pending.Head.Kind is PendingKind.Sync && !_pending.Head.AnswersQuery)
            && _pending.Head.Kind is not (PendingKind.Local or PendingKind.LocalReady))
        {
            if (DequeueUnanswered(failedWith))
            {
                taken |= failedWith is not null;
                failedWith = null;
            }
        }

        return taken;
    }

    private const string NotRunInBatch = "not run: an earlier message of its batch failed, and PostgreSQL skips the rest of the batch up to Sync";

    /// <summary>
    /// Takes off an entry the upstream will not answer; true when it held a statement, which is
    /// recorded as failed with <paramref name="failedWith"/> or, without one, as skipped.
    /// </summary>
    private bool DequeueUnanswered(string? failedWith)
    {
        ref var head = ref _pending.Head;
        var trace = head.Kind is PendingKind.Execute or PendingKind.Query ? head.Trace : null;
        if (head.Statement is { } skipped)
        {
            // A Parse the upstream skipped made no statement there.
            skipped.ParseFailed = true;
        }

        _pending.Dequeue();
        if (trace is null)
        {
            return false;
        }

        trace.Error ??= failedWith ?? NotRunInBatch;
        if (trace.SpentReview is { } review)
        {
            // Its approval went on a run that never happened: the review must not say "executed"
            // (probe DF-4). The approval stays used up, as for a hold abandoned after approval.
            trace.Error += $"; the approval of review {review} is used up and the review ends abandoned";
            _ = MarkNotRunAsync(review);
        }

        Record(trace, failedWith is null ? StatementRecord.Skipped : StatementRecord.Failed);
        return true;
    }

    private async Task MarkNotRunAsync(string review)
    {
        try
        {
            await _services.Reviews.MarkNotRunAsync(Person, review).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.ReviewFailed(_services.Logger, Id, e);
        }
    }

    /// <summary>
    /// Answers the gateway gives itself, once everything ahead of them has been answered; and
    /// Syncs the upstream ignored while it read COPY data, which get no answer.
    /// </summary>
    private void DrainLocal()
    {
        while (!_pending.IsEmpty)
        {
            ref var head = ref _pending.Head;
            if (head.Kind == PendingKind.Local)
            {
                _clientOut.Write(head.Local);
            }
            else if (head.Kind == PendingKind.LocalReady)
            {
                BackendWriter.WriteReadyForQuery(_clientOut, _lastStatus);
            }
            else if (!IgnoredInCopy(head))
            {
                return;
            }

            _pending.Dequeue();
        }
    }

    /// <summary>Takes the head off for a one-message answer; whether that answer is to be swallowed.</summary>
    private bool Complete()
    {
        if (_pending.IsEmpty)
        {
            return false;
        }

        var swallow = _pending.Head.Swallow;
        _pending.Dequeue();
        return swallow;
    }

    private bool HeadIs(PendingKind kind) => !_pending.IsEmpty && _pending.Head.Kind == kind;

    private void Relay(PgSpanFrame frame, bool swallow = false)
    {
        if (swallow || _mute)
        {
            return;
        }

        if (IsSideChannel(frame.BackendType) && _runtime.Masks
            && SideChannels.TryRewrite(frame.Type, frame.Body, _runtime.Masker, WithholdValues(frame), _clientOut))
        {
            return;
        }

        _clientOut.Write(frame.Message);
    }

    private static bool IsSideChannel(BackendMessageType type) =>
        type is BackendMessageType.ErrorResponse or BackendMessageType.NoticeResponse or BackendMessageType.ParameterStatus;

    /// <summary>
    /// Whether the statement being answered may carry a masked column (a rare path: errors,
    /// notices, reports). When no statement is being answered (a report or error at Sync, after
    /// the statement that caused it) it cannot be told, so on a connection with masked columns
    /// the answer is yes.
    /// </summary>
    private bool WithholdValues(PgSpanFrame frame)
    {
        var masker = _runtime.Masker;
        if (!masker.HasColumnRules)
        {
            return false;
        }

        if (_holdsCursors)
        {
            return true;
        }

        var text = _pending.IsEmpty ? null : _pending.Head.Kind switch
        {
            PendingKind.Query or PendingKind.Parse => _pending.Head.QueryText,
            PendingKind.Execute or PendingKind.DescribePortal or PendingKind.Bind => _pending.Head.Portal?.Statement.ResultText,
            PendingKind.CopyProbe => _pending.Head.Probe?.QueryText,
            _ => null,
        };
        if (text is { Length: > 0 })
        {
            return MayCarryMaskedValues(text, frame);
        }

        // PostgreSQL reports the settings a batch changed just before its ReadyForQuery, when
        // only the Sync is waiting: they are of the batch's statements' doing. Withheld for want
        // of them, pgjdbc's own SET application_name reached it as **** (probe AL1).
        if (frame.BackendType == BackendMessageType.ParameterStatus && HeadIs(PendingKind.Sync) && _executedSinceReady.Count > 0)
        {
            foreach (var executed in _executedSinceReady)
            {
                if (executed.Length == 0 || MayCarryMaskedValues(executed, frame))
                {
                    return true;
                }
            }

            return false;
        }

        return true;
    }

    private bool MayCarryMaskedValues(byte[] text, PgSpanFrame frame)
    {
        var masker = _runtime.Masker;
        var statement = System.Text.Encoding.UTF8.GetString(text);
        return masker.MentionsMaskedColumn(statement)
            || (!QuotesOnlyTheStatement(frame) && masker.MayQuoteMaskedValues(statement, _catalog));
    }

    /// <summary>
    /// What the extended batch going on has executed (ResultText, empty for a FETCH), for the
    /// settings reported at its end (<see cref="WithholdValues"/>); emptied at each ReadyForQuery.
    /// </summary>
    private readonly List<byte[]> _executedSinceReady = [];

    /// <summary>
    /// Class 42 (a syntax error, an undefined column or table, a privilege refused) quotes the
    /// statement's own words, never a row: "column \"idd\" does not exist" keeps its name.
    /// </summary>
    private static bool QuotesOnlyTheStatement(PgSpanFrame frame) =>
        frame.BackendType is BackendMessageType.ErrorResponse or BackendMessageType.NoticeResponse
        && ErrorOrNoticeMessage.Parse(frame.Body).SqlState.StartsWith("42"u8);

    /// <summary>An upstream error or notice as it may leave; null when it may leave as it is.</summary>
    private byte[]? Sanitized(PgSpanFrame frame)
    {
        if (!_runtime.Masks)
        {
            return null;
        }

        var output = new System.Buffers.ArrayBufferWriter<byte>(frame.Message.Length + 16);
        return SideChannels.TryRewrite(frame.Type, frame.Body, _runtime.Masker, WithholdValues(frame), output) ? output.WrittenSpan.ToArray() : null;
    }

    private void RelayError(PgSpanFrame frame, byte[]? sanitized)
    {
        if (!_mute)
        {
            _clientOut.Write(sanitized is null ? frame.Message : sanitized);
        }
    }

    /// <summary>The error as the audit record keeps it: masked like what the client sees.</summary>
    private static string DescribeError(PgSpanFrame frame, byte[]? sanitized) =>
        Describe(ErrorOrNoticeMessage.Parse(sanitized is null ? frame.Body : sanitized.AsSpan(PgLimits.MessageHeaderLength)));

    private static string Describe(ErrorOrNoticeMessage error) =>
        $"{System.Text.Encoding.ASCII.GetString(error.SqlState)}: {System.Text.Encoding.UTF8.GetString(error.Message)}";
}
