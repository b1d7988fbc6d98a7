using Appliance.Wire;
using Appliance.Wire.Copy;
using Appliance.Wire.Framing;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>The client thread: client messages in, judged, forwarded upstream or answered here.</summary>
internal sealed partial class PgSession
{
    private readonly List<PendingEntry> _staged = [];
    private readonly NameTable<StatementInfo> _statements = new();
    private readonly NameTable<PortalState> _portals = new();

    /// <summary>An extended-protocol message went upstream since the last Sync: a refusal must fail the upstream's batch too.</summary>
    private bool _forwardedInBatch;

    /// <summary>After a refusal in an extended batch, everything up to Sync is dropped, as PostgreSQL does after an error.</summary>
    private bool _discarding;

    /// <summary>The text of the last Parse dropped with a refused batch: what its Execute would have run.</summary>
    private byte[]? _discardedSql;

    /// <summary>The next Execute dropped is the refused statement's own (recorded as refused, not skipped).</summary>
    private bool _refusedOwnExecute;

    private long _seq;

    /// <summary>
    /// Set by a review that approved the statement being judged (a Query, or a Parse whose Execute
    /// follows before the Sync), for its record's start; taken by the next record.
    /// </summary>
    private HoldStart? _approvedHold;

    /// <summary>The turn a huge message being handled holds (LargeStatementGate); given back early when it is held for review.</summary>
    private LargeStatementGate.Slot? _largeStatementTurn;

    private void RunFrontend()
    {
        var reason = "client disconnected";
        try
        {
            // After a move off an event loop, what was received there comes first.
            if (_clientIn.Length > 0 && !ProcessClientInput())
            {
                reason = "client terminated the session";
                return;
            }

            while (!_stopping.IsCancellationRequested && _clientIn.Fill(_client))
            {
                if (!ProcessClientInput())
                {
                    reason = "client terminated the session";
                    break;
                }
            }
        }
        catch (Exception e)
        {
            reason = ClientFault(e) ?? reason;
        }
        finally
        {
            // Terminate after statements still unanswered: PostgreSQL answers them first, then
            // hangs up; the upstream side relays those answers and ends the session when it does.
            if (!_answersOwedAtTerminate)
            {
                Stop(reason);
            }
        }
    }

    /// <summary>What a failure on the client side means: a FATAL for a protocol error or a bug; nothing to say when a side is gone.</summary>
    private string? ClientFault(Exception e) => Fault(e, upstream: false);

    /// <summary>
    /// A failure of either side: a protocol error gets a FATAL (the client's own words for a client
    /// error; a plain one for an upstream's), a bug a FATAL and an error log; a side that went away
    /// needs nothing said (null: the caller's reason stands).
    /// </summary>
    private string? Fault(Exception e, bool upstream)
    {
        switch (e)
        {
            case PgProtocolException { SqlState: SqlStates.ProgramLimitExceeded } limit when upstream:
                // Not the upstream's fault: a row (or message) larger than this gateway relays.
                Log.UpstreamProtocolError(_services.Logger, Id, limit.Message);
                SendFatal(limit.SqlState, limit.Message);
                return "result message over the limit";
            case PgProtocolException protocol when upstream:
                Log.UpstreamProtocolError(_services.Logger, Id, protocol.Message);
                SendFatal(SqlStates.ProtocolViolation, "the upstream server broke the protocol; the session is closed");
                return "upstream protocol error";
            case PgProtocolException protocol:
                Log.ClientProtocolError(_services.Logger, ClientAddress, protocol.Message);
                SendFatal(protocol.SqlState, protocol.Message);
                return "client protocol error";
            case var _ when IsDisconnect(e):
                return null;
            default:
                Log.RelayFailed(_services.Logger, Id, e);
                SendFatal(SqlStates.InternalError, "internal error in the gateway; the session is closed");
                return "gateway error";
        }
    }

    /// <summary>Handles every whole message received; false once the client said Terminate.</summary>
    private bool ProcessClientInput()
    {
        if (_services.Node.MayHaveLost(_nodeEpoch))
        {
            Cut(SqlStates.AdminShutdown, "terminating connection: " + LostGateway, LostGateway);
            return false;
        }

        while (true)
        {
            var status = _clientIn.TryRead(_maxMessageLength, out var frame);
            if (status == PgFrameStatus.Incomplete)
            {
                if (_clientIn.Length > 0 && !IsFrontendType(_clientIn.Span[0]))
                {
                    // Refused on its type byte, as PostgreSQL does, not once its declared length is in: an
                    // SSLRequest sent mid-session read as type 0 with 2052 bytes to come, and swallowed
                    // the next query while the session hung (probe OB3); a lone byte waited for four
                    // more before its FATAL (QC3).
                    throw new PgProtocolException($"invalid frontend message type {PgProtocolException.DescribeType(_clientIn.Span[0])}");
                }

                break;
            }

            if (status == PgFrameStatus.TooLarge)
            {
                throw new PgProtocolException(
                    $"A message of {frame.Length} bytes exceeds the gateway's limit of {_maxMessageLength} bytes.", SqlStates.ProgramLimitExceeded);
            }

            bool more;
            if (LargeStatementGate.IsLarge(frame.Length)
                && frame.Type is (byte)FrontendMessageType.Query or (byte)FrontendMessageType.Parse or (byte)FrontendMessageType.Bind)
            {
                if (!OnThreads)
                {
                    // Waiting for a turn blocks: not on a loop other sessions share.
                    throw new MigrationRequired();
                }

                using (_largeStatementTurn = _services.LargeStatements.Enter(frame.Length, _stopping.Token))
                {
                    more = OnClientMessage(frame);
                }

                _largeStatementTurn = null;
            }
            else
            {
                more = OnClientMessage(frame);
            }

            _clientIn.Consume(frame.TotalLength);
            if (!more)
            {
                Flush();
                lock (_gate)
                {
                    _answersOwedAtTerminate = !_pending.IsEmpty;
                }

                return false;
            }
        }

        Flush();
        return true;
    }

