using System.Net.Sockets;
using Appliance.Gateway.Access;
using Appliance.Gateway.Audit;
using Appliance.Policy.Guardrails;
using Appliance.Wire;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// While a statement is held for review the session's client thread waits on the review, so
/// nothing reads the client: a CancelRequest reaches the idle upstream backend, where it does
/// nothing, and a client that went away is noticed only when the answer is written. Left alone,
/// an approval arriving after either would run a statement nobody waits for, and unrecorded.
/// So the hold ends early on both: the statement does not run, the review is withdrawn, and the
/// record says it was cancelled.
/// </summary>
internal sealed partial class PgSession
{
    /// <summary>How often a hold looks whether the client is still there.</summary>
    private static readonly TimeSpan ClientCheckInterval = TimeSpan.FromMilliseconds(200);

    private CancellationTokenSource? _hold;

    /// <summary>Why the current hold ended early (a cancel request or the client's disconnect), once it has.</summary>
    private volatile string? _endedHold;

    private string? EndedHold => _endedHold;

    /// <summary>Why nobody waits for the held statement any more: a cancel, a disconnect, or the session's end (its grant or token ended).</summary>
    private string? WhyHoldEnded => EndedHold ?? (IsStopping ? $"the session ended ({_stopReason})" : null);

    private CancellationTokenSource BeginHold()
    {
        var hold = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _endedHold = null;
        Volatile.Write(ref _hold, hold);
        return hold;
    }

    private void EndHold() => Volatile.Write(ref _hold, null);

    /// <summary>
    /// A CancelRequest for this session: true when it ended a hold (the statement is then not
    /// run); false when nothing is held and the request belongs to the upstream backend.
    /// </summary>
    public bool CancelHold() => EndHoldEarly("canceling statement due to user request");

    /// <summary>
    /// Whether a statement sent before the one held still runs upstream (a pipelined client's
    /// SELECT ahead of a held DELETE): a CancelRequest is then that statement's, as PostgreSQL
    /// would cancel what runs, not the hold (probe OB2: the hold ended and the SELECT ran on). When
    /// the lock cannot be had at once, it counts as running: the cancel goes upstream, where an
    /// idle backend ignores it, and a second one ends the hold.
    /// </summary>
    public bool RunsAheadOfHold()
    {
        if (Volatile.Read(ref _hold) is null)
        {
            return false;
        }

        if (!_gate.TryEnter(TimeSpan.FromMilliseconds(200)))
        {
            return true;
        }

        try
        {
            // Only a statement runs: the held one's own Parse and Bind, sent before a strict
            // connection's wait for the store, run nothing a cancel should reach.
            return _pending.FirstOf([PendingKind.Query, PendingKind.Execute]) is not null;
        }
        finally
        {
            _gate.Exit();
        }
    }

    private bool EndHoldEarly(string why)
    {
        var hold = Volatile.Read(ref _hold);
        if (hold is null)
        {
            return false;
        }

        _endedHold ??= why;
        try
        {
            hold.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The hold ended on its own meanwhile.
            return false;
        }

        return true;
    }

    /// <summary>Waits for the review's decision, ending the hold if the client disconnects meanwhile.</summary>
    private ReviewResult WaitWhileHeld(Task<ReviewResult> waiting, CancellationTokenSource hold)
    {
        var handle = ((IAsyncResult)waiting).AsyncWaitHandle;
        while (!handle.WaitOne(ClientCheckInterval))
        {
            if (!hold.IsCancellationRequested && ClientHasGone())
            {
                EndHoldEarly("the client disconnected");
            }
        }

        return waiting.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Before a hold inside an extended batch: has the upstream failed the batch already? After an
    /// error PostgreSQL skips everything up to Sync, so a statement held now would have approvers
    /// asked, and an approval spent, for nothing (probe CH-2: three reviews ended "executed" for one
    /// run). PostgreSQL answers only when flushed: the gateway asks it to, and waits for the answers
    /// to everything sent before, at most the hold's own length (a long statement ahead), after
    /// which the statement is held as before.
    /// </summary>
    private bool UpstreamFailedBatch(TimeSpan atMost)
    {
        // Failed already: what was sent after the failure gets no answers to wait for (probe DF-1:
        // a Bind sent in a later write kept the wait going for the whole hold).
        if (!WaitForAnswersAhead(atMost, FailedThisBatch))
        {
            return false;
        }

        lock (_gate)
        {
            return _upstreamFailedBatch;
        }
    }

    /// <summary>Under the lock: an error answered this batch (no earlier batch's Sync still unanswered, whose error it could be).</summary>
    private bool FailedThisBatch() => _upstreamFailedBatch && !_pending.Contains(PendingKind.Sync);

    /// <summary>
    /// The upstream failed the batch before this Parse or Execute: PostgreSQL skips it and the rest
    /// up to Sync, and so does the gateway (as after a refusal of its own, without an error of its own).
    /// </summary>
    private void SkipRestOfBatch(byte[]? parsedSql)
    {
        _approvedHold = null;
        _discarding = true;
        _refusedOwnExecute = false;
        _discardedSql = parsedSql;
    }

    /// <summary>Readable with nothing to read, or hung up with bytes still unread: the client closed its end (or the socket failed).</summary>
    private bool ClientHasGone()
    {
        try
        {
            // Bytes before the end (a Terminate, TLS's close_notify) do not keep a client that hung up here.
            return _clientSocket.Poll(0, SelectMode.SelectRead) && (_clientSocket.Available == 0 || Loop.PeerHangUp.HasHungUp(_clientSocket));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>
    /// The hold ended early: withdraw the review (if it was opened), or, when this statement had
    /// already spent an approval, end that review <c>abandoned</c>; record, and answer as PostgreSQL does.
    /// </summary>
    private Decision Abandon(
        GuardrailMatch match, string maskedSql, AccessRequest? review, AccessRequest? spent, string why, DateTimeOffset heldAt, double heldMs)
    {
        var withdrawn = false;
        var markedAbandoned = false;
        try
        {
            if (spent is not null)
            {
                markedAbandoned = _services.Reviews.MarkNotRunAsync(Person, spent.Id).GetAwaiter().GetResult();
            }
            else if (review is not null)
            {
                withdrawn = _services.Reviews.WithdrawAsync(Person, review.Id, why, bySystem: EndedHold is null).GetAwaiter().GetResult();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The statement does not run either way.
            Log.ReviewFailed(_services.Logger, Id, e);
        }

        var message = spent is not null
            ? $"{why}: the statement approved in review {spent.Id} (guardrail \"{match.RuleName}\") was not run; the approval is used up"
                + (markedAbandoned ? " and the review ends abandoned" : "")
            : review is null
                ? $"{why}: the statement held by guardrail \"{match.RuleName}\" was not run"
                : withdrawn
                    ? $"{why}: the statement held for review {review.Id} by guardrail \"{match.RuleName}\" was not run, and the review was withdrawn"
                    : $"{why}: the statement held for review {review.Id} by guardrail \"{match.RuleName}\" was not run, though its approval was spent";
        Log.HoldAbandoned(_services.Logger, Id, spent?.Id ?? review?.Id ?? "", why);
        RecordRefused(maskedSql, StatementRecord.Cancelled, message, match.RuleName, heldAt, heldMs);
        return new Decision(LocalMessages.Error(SqlStates.QueryCanceled, message), null);
    }
}
