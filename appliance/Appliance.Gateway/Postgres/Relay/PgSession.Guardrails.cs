using System.Text;
using Appliance.Gateway.Access;
using Appliance.Gateway.Audit;
using Appliance.Gateway.Events;
using Appliance.Policy.Configuration;
using Appliance.Policy.Guardrails;
using Appliance.Policy.Sql;
using Appliance.Wire;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>Guardrails on the client thread: every Query and every Parse is judged before it goes upstream.</summary>
internal sealed partial class PgSession
{
    /// <summary>system_error: the gateway could not do what the policy requires (strict audit).</summary>
    private const string SystemError = "58000";

    private GuardrailVerdict? _heldVerdict;

    /// <summary>The session's last guardrail event written (or failed): the next one waits for it.</summary>
    private Task _guardrailEventsWritten = Task.CompletedTask;

    private const string ColumnCopyRefusal =
        "COPY ... TO is refused on this connection: its results are masked, which the gateway can do only for a text or CSV "
        + "COPY ... TO STDOUT sent as a simple query of one statement, with options it reads (not ENCODING, nor a delimiter, quote or escape "
        + "written with a backslash); use that, or SELECT";

    private const string BinaryCopyRefusal =
        "binary COPY ... TO is refused on this connection: its results are masked, which a binary COPY stream cannot carry; use the text or CSV format";

    /// <param name="Copy">A COPY … TO STDOUT to run masked by column: the gateway learns its columns first.</param>
    /// <param name="Reviewed">The rule whose review allowed it, once (a prepared statement: one Execute; later ones are reviewed anew).</param>
    /// <param name="AlertMatches">The alert rules' matches: their events go out when the statement runs (a parsed one: at each Execute).</param>
    /// <param name="RecordedAs">The text its record keeps, when not the statement's own: an approved EXECUTE with what it ran.</param>
    private readonly record struct Decision(
        byte[]? Refusal, string? Alerts, CopyToStdout? Copy = null, GuardrailMatch? Reviewed = null, bool Skipped = false, string? ReviewId = null,
        GuardrailMatch[]? AlertMatches = null, string? RecordedAs = null)
    {
        public static readonly Decision Run = default;

        /// <summary>The upstream failed the extended batch already: it skips this message, and the gateway holds nothing for it.</summary>
        public static readonly Decision SkippedInFailedBatch = new(null, null, Skipped: true);
    }

    /// <summary>
    /// Block, review or alert, by the strongest rule that matched. A statement the engine could
    /// not read (unterminated quote, unknown prepared statement, a regular expression out of
    /// time) that a rule matched is blocked whatever the rule's action: the policy cannot be
    /// enforced on it, so it fails closed.
    /// </summary>
    /// <param name="reviewAtExecute">
    /// A Parse of a statement judged again at each Execute (StatementInfo.MayRunSqlPrepared): a
    /// review is held there, once, not here too (probe AT1: approved at its Parse, an EXECUTE pd
    /// was held again at its Execute, and never ran on the approval that the log said it ran on).
    /// </param>
    private Decision Decide(ReadOnlySpan<byte> sql, ReadOnlySpan<byte> statementName, bool isParse, bool reviewAtExecute = false)
    {
        SettleSqlSession();
        _sql.BeginJudging();
        Decision decision;
        try
        {
            decision = DecideSettled(sql, statementName, isParse, reviewAtExecute);
        }
        catch (MigrationRequired)
        {
            // Handled again on the session's own threads with the verdict kept: what it defined is
            // still its own there.
            _sql.CarryJudged();
            throw;
        }

        if (decision.Refusal is not null || decision.Skipped)
        {
            // Not run: what its PREPARE defined is not prepared upstream, and what its DEALLOCATE or
            // DISCARD forgot still is.
            _sql.ForgetJudged();
            _sql.Undo(_batch);
        }

        return decision;
    }