    /// <summary>
    /// Publishes the expected answers, then forwards: the entries must be queued before the
    /// upstream can answer. Answers the gateway gives itself go out at once when nothing is ahead of them.
    /// </summary>
    private void Flush()
    {
        if (_staged.Count > 0)
        {
            lock (_gate)
            {
                foreach (var entry in _staged)
                {
                    _pending.Enqueue(entry);
                }

                _staged.Clear();
                DrainLocal();
                SendClient();
            }
        }

        SendUpstream();
    }

    private bool OnClientMessage(PgSpanFrame frame)
    {
        var type = (FrontendMessageType)frame.Type;
        if (_discarding)
        {
            return type switch
            {
                FrontendMessageType.Sync => EndDiscard(frame),
                FrontendMessageType.Terminate => Terminate(frame),
                FrontendMessageType.Parse => NoteDiscardedParse(frame),
                FrontendMessageType.Bind => NoteDiscardedBind(frame),
                FrontendMessageType.Execute => RecordDiscardedExecute(frame),
                FrontendMessageType.Query => RecordDiscardedQuery(frame),
                _ => true,
            };
        }

        if (!RefreshRuntime())
        {
            return false;
        }

        if (type is FrontendMessageType.Parse or FrontendMessageType.Bind or FrontendMessageType.Describe or FrontendMessageType.Execute
            or FrontendMessageType.Close or FrontendMessageType.Query or FrontendMessageType.FunctionCall && UpstreamFailedThisBatch())
        {
            return OnClientMessage(frame);
        }

        switch (type)
        {
            case FrontendMessageType.Query:
                OnQuery(frame);
                return true;
            case FrontendMessageType.Parse:
                OnParse(frame);
                return true;
            case FrontendMessageType.Bind:
                OnBind(frame);
                return true;
            case FrontendMessageType.Describe:
                OnDescribe(frame);
                return true;
            case FrontendMessageType.Execute:
                OnExecute(frame);
                return true;
            case FrontendMessageType.Close:
                OnClose(frame);
                return true;
            case FrontendMessageType.Sync:
                Forward(frame);
                Stage(new PendingEntry { Kind = PendingKind.Sync, Batch = _batch });
                _forwardedInBatch = false;
                _executedInBatch.Clear();
                _batch++;
                _approvedHold = null;
                return true;
            case FrontendMessageType.Flush:
                Forward(frame);
                return true;
            case FrontendMessageType.CopyData:
                Forward(frame);
                return true;
            case FrontendMessageType.CopyDone:
                Forward(frame);
                _clientCopyEnds++;
                return true;
            case FrontendMessageType.CopyFail:
                CopyFailMessage.Parse(frame.Body);
                Forward(frame);
                _clientCopyEnds++;
                return true;
            case FrontendMessageType.FunctionCall:
                OnFunctionCall(frame);
                return true;
            case FrontendMessageType.Terminate:
                return Terminate(frame);
            default:
                // PostgreSQL's own words (postgres.c): the connection cannot be trusted to be in sync any more.
                throw new PgProtocolException($"invalid frontend message type {PgProtocolException.DescribeType(frame.Type)}");
        }
    }

    private const string LostGateway = "this gateway could not say it was alive in the store for longer than the other gateways wait (it was paused, "
        + "or lost the store), so they may have ended its sessions in the record; this one ends before it relays anything more";

    private static bool IsFrontendType(byte type) => (FrontendMessageType)type is FrontendMessageType.Bind or FrontendMessageType.Close
        or FrontendMessageType.CopyData or FrontendMessageType.CopyDone or FrontendMessageType.CopyFail or FrontendMessageType.Describe
        or FrontendMessageType.Execute or FrontendMessageType.Flush or FrontendMessageType.FunctionCall or FrontendMessageType.Parse
        or FrontendMessageType.Query or FrontendMessageType.Sync or FrontendMessageType.Terminate;

