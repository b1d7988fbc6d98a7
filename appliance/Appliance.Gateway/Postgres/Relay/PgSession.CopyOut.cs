using System.Buffers;
using Appliance.Gateway.Audit;
using Appliance.Policy.Masking;
using Appliance.Policy.Sql;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Copy;
using Appliance.Wire.Framing;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// COPY … TO: every line passes the detectors; on a connection with column rules the COPY's
/// columns are learnt before it runs, by describing its query upstream (nothing is executed), so
/// each line can be split into its values and the masked columns masked as a SELECT's would be.
/// </summary>
internal sealed partial class PgSession
{
    private static readonly byte[] CopyRefused = LocalMessages.Error(SqlStates.InsufficientPrivilege,
        "COPY ... TO is refused on this connection: its results are masked, and this COPY stream cannot be (binary, or its columns could not be learnt); "
        + "use a text or CSV COPY ... TO STDOUT as a query of its own, or SELECT");

    private static readonly byte[] CopyStopped = LocalMessages.Error(SqlStates.InsufficientPrivilege,
        "COPY ... TO was stopped: a row did not read as the columns the gateway masks on this connection, so the rest of the output is withheld");

    /// <summary>The COPY running now is masked by column with this probe's plan.</summary>
    private CopyProbe? _copyProbe;

    /// <summary>The next COPY line is the CSV or text header (column names).</summary>
    private bool _copyHeaderNext;

    /// <summary>
    /// Client thread: Parse, Describe and Close of the COPY's query under a reserved name, then
    /// Sync, ahead of the COPY. A Close first too, as a Close of a statement that does not exist
    /// is no error: a statement left over by a probe whose Describe failed would fail every later Parse.
    /// </summary>
    private CopyProbe ProbeCopy(CopyToStdout copy, Masker masker)
    {
        var probe = new CopyProbe(copy, masker);
        FrontendWriter.WriteClose(_upstreamOut, DescribeTarget.Statement, CopyProbe.StatementName);
        FrontendWriter.WriteParse(_upstreamOut, CopyProbe.StatementName, copy.ProbeQuery, []);
        FrontendWriter.WriteDescribe(_upstreamOut, DescribeTarget.Statement, CopyProbe.StatementName);
        FrontendWriter.WriteClose(_upstreamOut, DescribeTarget.Statement, CopyProbe.StatementName);
        FrontendWriter.WriteSync(_upstreamOut);
        Stage(new PendingEntry { Kind = PendingKind.CopyProbe, Probe = probe });
        return probe;
    }

    /// <summary>
    /// Upstream thread: an answer to the probe, kept from the client. Its RowDescription gives the
    /// plan a SELECT of the same columns gets. An error is kept: the COPY after it fails by itself
    /// (or, in a transaction block the probe aborted, is told so, and the client sees the probe's
    /// error instead, as the COPY would have raised it).
    /// </summary>
    private void OnCopyProbeAnswer(PgSpanFrame frame)
    {
        var probe = _pending.Head.Probe!;
        switch ((BackendMessageType)frame.Type)
        {
            case BackendMessageType.RowDescription:
                probe.Plan = PlanFor(probe.Masker, ResultShapeInfo.From(frame.Body), probe.QueryText, out _);
                break;
            case BackendMessageType.ErrorResponse when LocalMessages.IsFatal(frame.Body):
                // Nothing follows a FATAL: the client hears it as the answer to its COPY.
                _pending.Dequeue();
                OnError(frame);
                break;
            case BackendMessageType.ErrorResponse:
                probe.Error = WithoutPosition(Sanitized(frame) ?? frame.Message);
                OnTransactionError(RolledBackByError);
                break;
            case BackendMessageType.ReadyForQuery:
                _lastStatus = ReadyForQueryMessage.Parse(frame.Body).Status;
                OnTransactionReady(_lastStatus);
                _pending.Dequeue();
                break;
        }
    }