    private Decision DecideSettled(ReadOnlySpan<byte> sql, ReadOnlySpan<byte> statementName, bool isParse, bool reviewAtExecute)
    {
        if (_services.Recorder.IsFailing)
        {
            // What runs now would be recorded only in memory, lost if the gateway dies before the
            // store takes writes again (probe EL1: a full disk, then kill -9: statements with no
            // record anywhere). New logins are refused then too.
            RecordRefused(MaskSql(sql), StatementRecord.Blocked, AuditFailing, null);
            return new Decision(LocalMessages.Error(SystemError, AuditFailing), null);
        }

        if (EncodingRefusal(sql) is { } encodingRefusal)
        {
            return new Decision(encodingRefusal, null);
        }

        var runtime = _runtime;
        CopyToStdout? copy = null;
        if (runtime.Masks && CopyRefusal(sql, runtime, isParse, out copy) is { } copyMessage)
        {
            RecordRefused(MaskSql(sql), StatementRecord.Blocked, copyMessage, null);
            return new Decision(LocalMessages.Error(SqlStates.InsufficientPrivilege, copyMessage), null);
        }

        var decision = Judge(sql, statementName, isParse, runtime, reviewAtExecute);
        return copy is null || decision.Refusal is not null ? decision : decision with { Copy = copy };
    }

    private const string AuditFailing =
        "statement refused: the audit log cannot record statements right now (its store refuses writes); statements run again once it can";

    /// <summary>The flow check and the guardrails.</summary>
    private Decision Judge(ReadOnlySpan<byte> sql, ReadOnlySpan<byte> statementName, bool isParse, Policy.ConnectionRuntime runtime, bool reviewAtExecute)
    {
        // A statement naming no masked column may still use a whole row holding one in a filter (probe DZ2).
        var mayName = runtime.Masker.MayNameMaskedColumn(sql);
        if ((mayName || (runtime.Masker.HasColumnRules && _catalog.MayNameMaskedRelation(sql)))
            && runtime.Masker.FlowRefusal(Encoding.UTF8.GetString(sql), unknownIsRefused: true, _catalog, filtersOnly: !mayName) is { } flowMessage)
        {
            RecordRefused(MaskSql(sql), StatementRecord.Blocked, flowMessage, null);
            return new Decision(LocalMessages.Error(SqlStates.InsufficientPrivilege, flowMessage), null);
        }

        // A verdict kept from before a move off the event loop: the statement was judged once already.
        var verdict = _heldVerdict
            ?? (isParse ? runtime.Guardrails.EvaluateParse(statementName, sql, _sql) : runtime.Guardrails.Evaluate(sql, _sql));
        _heldVerdict = null;
        if (verdict.Outcome == GuardrailOutcome.None)
        {
            return Decision.Run;
        }

        var unreadable = verdict.Matches.FirstOrDefault(IsUnreadable);
        if (unreadable is not null)
        {
            // Every rule matches a statement nobody can read: name them all, the connection's own first,
            // rather than the first of them (the built-in one on role administration).
            var rules = string.Join(", ", verdict.Matches.Where(IsUnreadable).Select(m => m.RuleName).Distinct()
                .OrderBy(name => Appliance.Policy.Guardrails.BuiltInGuardrails.Names.Contains(name)));
            // An EXECUTE of a name never prepared (or whose PREPARE was refused) is no rule's match:
            // listing every guardrail read as a block by some policy (probe DA6).
            var message = unreadable.StatementOrigin == SqlStatementOrigin.Execute
                ? $"blocked: {Describe(unreadable)}; the gateway judges an SQL prepared statement at its PREPARE, so it refuses to run one it did not judge"
                : $"blocked: the gateway could not analyse the statement ({Describe(unreadable)}), so it refuses it; guardrails that may apply: {rules}";
            return Block(unreadable, sql, message, rules);
        }

        var deciding = verdict.Deciding!;
        if (verdict.Outcome == GuardrailOutcome.Review && reviewAtExecute)
        {
            return Decision.Run;
        }

        if (verdict.Outcome == GuardrailOutcome.Review && !OnThreads)
        {
            // Holding blocks; a loop serves other sessions. Keep the verdict and move to threads.
            _heldVerdict = verdict;
            throw new MigrationRequired();
        }

        return verdict.Outcome switch
        {
            GuardrailOutcome.Block => Block(deciding, sql, $"blocked by guardrail \"{deciding.RuleName}\": {deciding.Message}"),
            GuardrailOutcome.Review => Review(deciding, sql, inExtendedBatch: isParse),
            _ => Alert(verdict, raise: !isParse),
        };
    }