    private void OnQuery(PgSpanFrame frame)
    {
        var sql = QueryMessage.Parse(frame.Body).Sql;
        NoteCodeRun(_portals.HasNamed && MayTouchPortals(sql));
        _approvedHold = null;
        var decision = ExecutesProtocolStatement(sql, out var neverMade) ? RefuseProtocolStatementExecute(sql, neverMade) : Decide(sql, default, isParse: false);
        if (decision.Refusal is null && decision.ReviewId is { } approved && UpstreamFailedThisBatch())
        {
            // Held for review while the extended batch before it failed: PostgreSQL skips it with the
            // rest of the batch, so it is not forwarded, whose answer the batch's ReadyForQuery would
            // have been taken for (probe NB1: every later answer one behind, masked by the plan
            // before it). Its approval is not spent on a run that never happens.
            _ = MarkNotRunAsync(approved);
            _sql.ForgetJudged();
            _sql.Undo(_batch);
            RecordDiscardedQuery(frame);
            return;
        }

        _forwardedInBatch = false;

        // Settings the batch before it changed are reported before this Query's ReadyForQuery.
        _executedInBatch.Clear();
        _batch++;
        if (decision.Refusal is { } refusal)
        {
            RefuseQuery(refusal);
            return;
        }

        var runtime = _runtime;
        var trace = StartTrace(decision.RecordedAs ?? MaskSql(sql), null, decision.Alerts);
        if (CommitIntent(trace) is { } auditRefusal)
        {
            RefuseQuery(auditRefusal);
            return;
        }

        ForgetDeallocated(_batch - 1);

        // The probe goes first: its answers come before the COPY's.
        var probe = decision.Copy is { } copy ? ProbeCopy(copy, runtime.Masker) : null;
        Stage(new PendingEntry
        {
            Kind = PendingKind.Query,
            Batch = _batch - 1,
            Trace = trace,
            QueryText = ResultTextOfQuery(sql),
            Declares = TakeQueryDeclares(),
            Probe = probe,
        });
        Forward(frame);
    }

    /// <summary>
    /// A refused simple Query. The upstream must see an error too: in a transaction block
    /// PostgreSQL aborts the transaction on any error, so a later COMMIT rolls back what came
    /// before, as it would have without the gateway. A query that fails at once goes in its place;
    /// its error is replaced with the refusal, and its ReadyForQuery carries the upstream's status.
    /// </summary>
    private void RefuseQuery(byte[] refusal)
    {
        // Whatever a review approved does not run: its hold starts no record.
        _approvedHold = null;
        _upstreamOut.Write(LocalMessages.FailingQuery);
        Stage(new PendingEntry { Kind = PendingKind.InjectedError, Local = refusal });
        Stage(new PendingEntry { Kind = PendingKind.Sync, Batch = _batch - 1, AnswersQuery = true });
    }

    private void OnParse(PgSpanFrame frame)
    {
        var parse = ParseMessage.Parse(frame.Body);
        _approvedHold = null;
        if (RefusedName(parse.StatementName))
        {
            return;
        }

        var name = parse.StatementName.IsEmpty ? null : System.Text.Encoding.UTF8.GetString(parse.StatementName);
        var defined = name is not null && _sql.IsDefined(name);
        var decision = Decide(parse.Query, parse.StatementName, isParse: true, reviewAtExecute: MayRunSqlPrepared(parse.Query));
        if (decision.Skipped)
        {
            SkipRestOfBatch(parse.Query.ToArray());
            return;
        }

        if (decision.Refusal is { } refusal)
        {
            if (name is not null && !defined)
            {
                // PostgreSQL never saw this Parse: a Bind of the name gets its 26000, not a
                // refusal for a SQL-prepared statement it is not (probe IB3).
                _sql.Forget(name);
            }

            if (parse.StatementName.IsEmpty)
            {
                // PostgreSQL drops the unnamed statement at a Parse of a new one, even one that fails:
                // a later Bind of it ran the statement before the refused one (probe BO1).
                _statements.Remove(parse.StatementName);
            }

            RefuseInBatch(refusal);
            return;
        }

        if (!parse.StatementName.IsEmpty && _statements.Find(parse.StatementName) is { NeverMadeUpstream: false } existing
            && !existing.Text.AsSpan().SequenceEqual(parse.Query))
        {
            // PostgreSQL keeps the first statement of a name (42P05): judging the second text
            // while the first one runs would mask by the wrong statement. Recorded as the failed
            // statement it is (probe GB3: its Execute, taken as the refused message's own, left no record).
            var duplicate = $"prepared statement \"{System.Text.Encoding.UTF8.GetString(parse.StatementName)}\" already exists";
            RecordRefused(MaskSql(parse.Query), Audit.StatementRecord.Failed, $"{DuplicatePreparedStatement}: {duplicate}", null);
            RefuseInBatch(LocalMessages.Error(DuplicatePreparedStatement, duplicate));
            return;
        }

        var statement = RememberStatement(parse.StatementName, parse.Query, parse.ParameterTypes);
        statement.NameWasFree = name is not null && !defined;
        statement.ExecutionsLeft = decision.Reviewed is null ? null : 1;
        statement.ReviewedBy = decision.Reviewed;
        statement.ApprovedIn = decision.ReviewId;
        statement.Alerts = decision.Alerts;
        statement.AlertMatches = decision.AlertMatches;

        // The text an error of this Parse answers: one naming no masked column keeps its values (SideChannels).
        ForwardInBatch(frame, new PendingEntry { Kind = PendingKind.Parse, QueryText = statement.ResultText, Statement = statement });
    }

