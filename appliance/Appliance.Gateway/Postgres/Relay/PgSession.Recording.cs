using System.Text;
using Appliance.Gateway.Audit;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>The audit trail of the session: one record per Query or Execute, written off the hot path by the recorder.</summary>
internal sealed partial class PgSession
{
    private StatementTrace StartTrace(string maskedSql, IReadOnlyList<string?>? parameters, string? guardrail) =>
        new(++_seq, _services.Time.GetUtcNow(), maskedSql, parameters, string.IsNullOrEmpty(guardrail) ? null : guardrail);

    private void Record(StatementTrace trace, string outcome) => _services.Recorder.Record(ToRecord(trace, outcome));

    private StatementRecord ToRecord(StatementTrace trace, string outcome) => new(
        Id,
        trace.Seq,
        trace.StartedAt,
        trace.ElapsedMilliseconds,
        trace.Sql,
        trace.Parameters,
        outcome,
        trace.Tag,
        trace.Rows ?? (trace.RowsRelayed > 0 ? trace.RowsRelayed : null),
        trace.Error,
        trace.Shape?.Names,
        trace.Samples,
        trace.Guardrail);

    /// <summary>A statement that never went upstream (blocked, denied, held).</summary>
    private void RecordRefused(string maskedSql, string outcome, string error, string? rule) =>
        RecordRefused(maskedSql, outcome, error, rule, _services.Time.GetUtcNow(), 0);

    /// <summary>One that was held first: it started when it arrived, and lasted the hold.</summary>
    private void RecordRefused(string maskedSql, string outcome, string error, string? rule, DateTimeOffset startedAt, double durationMs) =>
        _services.Recorder.Record(new StatementRecord(
            Id, ++_seq, startedAt, durationMs, maskedSql, null, outcome, null, null, error, null, null, rule));

    /// <summary>Bind's parameters as the audit log may hold them: text masked like any value, binary as hex.</summary>
    private IReadOnlyList<string?>? RecordedParameters(BindMessage bind)
    {
        if (bind.Parameters.Count == 0)
        {
            return null;
        }

        var runtime = _runtime;
        var values = new string?[bind.Parameters.Count];
        var i = 0;
        foreach (var value in bind.Parameters)
        {
            if (!value.IsNull)
            {
                var bytes = value.Bytes[..Math.Min(value.Bytes.Length, SampleValues.MaxLength)];
                values[i] = bind.ParameterFormats.GetFormat(i) == PgFormat.Binary
                    ? runtime.Masker.Mask("\\x" + Convert.ToHexStringLower(bytes))
                    : runtime.MaskText(bytes);
            }

            i++;
        }

        return values;
    }
}