    private static bool IsUnreadable(GuardrailMatch match) =>
        match.Reason != GuardrailMatchReason.Matched || ReferenceEquals(match.StatementCommand, SqlKeywords.Unknown) || match.StatementCommand == SqlKeywords.Unknown;

    /// <param name="rules">The rules to name, when more than the match's own.</param>
    private Decision Block(GuardrailMatch match, ReadOnlySpan<byte> sql, string message, string? rules = null)
    {
        var masked = MaskSql(sql);
        // Naming several rules, the event carries the refusal's own words rather than the first rule's message.
        var eventMessage = rules is null ? null : message;
        rules ??= match.RuleName;
        RecordRefused(masked, StatementRecord.Blocked, message, rules);
        RaiseGuardrailEvent(EventTypes.GuardrailBlocked, match, "block", rules, eventMessage);
        Log.StatementBlocked(_services.Logger, Id, rules);
        return new Decision(LocalMessages.Error(SqlStates.InsufficientPrivilege, message, detail: $"Statement: {match.StatementCommand}"), null);
    }

    /// <param name="raise">
    /// Whether the events go out now: a Query runs now; a parsed statement runs at each of its
    /// Executes, each of which raises them (probe AL2: one event at the Parse, none per run, and
    /// the records of the runs named no rule).
    /// </param>
    private Decision Alert(GuardrailVerdict verdict, bool raise)
    {
        var rules = new List<string>();
        var matches = new List<GuardrailMatch>();
        foreach (var match in verdict.Matches)
        {
            if (match.Action == GuardrailAction.Alert && !rules.Contains(match.RuleName))
            {
                rules.Add(match.RuleName);
                matches.Add(match);
            }
        }

        if (raise)
        {
            RaiseAlerts(matches, seq: null);
        }

        return new Decision(null, string.Join(", ", rules), AlertMatches: [.. matches]);
    }

    /// <summary>
    /// The upstream answered a parsed statement's run: it ran, so its alerts go out, once (probe
    /// AT3: raised as the Execute went upstream, a run PostgreSQL skipped alerted too).
    /// </summary>
    private void RaiseAlertsOfRun(StatementTrace trace)
    {
        if (trace.AlertMatches is { } matches)
        {
            trace.AlertMatches = null;
            RaiseAlerts(matches, trace.Seq);
        }
    }

    /// <param name="seq">The record of the run that alerted, when known.</param>
    private void RaiseAlerts(IEnumerable<GuardrailMatch>? matches, long? seq)
    {
        foreach (var match in matches ?? [])
        {
            RaiseGuardrailEvent(EventTypes.GuardrailAlert, match, "alert", seq: seq);
        }
    }