    /// <summary>An error without its cursor position: the probe's points into the probe's text, not into the COPY the client sent.</summary>
    private static byte[] WithoutPosition(ReadOnlySpan<byte> error)
    {
        var fields = new ArrayBufferWriter<byte>(error.Length);
        foreach (var field in ErrorOrNoticeMessage.Parse(error[PgLimits.MessageHeaderLength..]))
        {
            if (field.Code != ErrorField.Position)
            {
                fields.Write([field.Code]);
                fields.Write(field.Value);
                fields.Write([(byte)0]);
            }
        }

        fields.Write([(byte)0]);
        var output = new ArrayBufferWriter<byte>(fields.WrittenCount + PgLimits.MessageHeaderLength);
        SideChannels.WriteMessage((byte)BackendMessageType.ErrorResponse, fields.WrittenSpan, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>In a transaction block the probe aborted, the COPY's error is the probe's.</summary>
    private static bool AbortedByProbe(in PendingEntry query, PgSpanFrame error) =>
        query.Probe?.Error is not null && System.Text.Ascii.Equals(ErrorOrNoticeMessage.Parse(error.Body).SqlState, SqlStates.InFailedSqlTransaction);

    /// <summary>
    /// A COPY … TO starting: only a COPY whose columns the probe learnt is relayed, masked value by
    /// value. What cannot be masked (binary, a COPY without a plan, reached through a function
    /// say) is stopped here: the client gets an error instead of the data.
    /// </summary>
    private void OnCopyOut(PgSpanFrame frame)
    {
        if (!_runtime.Masks)
        {
            Relay(frame);
            return;
        }

        var copy = CopyResponseMessage.Parse(frame.Body);
        var masker = _runtime.Masker;
        _copyProbe = PlannedCopy(copy.ColumnFormats.Count, masker);
        if (copy.OverallFormat == PgFormat.Binary || _copyProbe is null)
        {
            StopCopy(CopyRefused, "COPY output refused: it cannot be masked");
            return;
        }

        _copyMasking = true;
        _copyHeaderNext = _copyProbe?.Copy.Header ?? false;
        Relay(frame);
    }

    /// <summary>The probe of the Query being answered, if it learnt as many columns as the COPY has, under the policy still in force.</summary>
    private CopyProbe? PlannedCopy(int columns, Masker masker) =>
        HeadIs(PendingKind.Query) && _pending.Head.Probe is { Plan: { } plan } probe && plan.Count == columns && ReferenceEquals(probe.Masker, masker)
            ? probe
            : null;

    private void OnCopyData(PgSpanFrame frame)
    {
        var trace = !_pending.IsEmpty ? _pending.Head.Trace : null;
        if (trace is not null)
        {
            trace.RowsRelayed++;
        }

        if (!_copyMasking || _mute)
        {
            Relay(frame);
            return;
        }

        _scratch.ResetWrittenCount();
        var data = frame.Body;
        // PostgreSQL sends each row of a COPY … TO in a CopyData of its own.
        var probe = _copyProbe!;
        var result = probe.Masker.MaskCopyRow(data, probe.Copy, probe.Plan!, _copyHeaderNext, _scratch);
        _copyHeaderNext = false;
        if (result == CopyRowResult.Malformed)
        {
            StopCopy(CopyStopped, "COPY output stopped: a row did not split into its columns");
            return;
        }

        if (result == CopyRowResult.Replaced)
        {
            CopyWriter.WriteCopyData(_clientOut, _scratch.WrittenSpan);
            data = _scratch.WrittenSpan;
        }
        else
        {
            Relay(frame);
        }

        if (trace is { WantsSample: true })
        {
            (trace.Samples ??= []).Add([System.Text.Encoding.UTF8.GetString(data[..Math.Min(data.Length, SampleValues.MaxLength)]).TrimEnd('\n')]);
        }
    }

    /// <summary>The COPY ends for the client with the gateway's error; the rest of the Query is muted up to its ReadyForQuery.</summary>
    private void StopCopy(byte[] error, string auditError)
    {
        if (!_mute)
        {
            _clientOut.Write(error);
        }

        _mute = true;
        _copyProbe = null;
        if (!_pending.IsEmpty && _pending.Head.Trace is { } trace)
        {
            trace.Outcome = StatementRecord.Blocked;
            trace.Error = auditError;
        }
    }

    private void EndCopy()
    {
        _copyMasking = false;
        _copyProbe = null;
    }
}