    private const string ProtocolStatementExecuted =
        "EXECUTE of a statement prepared with the extended protocol is refused on a connection with masked columns: "
        + "its results are masked by the statement's own text, which SQL EXECUTE does not carry; use Bind and Execute";

    /// <param name="neverMade">The name it executes, when every statement it may name never came to be upstream (its Parse failed): PostgreSQL's 26000, not a refusal.</param>
    private Decision RefuseProtocolStatementExecute(ReadOnlySpan<byte> sql, string? neverMade)
    {
        if (neverMade is not null)
        {
            // Probe DU3: the 42501 below told of a statement PostgreSQL does not have.
            var missing = $"prepared statement \"{neverMade}\" does not exist";
            RecordRefused(MaskSql(sql), Audit.StatementRecord.Failed, missing, null);
            return new Decision(LocalMessages.Error(UndefinedPreparedStatement, missing), null);
        }

        RecordRefused(MaskSql(sql), Audit.StatementRecord.Blocked, ProtocolStatementExecuted, null);
        return new Decision(LocalMessages.Error(SqlStates.InsufficientPrivilege, ProtocolStatementExecuted), null);
    }

    /// <summary>
    /// SQL EXECUTE of a statement parsed through the protocol: the gateway judged and plans that
    /// statement by its Parse, but a simple Query naming it carries only "EXECUTE name".
    /// </summary>
    private bool ExecutesProtocolStatement(ReadOnlySpan<byte> sql, out string? neverMade)
    {
        neverMade = null;
        if (!_statements.HasNamed || !_runtime.Masker.HasColumnRules || !ContainsWord(sql, "execute"u8))
        {
            return false;
        }

        var text = System.Text.Encoding.UTF8.GetString(sql);
        if (!System.Text.RegularExpressions.Regex.IsMatch(text, @"\bexecute\s", System.Text.RegularExpressions.RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(100)))
        {
            return false;
        }

        var named = _statements.Named.Where(entry => ContainsName(text, entry.Key)).ToList();
        neverMade = named.Count > 0 && named.TrueForAll(entry => NeverMadeUpstream(entry.Key, entry.Value)) ? named[0].Key : null;
        return named.Count > 0;
    }

    /// <summary>
    /// PostgreSQL holds no statement of this name: its Parse failed upstream, or was skipped, under a
    /// name nothing else had, and no SQL PREPARE took the name since (probes DS2, DU3).
    /// </summary>
    private bool NeverMadeUpstream(string name, StatementInfo? statement) =>
        statement is { NeverMadeUpstream: true } && (!_sql.IsDefined(name) || _sql.IsDefinedOnce(name));