    /// <summary>
    /// Holds the statement (and this client) while approvers decide, up to the rule's hold.
    /// What the client sent before it goes upstream first. Approvers read the masked text; the
    /// review's fingerprint of the exact text makes an approval good for exactly this statement.
    /// A client that cancels (CancelRequest, psql's Ctrl-C) or goes away while it waits abandons
    /// the statement as PostgreSQL would: it does not run, its review is withdrawn, and the
    /// record says so (PgSession.Holding.cs).
    /// </summary>
    /// <param name="inExtendedBatch">A Parse or Execute: what went before it in the batch may have failed upstream already.</param>
    private Decision Review(GuardrailMatch match, ReadOnlySpan<byte> sql, bool inExtendedBatch)
    {
        if (inExtendedBatch && _forwardedInBatch && UpstreamFailedBatch(match.Rule.Hold))
        {
            return Decision.SkippedInFailedBatch;
        }

        var masked = MaskSql(sql);
        var fingerprint = CommandReview.FingerprintOf(sql);
        if (match.StatementOrigin == Appliance.Policy.Sql.SqlStatementOrigin.Execute)
        {
            // "EXECUTE name" says nothing of what it runs: approvers read the prepared statement
            // too, and the approval is of both, so another session's same name runs nothing on it
            // (probe CC: approving an EXECUTE that did nothing ran another session's DELETE).
            // A statement a Parse made is shown whole, as parsed: the statement the rule matched may
            // be one inside it (a DO block's body), and the rest of it runs too (probe CH).
            var runs = TextOfProtocolStatementExecuted(sql) ?? match.StatementText;
            var prepared = MaskSql(Encoding.UTF8.GetBytes(runs));
            // On lines of its own, as written: flattened behind "--" its own line breaks were lost,
            // and a "--" in it hid the rest of what runs (probe CE).
            masked = $"{masked}\n-- runs the prepared statement:\n{prepared}";
            fingerprint = CommandReview.FingerprintOf($"{Encoding.UTF8.GetString(sql)}\n{runs}");
        }

        var held = new CommandReview(masked, fingerprint, match.RuleName, match.Message, Id, GrantId);
        var heldAt = _services.Time.GetUtcNow();
        var heldSince = System.Diagnostics.Stopwatch.GetTimestamp();
        double HeldMs() => System.Diagnostics.Stopwatch.GetElapsedTime(heldSince).TotalMilliseconds;
        Flush();

        // Judged and recorded: a wait for approvers does not keep other sessions' huge statements waiting too.
        _largeStatementTurn?.Dispose();
        Log.StatementHeld(_services.Logger, Id, match.RuleName, match.Rule.Hold);
        ReviewResult result;
        AccessRequest? opened = null;
        using var hold = BeginHold();
        try
        {
            var waiting = _services.Reviews
                .HoldAsync(Person, Connection, held, match.Rule.Hold, hold.Token, review =>
                {
                    opened = review;
                    SendNoticeInTurn(
                        $"statement held for review {review.Id} by guardrail \"{match.RuleName}\": {match.Message} Waiting up to {Appliance.Policy.Configuration.Duration.Format(match.Rule.Hold)} for an approver.",
                        $"/hoop approve {review.Id}, or POST /api/requests/{review.Id}/approve");
                });
            result = WaitWhileHeld(waiting, hold);

            // Cancelled, gone, or cut (the grant ended, the token was revoked): nobody waits for the statement.
            if (WhyHoldEnded is { } endedWhileHeld)
            {
                // Even an approval that landed meanwhile: nobody waits for the statement any more.
                return Abandon(match, masked, opened, result.Outcome == ReviewOutcome.Approved ? result.Review : null, endedWhileHeld, heldAt, HeldMs());
            }
        }
        catch (OperationCanceledException) when (WhyHoldEnded is { } ended)
        {
            return Abandon(match, masked, opened, null, ended, heldAt, HeldMs());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.ReviewFailed(_services.Logger, Id, e);
            var failed = $"held by guardrail \"{match.RuleName}\", but the review could not be opened, so the statement is refused";
            RecordRefused(masked, StatementRecord.Blocked, failed, match.RuleName);
            return new Decision(LocalMessages.Error(SqlStates.InsufficientPrivilege, failed), null);
        }
        finally
        {
            EndHold();
        }

        var review = result.Review;
        switch (result.Outcome)
        {
            case ReviewOutcome.Approved when ClientHasGone():
                // Approved just as the client left: nobody waits for the statement, so it does not run.
                return Abandon(match, masked, review, review, "the client disconnected", heldAt, HeldMs());
            case ReviewOutcome.Approved:
                _approvedHold = new HoldStart(heldAt, heldSince);
                // An approved EXECUTE is recorded with what it ran, as approvers read it (probe AL3:
                // the record of one that deleted every row said only "EXECUTE pd").
                return new Decision(null, match.RuleName, Reviewed: match, ReviewId: review.Id,
                    RecordedAs: match.StatementOrigin == Appliance.Policy.Sql.SqlStatementOrigin.Execute ? masked : null);
            case ReviewOutcome.Denied:
                var denied = review.DeniedBy is { } by
                    ? $"statement denied by {by}{(string.IsNullOrWhiteSpace(review.DenyReason) ? "" : ": " + PeopleText.OneLine(review.DenyReason))} (review {review.Id}, guardrail \"{match.RuleName}\")"
                    : $"review {review.Id} of guardrail \"{match.RuleName}\" ended without approval ({review.Status.ToString().ToLowerInvariant()}); the statement was not run";
                RecordRefused(masked, StatementRecord.Denied, denied, match.RuleName, heldAt, HeldMs());
                return new Decision(LocalMessages.Error(SqlStates.InsufficientPrivilege, denied), null);
            default:
                var pending =
                    $"statement held for review {review.Id} by guardrail \"{match.RuleName}\": {match.Message} " +
                    $"Once an approver approves it (/hoop approve {review.Id}, or POST /api/requests/{review.Id}/approve), the same statement will pass once: run it again then" +
                    // The error aborts the open transaction, where running it again fails with 25P02 (probe OC2).
                    (_lastStatus == Appliance.Wire.Backend.TransactionStatus.Idle ? "." : ", after this transaction, which the error aborts, is rolled back.");
                RecordRefused(masked, StatementRecord.ReviewPending, pending, match.RuleName, heldAt, HeldMs());
                return new Decision(LocalMessages.Error(SqlStates.InsufficientPrivilege, pending, hint: $"/hoop approve {review.Id}"), null);
        }
    }

    /// <summary>
    /// COPY … TO hands rows out as lines, not typed columns. Masking them needs the COPY's columns
    /// (column rules) and its layout: the detectors read each value as the client will, escapes
    /// resolved, since a delimiter or quote the client picks (<c>DELIMITER '-'</c>) escapes the
    /// separators of a card number on the wire. The gateway learns the columns by describing the
    /// COPY's query upstream first (PgSession.CopyOut.cs). It can do so only for a text or CSV
    /// COPY … TO STDOUT that is the whole of a simple Query sent between complete requests (not
    /// amid an extended batch before its Sync): that one is returned in <paramref name="copy"/>.
    /// Every other COPY … TO is refused wherever masking applies (fail closed).
    /// </summary>
    private string? CopyRefusal(ReadOnlySpan<byte> sql, Policy.ConnectionRuntime runtime, bool isParse, out CopyToStdout? copy)
    {
        copy = null;
        if (!ContainsWord(sql, "copy"u8))
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(sql);
        var classification = SqlClassifier.Classify(text);
        if (!classification.Statements.Any(s => s.Command == "COPY TO"))
        {
            return null;
        }

        var parsed = CopyToStdoutParser.Parse(text);
        if (parsed is { Format: CopyFormat.Binary })
        {
            return BinaryCopyRefusal;
        }

        if (parsed is null || isParse || _forwardedInBatch)
        {
            return ColumnCopyRefusal;
        }

        copy = parsed;
        return null;
    }

    private static bool ContainsWord(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerWord) => IndexOfWord(text, lowerWord, 0) >= 0;

    /// <summary>Where <paramref name="lowerWord"/> occurs in any case at or after <paramref name="start"/>, or -1.</summary>
    private static int IndexOfWord(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerWord, int start)
    {
        var first = lowerWord[0];
        var upperFirst = (byte)(first & ~0x20);
        var from = start < text.Length ? text[start..].IndexOfAny(first, upperFirst) : -1;
        for (var at = from < 0 ? -1 : start + from; at >= 0 && at + lowerWord.Length <= text.Length; at = NextAt(text, at, first, upperFirst))
        {
            if (Ascii.EqualsIgnoreCase(text.Slice(at, lowerWord.Length), lowerWord))
            {
                return at;
            }
        }

        return -1;
    }

    private static int NextAt(ReadOnlySpan<byte> text, int at, byte first, byte upperFirst)
    {
        var next = text[(at + 1)..].IndexOfAny(first, upperFirst);
        return next < 0 ? -1 : at + 1 + next;
    }

    private static string Describe(GuardrailMatch match) => match switch
    {
        { Reason: GuardrailMatchReason.RegexTimeout } => "a rule's regular expression ran out of time",
        // Said as what it is: "cannot be classified" read as the gateway's failure (probe TC5).
        { StatementOrigin: SqlStatementOrigin.Execute } =>
            "it executes a prepared statement the gateway did not see prepared in this session (none of that name was, or its PREPARE was refused)",
        _ => "it cannot be classified",
    };