    /// <summary>
    /// The name as a word of its own, in any case (a quoted or dynamic one still counts): <c>S_1</c>
    /// is not in <c>stats_1</c> (probe AJ4: pgjdbc's statement names refused unrelated queries).
    /// </summary>
    private static bool ContainsName(string text, string name)
    {
        for (var at = text.IndexOf(name, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(name, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var end = at + name.Length;
            if ((at == 0 || !IsNameChar(text[at - 1])) && (end == text.Length || !IsNameChar(text[end])))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    /// <summary>The text of the statement a Parse made that <paramref name="sql"/> names after EXECUTE, if any.</summary>
    private string? TextOfProtocolStatementExecuted(ReadOnlySpan<byte> sql)
    {
        if (!_statements.HasNamed)
        {
            return null;
        }

        var text = System.Text.Encoding.UTF8.GetString(sql);
        var executed = System.Text.RegularExpressions.Regex.Match(text, @"\bexecute\s+([A-Za-z_][A-Za-z0-9_$]*)",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(100));
        return executed.Success && _statements.Find(System.Text.Encoding.UTF8.GetBytes(executed.Groups[1].Value.ToLowerInvariant())) is { } statement
            ? System.Text.Encoding.UTF8.GetString(statement.Text)
            : null;
    }

    /// <summary>invalid_sql_statement_name: PostgreSQL's for a prepared statement that does not exist.</summary>
    private const string UndefinedPreparedStatement = "26000";

    /// <summary>duplicate_prepared_statement.</summary>
    private const string DuplicatePreparedStatement = "42P05";

    /// <summary>
    /// DEALLOCATE and DISCARD ALL drop prepared statements upstream, by names the gateway does not
    /// follow: it forgets them all, so a statement of the same name parsed again is judged by its
    /// own text, and one still there is judged as unknown (its computed columns masked whole).
    /// DISCARD PLANS, SEQUENCES and TEMP keep them (Npgsql sends the last two when a pooled
    /// connection is returned: forgetting then masked the next statements' computed columns, probe AB).
    /// </summary>
    /// <summary>Whether a statement's text may DEALLOCATE or DISCARD ALL (a word search; the classifier reads it exactly).</summary>
    internal static bool MayForgetPrepared(ReadOnlySpan<byte> sql) => ContainsWord(sql, "deallocate"u8) || ContainsDiscardAll(sql);

    /// <summary>Whether a statement's text may run a SQL-prepared statement (a word search).</summary>
    internal static bool MayRunSqlPrepared(ReadOnlySpan<byte> sql) => ContainsWord(sql, "execute"u8);

    /// <summary>
    /// The statements of <paramref name="batch"/> (a Query, or an Execute of a parsed one) forgot
    /// prepared statements, as the classifier read them (a word in a string forgets nothing: probe
    /// AF2, Npgsql's auto-prepared statements failed after <c>SELECT 'how to deallocate'</c>):
    /// the protocol's table forgets them too.
    /// </summary>
    private void ForgetDeallocated(long batch)
    {
        if (!_statements.HasNamed)
        {
            return;
        }

        if (_sql.ForgotAllIn(batch))
        {
            _statements.ClearNamed();
            return;
        }

        // DEALLOCATE name forgets that name only (probe AG5: every statement a driver had
        // prepared was forgotten, and failed to bind with 42501 where PostgreSQL ran it).
        foreach (var name in _sql.ForgottenIn(batch))
        {
            _statements.Remove(System.Text.Encoding.UTF8.GetBytes(name));
        }
    }

    /// <summary><c>DISCARD ALL</c> anywhere in the text, also in a string run as SQL.</summary>
    private static bool ContainsDiscardAll(ReadOnlySpan<byte> sql)
    {
        for (var at = IndexOfWord(sql, "discard"u8, 0); at >= 0; at = IndexOfWord(sql, "discard"u8, at + 1))
        {
            var rest = sql[(at + "discard".Length)..];
            var words = rest.TrimStart(" \t\r\n\f"u8);
            if (words.Length < rest.Length && words.Length >= 3 && System.Text.Ascii.EqualsIgnoreCase(words[..3], "all"u8)
                && (words.Length == 3 || !char.IsAsciiLetterOrDigit((char)words[3]) && words[3] != '_'))
            {
                return true;
            }
        }

        return false;
    }

    private void OnBind(PgSpanFrame frame)
    {
        var bind = BindMessage.Parse(frame.Body);
        ForgetCursor(bind.Portal);
        if (RefusedName(bind.Portal) || RefusedName(bind.Statement))
        {
            return;
        }

        var statement = _statements.Find(bind.Statement) is { ParseFailed: false } parsed ? parsed : StatementInfo.Unknown;
        if (bind.Statement.IsEmpty && _statements.Find(bind.Statement) is not { ParseFailed: false })
        {
            // No unnamed statement, as PostgreSQL says; the upstream may still hold one the gateway
            // refused to replace (probe BO1), or one whose replacement a failed batch skipped: bound
            // as unknown, it ran unjudged, a DELETE whose one approved run was spent included.
            const string none = "unnamed prepared statement does not exist";
            var message = _statements.Find(bind.Statement) is null ? none : none + ": its last Parse failed or was skipped (an earlier message of its batch failed); parse it again";
            RecordRefused("(Bind of the unnamed prepared statement)", Audit.StatementRecord.Failed, message, null);
            RefuseInBatch(LocalMessages.Error(UndefinedPreparedStatement, message));
            return;
        }

        if (ReferenceEquals(statement, StatementInfo.Unknown) && !bind.Statement.IsEmpty)
        {
            // A name no Parse on this connection made: SQL PREPARE's (same namespace upstream). Bound
            // here it would run unjudged and unrecorded, whatever its review allowed once (probe CE).
            var name = System.Text.Encoding.UTF8.GetString(bind.Statement);
            SettleSqlSession();
            if (NeverMadeUpstream(name, _statements.Find(bind.Statement)))
            {
                _sql.Forget(name);
            }

            if (!_sql.MayBePrepared(name))
            {
                // Closed, deallocated, discarded or never made: PostgreSQL's own answer, on which
                // drivers act (pgjdbc parses again after a DISCARD ALL), where 42501 stopped them.
                var missing = $"prepared statement \"{name}\" does not exist";
                RecordRefused($"(Bind of prepared statement {name})", Audit.StatementRecord.Failed, missing, null);
                RefuseInBatch(LocalMessages.Error(UndefinedPreparedStatement, missing));
                return;
            }

            var message = $"prepared statement \"{name}\" was not prepared with Parse on this connection: the gateway binds only statements it judged at their Parse; run a SQL-prepared statement with EXECUTE";
            RecordRefused($"(Bind of prepared statement {name})", Audit.StatementRecord.Blocked, message, null);
            RefuseInBatch(LocalMessages.Error(SqlStates.InsufficientPrivilege, message));
            return;
        }

        var resultFormats = bind.ResultFormats.Raw;
        PortalState portal;
        if (statement.Result is { } known && known.Fits(statement, resultFormats, _runtime.Masker))
        {
            portal = new PortalState(statement, RecordedParameters(bind, statement))
            {
                StatementGeneration = known.Generation,
                BoundInBatch = _batch,
                TrustedThrough = _codeRuns,
                ResultFormats = known.ResultFormats,
                Described = true,
                Shape = known.Shape,
                Plan = known.Plan,
            };
        }
        else
        {
            portal = new PortalState(statement, RecordedParameters(bind, statement))
            {
                StatementGeneration = statement.Generation,
                BoundInBatch = _batch,
                TrustedThrough = _codeRuns,
                ResultFormats = resultFormats.IsEmpty ? [] : resultFormats.ToArray(),
            };
        }

        _portals.Set(bind.Portal, portal);
        ForwardInBatch(frame, new PendingEntry { Kind = PendingKind.Bind, Portal = portal });
    }

    private void OnDescribe(PgSpanFrame frame)
    {
        var describe = DescribeMessage.Parse(frame.Body);
        if (RefusedName(describe.Name))
        {
            return;
        }

        if (describe.Target == DescribeTarget.Statement)
        {
            ForwardInBatch(frame, new PendingEntry { Kind = PendingKind.DescribeStatement });
            return;
        }

        var portal = LivePortal(describe.Name);
        portal.Described = true;
        ForwardInBatch(frame, new PendingEntry { Kind = PendingKind.DescribePortal, Portal = portal });
    }

    private void OnExecute(PgSpanFrame frame)
    {
        var execute = ExecuteMessage.Parse(frame.Body);
        ForgetCursors();
        if (RefusedName(execute.Portal))
        {
            _refusedOwnExecute = false; // this Execute was the refused message
            return;
        }

        var portal = LivePortal(execute.Portal);
        NoteCodeRun(_portals.HasNamed && portal.Statement.MayTouchPortals);
        portal.TrustedThrough = _codeRuns;
        var statement = portal.Statement;
        string? spends = null;
        string? recordedAs = null;
        // A portal resumed after a row limit is the same run: its alerts went out once, its records name them (probe AT4).
        var (alerts, alertMatches) = (statement.Alerts, portal.Started ? null : statement.AlertMatches);
        var bound = portal.BoundTo ?? statement;
        var judgedNow = !portal.Started && bound.MayRunSqlPrepared;
        if (judgedNow)
        {
            // What EXECUTE name runs is what the name holds now, not at this statement's Parse
            // (probe AF1), also when its Parse was approved: that approval was of what the name
            // held then (AJ1, AJ2: it ran a DELETE swapped in since, and the next review showed
            // the old statement). Before anything is staged: a review moves this message to threads.
            var decision = Decide(bound.Text, default, isParse: true);
            if (RefusedAtExecute(decision, bound.Text))
            {
                return;
            }

            spends = decision.ReviewId;
            (alerts, alertMatches, recordedAs) = (decision.Alerts, decision.AlertMatches, decision.RecordedAs);
        }

        if (statement.ExecutionsLeft is { } left && !portal.Started && !judgedNow)
        {
            if (left <= 0)
            {
                // Its review's one run is spent: this run is held for a review of its own, as the
                // statement's Parse was (probe CG: drivers that keep prepared statements, pgjdbc and
                // Npgsql's auto-prepare, never parse again, so a refusal here stuck for good). Before
                // anything is staged: on a loop this message is handled again on threads.
                if (!OnThreads)
                {
                    throw new MigrationRequired();
                }

                var decision = Review(statement.ReviewedBy!, statement.Text, inExtendedBatch: true);
                if (RefusedAtExecute(decision, statement.Text))
                {
                    return;
                }

                spends = decision.ReviewId;
            }
            else
            {
                statement.ExecutionsLeft = left - 1;
                spends = statement.ApprovedIn;
            }
        }

        if (_runtime.Masks && !portal.Described)
        {
            // Masking needs the portal's columns and formats; a driver that cached them (prepared
            // statements) does not ask, so the gateway asks for itself and keeps the answer.
            FrontendWriter.WriteDescribe(_upstreamOut, DescribeTarget.Portal, execute.Portal);
            Stage(new PendingEntry { Kind = PendingKind.DescribePortal, Portal = portal, Swallow = true });
            portal.Described = true;
            _forwardedInBatch = true;
        }

        portal.Started = true;
        var trace = StartTrace(recordedAs ?? portal.RecordedAs ?? (statement.MaskedSql ??= MaskSql(statement.Text)), portal.Parameters, alerts);
        trace.SpentReview = spends;
        if (CommitIntent(trace) is { } auditRefusal)
        {
            RefuseInBatch(auditRefusal);
            _refusedOwnExecute = false; // this Execute was the refused message

            return;
        }

        trace.AlertMatches = alertMatches;

        if (statement.MayForgetPrepared)
        {
            // Run now: what it forgets is settled by this batch's answer, as a Query's is.
            SettleSqlSession();
            Appliance.Policy.Sql.SqlClassifier.Classify(System.Text.Encoding.UTF8.GetString(statement.Text), _sql);
            ForgetDeallocated(_batch);
        }

        ForwardInBatch(frame, new PendingEntry { Kind = PendingKind.Execute, Portal = portal, Trace = trace });
        _executedInBatch.Add((statement, !execute.Portal.IsEmpty && portal.BoundInBatch != _batch));
    }

    private void OnClose(PgSpanFrame frame)
    {
        var close = CloseMessage.Parse(frame.Body);
        if (RefusedName(close.Name))
        {
            return;
        }

        if (close.Target == DescribeTarget.Statement)
        {
            _statements.Remove(close.Name);
            if (!close.Name.IsEmpty)
            {
                SettleSqlSession();
                _sql.OnClose(System.Text.Encoding.UTF8.GetString(close.Name));
            }
        }
        else
        {
            _portals.Remove(close.Name);
        }

        ForwardInBatch(frame, new PendingEntry { Kind = PendingKind.Close });
    }

    /// <summary>
    /// The fast-path function call runs a function by OID with no SQL for guardrails to judge:
    /// refused. The upstream fails in its place, as PostgreSQL fails a call it refuses: the
    /// implicit transaction of an extended batch not yet synced rolls back with it, where a local
    /// answer left the batch's Sync to commit work the client was told had failed (probe LB).
    /// </summary>
    private void OnFunctionCall(PgSpanFrame frame)
    {
        FunctionCallMessage.Parse(frame.Body);
        const string message = "function call messages are refused by the gateway: they carry no SQL for its guardrails to check; call the function with SELECT";
        RecordRefused("(fast-path function call)", Audit.StatementRecord.Blocked, message, null);
        _forwardedInBatch = false;
        _executedInBatch.Clear();
        _batch++;
        RefuseQuery(LocalMessages.Error(SqlStates.InsufficientPrivilege, message));
    }

    private bool Terminate(PgSpanFrame frame)
    {
        // Before the upstream can see it and hang up: its close is then the expected end, not news for the client.
        _clientTerminated = true;
        Forward(frame);
        return false;
    }

    private bool NoteDiscardedParse(PgSpanFrame frame)
    {
        var parse = ParseMessage.Parse(frame.Body);
        _discardedSql = parse.Query.ToArray();
        NoteDiscardedParseName(parse.StatementName, _discardedSql);
        return true;
    }

    /// <summary>An Execute dropped with a refused batch never runs; it is recorded as skipped, as the upstream's skips are.</summary>
    private bool RecordDiscardedExecute(PgSpanFrame frame)
    {
        if (_refusedOwnExecute && _discardedSql is null)
        {
            _refusedOwnExecute = false;
            return true;
        }

        _refusedOwnExecute = false;
        var sql = _discardedSql ?? PortalFor(ExecuteMessage.Parse(frame.Body).Portal).Statement.Text;
        if (TakeUpstreamFailure() is { } failure)
        {
            RecordRefused(MaskSql(sql), Audit.StatementRecord.Failed, failure, null);
            return true;
        }

        RecordRefused(MaskSql(sql), Audit.StatementRecord.Skipped, NotRunInBatch, null);
        return true;
    }

    /// <summary>The Sync that ends a refused batch: the upstream's if it saw part of the batch, else answered here.</summary>
    private bool EndDiscard(PgSpanFrame frame)
    {
        _discarding = false;
        _discardForUpstream = false;
        _executedInBatch.Clear();
        _batch++;
        _discardedSql = null;
        if (_forwardedInBatch)
        {
            Forward(frame);
            Stage(new PendingEntry { Kind = PendingKind.Sync, Batch = _batch - 1 });
        }
        else
        {
            Stage(new PendingEntry { Kind = PendingKind.LocalReady });
        }

        _forwardedInBatch = false;
        return true;
    }

    /// <summary>
    /// A name of a prepared statement or portal the gateway could not keep apart as PostgreSQL
    /// does: PostgreSQL compares only the first 63 bytes, in its own encoding (probe EF1, EF2: two
    /// names alike in those bytes were two to the gateway, one there, so one approval ran a DELETE
    /// twice and a portal was masked by another statement's plan). Drivers use short ASCII names.
    /// </summary>
    private bool RefusedName(ReadOnlySpan<byte> name)
    {
        if (name.Length <= Appliance.Policy.Sql.SqlLiteral.MaxIdentifierBytes && System.Text.Ascii.IsValid(name))
        {
            return false;
        }

        var message = $"the name \"{System.Text.Encoding.UTF8.GetString(name[..Math.Min(name.Length, 80)])}\" is refused: the gateway takes names of prepared statements and portals "
            + $"of at most {Appliance.Policy.Sql.SqlLiteral.MaxIdentifierBytes} ASCII bytes, as PostgreSQL tells names apart only by their first {Appliance.Policy.Sql.SqlLiteral.MaxIdentifierBytes} bytes in its own encoding";
        RecordRefused("(a message naming a prepared statement or portal)", Audit.StatementRecord.Blocked, message, null);
        RefuseInBatch(LocalMessages.Error(InvalidName, message));
        return true;
    }

    /// <summary>invalid_name.</summary>
    private const string InvalidName = "42602";

    /// <summary>An Execute whose statement was judged again and is not to run: skipped with its failed batch, or refused.</summary>
    private bool RefusedAtExecute(Decision decision, byte[] text)
    {
        if (decision.Skipped)
        {
            SkipRestOfBatch(null);
            RecordRefused(MaskSql(text), Audit.StatementRecord.Skipped, NotRunInBatch, null);
            return true;
        }

        if (decision.Refusal is { } refusal)
        {
            RefuseInBatch(refusal);
            _refusedOwnExecute = false; // this Execute was the refused message
            return true;
        }

        return false;
    }

    /// <summary>
    /// A refused Parse or Execute inside an extended batch. An Execute of a portal that does not
    /// exist goes upstream in its place, so the upstream fails the batch exactly as PostgreSQL
    /// would for an error at this point: it rolls back the batch's implicit transaction, or
    /// aborts an explicit one (a later COMMIT rolls back). The upstream's error is replaced with
    /// the gateway's, and everything up to Sync is dropped; the Sync goes upstream.
    /// </summary>
    private void RefuseInBatch(byte[] refusal)
    {
        _approvedHold = null;
        // A refused Parse (or Bind) is followed by its own Execute: that statement is recorded already.
        _refusedOwnExecute = true;
        _upstreamOut.Write(LocalMessages.FailingExecute);
        Stage(new PendingEntry { Kind = PendingKind.InjectedError, Local = refusal });
        _forwardedInBatch = true;
        _discarding = true;
    }

    private void ForwardInBatch(PgSpanFrame frame, in PendingEntry entry)
    {
        Stage(entry);
        Forward(frame);
        _forwardedInBatch = true;
    }

    private void Forward(PgSpanFrame frame) => _upstreamOut.Write(frame.Message);

    private void Stage(PendingEntry entry)
    {
        entry.CopyEnds = _clientCopyEnds;
        if (entry.Kind is not (PendingKind.Sync or PendingKind.Query))
        {
            entry.Batch = _batch;
        }

        _staged.Add(entry);
    }

    private StatementInfo RememberStatement(ReadOnlySpan<byte> name, ReadOnlySpan<byte> query, PgOidList parameterTypes)
    {
        // Drivers re-parse the same unnamed statement for every execution: keep the one we have
        // (its masked text), but not its result: a new Parse may see changed tables.
        if (_statements.Find(name) is { } known && known.Text.AsSpan().SequenceEqual(query) && SameTypes(known.ParameterTypes, parameterTypes))
        {
            known.Generation++;

            // Parsed again: whether this Parse fails is this Parse's answer to tell.
            known.ParseFailed = false;
            return known;
        }

        var types = new uint[parameterTypes.Count];
        for (var i = 0; i < types.Length; i++)
        {
            types[i] = parameterTypes[i];
        }

        var statement = new StatementInfo(query.ToArray(), types) { FetchesCursor = ParseFetches(query) };
        _statements.Set(name, statement);
        return statement;
    }

    private static bool SameTypes(uint[] known, PgOidList types)
    {
        if (known.Length != types.Count)
        {
            return false;
        }

        for (var i = 0; i < known.Length; i++)
        {
            if (known[i] != types[i])
            {
                return false;
            }
        }

        return true;
    }

    private PortalState PortalFor(ReadOnlySpan<byte> name)
    {
        if (_portals.Find(name) is { } portal)
        {
            return portal;
        }

        // A cursor DECLAREd in SQL is a portal too, executed by name without a Bind.
        portal = new PortalState(StatementInfo.Unknown, null) { BoundInBatch = _batch, TrustedThrough = _codeRuns };
        _portals.Set(name, portal);
        return portal;
    }

    /// <summary>
    /// The client thread's view of a policy reload: new rules apply from the next statement. A
    /// change of the columns masked by name ends the session instead: what it read at login (the
    /// catalog of those columns), the SQL statements it prepared and the cursors it declared were
    /// judged by the old ones, and kept a column added to them readable (probe AI).
    /// </summary>
    private bool RefreshRuntime()
    {
        var version = _services.Policy.Version;
        if (version == _policyVersion)
        {
            return true;
        }

        _policyVersion = version;
        if (_services.Policy.Current.FindConnection(ConnectionName) is not { } connection)
        {
            Cut(SqlStates.AdminShutdown, $"terminating connection: the connection \"{ConnectionName}\" was removed from the policy", "connection removed");
            return false;
        }

        var runtime = Policy.ConnectionRuntime.For(connection);
        if (!runtime.Masker.HasSameColumnRules(_runtime.Masker))
        {
            Cut(SqlStates.AdminShutdown,
                $"terminating connection: the columns masked on connection \"{ConnectionName}\" changed; connect again to work under the new rules",
                "masking rules changed");
            return false;
        }

        _runtime = runtime;
        return true;
    }
}