    /// <summary>Fire and forget: the event is written by the store off this thread, after what the session recorded before it; a failure is logged.</summary>
    private void RaiseGuardrailEvent(string type, GuardrailMatch match, string action, string? rules = null, string? message = null, long? seq = null)
    {
        // A refused statement is recorded before its event, so its number is known; so is a
        // parsed statement's run. A Query's alert goes out as it is judged: none is given.
        var data = new GuardrailEventData(
            ConnectionName, Connection.Access.Channel, Person.Email, Id, rules ?? match.RuleName, action, message ?? match.Message,
            MaskSql(match.StatementText), action == "block" ? _seq : seq);
        // One after the other: written concurrently, a session's events raced for the chain and
        // reached the channel out of order (probe AW).
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var previous = Interlocked.Exchange(ref _guardrailEventsWritten, written.Task);
        _ = WriteGuardrailEventAsync(previous, written, type, data, _services.Time.GetUtcNow());
    }

    /// <param name="occurredAt">When the statement was judged: the flush below may take the recorder's batch window.</param>
    private async Task WriteGuardrailEventAsync(Task previous, TaskCompletionSource written, string type, GuardrailEventData data, DateTimeOffset occurredAt)
    {
        try
        {
            await previous;
            // The recorder writes the session's start and its earlier statements in batches; this
            // event is appended at once. Without the flush a replay showed the block before the
            // session had started.
            await _services.Recorder.FlushAsync(CancellationToken.None);
            await _services.GuardrailEvents.RecordAsync(type, data, occurredAt, CancellationToken.None);
        }
        catch (Exception e)
        {
            Log.GuardrailEventFailed(_services.Logger, Id, data.Rule, e);
        }
        finally
        {
            written.SetResult();
        }
    }

    /// <summary>
    /// <c>audit: strict</c>: the statement is in the audit log before it goes upstream. If the log
    /// cannot take it, the statement does not run.
    /// </summary>
    private byte[]? CommitIntent(StatementTrace trace)
    {
        if (Connection.Audit != AuditMode.Strict)
        {
            return null;
        }

        // Nothing is flushed upstream first: the statement's own Bind, staged ahead of its Execute,
        // would reach the server before the statement is on record, and its error be taken before
        // its Execute was queued to own it (probe UC1: the error went on the next statement, or was lost).
        // Waited for as a review hold is (PgSession.Holding.cs): while the store is slow or down,
        // a cancel request or the client's leaving ends the wait, and the statement does not run
        // once the store is back with nobody there (probe AP). The commit runs on the pool, as the
        // embedded store's busy wait would otherwise hold this thread past both.
        var hold = BeginHold();
        try
        {
            var record = ToRecord(trace, StatementRecord.Forwarded);
            var commit = Task.Run(() => _services.Recorder.CommitIntentAsync(record, hold.Token));
            var handle = ((IAsyncResult)commit).AsyncWaitHandle;
            while (!handle.WaitOne(ClientCheckInterval) && !hold.IsCancellationRequested)
            {
                if (ClientHasGone())
                {
                    EndHoldEarly("the client disconnected");
                }
            }

            if (WhyHoldEnded is { } why)
            {
                // A commit still under way may yet write the intent: the record below says it did not run.
                var message = $"{why}: the statement was not run (it waited for the audit log, and this connection's audit is strict)";
                trace.Error = message;
                Record(trace, StatementRecord.Cancelled);
                return LocalMessages.Error(SqlStates.QueryCanceled, message);
            }

            commit.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StrictAuditFailed(_services.Logger, Id, e);
            const string message = "the audit log could not record the statement, and this connection's audit is strict: the statement was not run";
            // Under the statement's own number: the sequence of a session has no gaps (probe AO).
            trace.Error = message;
            Record(trace, StatementRecord.Failed);
            return LocalMessages.Error(SystemError, message);
        }
        finally
        {
            EndHold();
            hold.Dispose();
        }
    }
}
