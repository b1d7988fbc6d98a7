using System.Text;
using Appliance.Gateway.Audit;
using Appliance.Policy.Masking;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>The audit trail of the session: one record per Query or Execute, written off the hot path by the recorder.</summary>
internal sealed partial class PgSession
{
    private System.Buffers.ArrayBufferWriter<byte>? _parameterScratch;

    /// <summary>The application the record names for this session (upstream thread after the greeting).</summary>
    private string? _recordedApplication;

    /// <summary>
    /// The application name is the client's free text, shown back masked (SHOW application_name):
    /// recorded so too, and one holding a password (password=…) not at all (probe AX).
    /// </summary>
    private string? RecordedApplication(string? application) => application is null ? null : RecordedApplication(_runtime, application);

    /// <inheritdoc cref="RecordedApplication(string?)"/>
    internal static string RecordedApplication(Policy.ConnectionRuntime runtime, string application) =>
        Masker.HoldsSecret(application) ? SampleValues.Hidden : runtime.CutSecret(runtime.Masker.Mask(Appliance.Logging.GatewayCredentials.Cut(application, bareSecrets: true)));

    /// <summary>
    /// The server reported application_name: a client that names itself after its login (pgjdbc,
    /// and so DBeaver, send <c>SET application_name</c>) is recorded under that name from then on (probe VB4).
    /// </summary>
    private void NoteApplication(ReadOnlySpan<byte> value)
    {
        var application = RecordedApplication(value.IsEmpty ? null : Encoding.UTF8.GetString(value));
        if (!string.Equals(application, _recordedApplication, StringComparison.Ordinal))
        {
            _recordedApplication = application;
            _services.Recorder.Application(Id, application);
        }
    }

    private StatementTrace StartTrace(string maskedSql, IReadOnlyList<string?>? parameters, string? guardrail)
    {
        var held = _approvedHold;
        _approvedHold = null;
        return new(++_seq, held?.At ?? _services.Time.GetUtcNow(), maskedSql, parameters, string.IsNullOrEmpty(guardrail) ? null : guardrail, held?.Timestamp);
    }

    /// <summary>When a statement approved after a hold arrived: its record starts then, not at the approval (probe AF).</summary>
    private readonly record struct HoldStart(DateTimeOffset At, long Timestamp);

    private void Record(StatementTrace trace, string outcome) => _services.Recorder.Record(ToRecord(trace, outcome));

    private StatementRecord ToRecord(StatementTrace trace, string outcome) => new(
        Id,
        trace.Seq,
        trace.StartedAt,
        trace.ElapsedMilliseconds,
        trace.Sql,
        _runtime.CutSecret(trace.Parameters),
        outcome,
        trace.Tag,
        trace.Rows ?? (trace.RowsRelayed > 0 ? trace.RowsRelayed : null),
        // The error may quote what the statement held, a credential pasted into it too (probe CU1).
        trace.Error is null ? null : _runtime.CutSecret(Appliance.Logging.GatewayCredentials.Cut(trace.MayCarrySecret ? WithoutValue(trace.Error)! : trace.Error)),
        trace.Shape?.RecordedNames(_runtime.Masker),
        RecordedSamples(trace.Samples),
        trace.Guardrail);

    /// <summary>The sample rows, with the upstream's password cut where a statement selected it (probe DY1).</summary>
    private List<IReadOnlyList<string?>>? RecordedSamples(List<IReadOnlyList<string?>>? samples)
    {
        if (samples is null)
        {
            return null;
        }

        for (var i = 0; i < samples.Count; i++)
        {
            samples[i] = _runtime.CutSecret(samples[i])!;
        }

        return samples;
    }

    /// <summary>
    /// The error of a statement that names a password or reads settings, as the record keeps it:
    /// what follows its first <c>": "</c> is the value it is about (<c>invalid input syntax for type
    /// integer: "S3cret!"</c> from <c>current_setting('my.password')::int</c>, probe CA), withheld.
    /// </summary>
    private static string? WithoutValue(string? error)
    {
        if (error is null)
        {
            return null;
        }

        // Recorded as "22P02: message": the message's own first ": " is after the code's.
        var start = error.Length > 7 && error[5] == ':' && error[6] == ' ' ? 7 : 0;
        var colon = error.IndexOf(": ", start, StringComparison.Ordinal);
        // With no ": " the message may be the value itself (RAISE EXCEPTION '%', current_setting('my.password'), probe GD6).
        return colon >= 0 ? string.Concat(error.AsSpan(0, colon + 2), SampleValues.Hidden) : string.Concat(error.AsSpan(0, start), SampleValues.Hidden);
    }

    /// <summary>A statement that never went upstream (blocked, denied, held).</summary>
    private void RecordRefused(string maskedSql, string outcome, string error, string? rule) =>
        RecordRefused(maskedSql, outcome, error, rule, _services.Time.GetUtcNow(), 0);

    /// <summary>One that was held first: it started when it arrived, and lasted the hold.</summary>
    private void RecordRefused(string maskedSql, string outcome, string error, string? rule, DateTimeOffset startedAt, double durationMs) =>
        _services.Recorder.Record(new StatementRecord(
            Id, ++_seq, startedAt, durationMs, maskedSql, null, outcome, null, null, _runtime.CutSecret(error), null, null, rule));

    /// <summary>
    /// A statement's text as the audit log and approvers read it: masked as the connection masks
    /// texts (cached per text), then the values of a write to a relation this session's catalog
    /// does not know to hold no masked column (Masker.ColumnValues.cs).
    /// </summary>
    private string MaskSql(ReadOnlySpan<byte> sql) => _runtime.Masker.MaskWrittenValues(_runtime.MaskSql(sql), _catalog);

    /// <inheritdoc cref="MaskSql(ReadOnlySpan{byte})"/>
    private string MaskSql(string sql) => _runtime.Masker.MaskWrittenValues(_runtime.MaskSql(sql), _catalog);

    /// <summary>
    /// Bind's parameters as the audit log may hold them: text masked like any value; binary read
    /// by the type the Parse gave and masked as a binary result value of that type would be
    /// (a card number sent as int8 or numeric is caught), then shown as text. A binary value the
    /// detectors flag is recorded as <c>****</c>; one of a type the gateway cannot show is hex of
    /// what the detectors passed; one whose type the Parse left to the server is shown only if it
    /// reads as text.
    /// </summary>
    private IReadOnlyList<string?>? RecordedParameters(BindMessage bind, StatementInfo statement)
    {
        if (bind.Parameters.Count == 0)
        {
            return null;
        }

        var runtime = _runtime;
        var values = new string?[bind.Parameters.Count];
        // A statement that handles a password keeps none of its parameters: set_config('my.password', $1),
        // 'host=x password=' || $1 (recorded as '****' || $1) and set_config($1, $2) put the secret
        // in a parameter that holds nothing the detectors know (probe FC2).
        var secret = StatementTrace.SqlMayCarrySecret(statement.MaskedSql ??= MaskSql(statement.Text));
        var columnParameters = statement.ColumnParameters(runtime.Masker, _catalog);
        var i = 0;
        foreach (var value in bind.Parameters)
        {
            if (!value.IsNull && (secret || columnParameters.Contains(i + 1)))
            {
                // A masked column's value is shown as the column is (probe BH1: INSERT … (ssn) VALUES ($1) kept 123456789).
                values[i] = SampleValues.Hidden;
            }
            else if (!value.IsNull)
            {
                var recorded = bind.ParameterFormats.GetFormat(i) == PgFormat.Binary
                    ? RecordedBinary(runtime, value.Bytes, statement.ParameterType(i))
                    : NumberHidesADetectedValue(runtime, value.Bytes) || runtime.Masker.DetectsEncoded(value.Bytes)
                        ? "****"
                        : Masker.ShortenValueForRecord(runtime.MaskText(value.Bytes));

                // A connection string or URI with a password (dblink_connect($1)) is not kept, nor
                // the gateway's own credential a driver sends as a parameter (probe CV1).
                values[i] = Masker.HoldsSecret(recorded) || Appliance.Logging.GatewayCredentials.Holds(recorded) ? "****" : recorded;
            }

            i++;
        }

        return values;
    }

    /// <summary>
    /// A parameter in text that reads as a number whose value the detectors flag:
    /// <c>04111111111111111</c> or <c>4.111111111111111e15</c> read as an int8 or numeric (by the
    /// Parse's type, or by a cast in the statement, <c>$1::int8</c>, which the gateway does not
    /// follow) is the card 4111111111111111, which its text hid from them.
    /// </summary>
    private static bool NumberHidesADetectedValue(Policy.ConnectionRuntime runtime, ReadOnlySpan<byte> value)
    {
        if (!runtime.Masker.HasValueDetection)
        {
            return false;
        }

        // Nine digits at least make a flagged number; written shorter only with an exponent
        // (4.2e15). Most parameters are short: they skip the parse.
        if (value.Length < 9 && !value.ContainsAny((byte)'e', (byte)'E'))
        {
            return false;
        }

        // An array of numbers, {04111111111111111,2}, holds the same in its elements.
        var text = System.Text.Encoding.ASCII.GetString(value).Trim();
        return text.StartsWith('{')
            ? text.Split([',', '{', '}'], StringSplitOptions.RemoveEmptyEntries).Any(element => IsFlaggedNumber(runtime, element.Trim(' ', '"')))
            : IsFlaggedNumber(runtime, text);
    }

    private static bool IsFlaggedNumber(Policy.ConnectionRuntime runtime, string text)
    {
        if (!decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var digits = decimal.Truncate(decimal.Abs(number)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return digits.Length >= 9 && runtime.MaskText(System.Text.Encoding.ASCII.GetBytes(digits)) != digits;
    }

    private string RecordedBinary(Policy.ConnectionRuntime runtime, ReadOnlySpan<byte> value, uint typeOid)
    {
        if (typeOid == 0)
        {
            // The Parse left the type to the server: read as text if it is text, else not shown
            // (an int8 card is 8 bytes whose hex no detector reads).
            return System.Text.Unicode.Utf8.IsValid(value) && !value.ContainsAnyInRange((byte)0, (byte)8)
                ? Masker.ShortenValueForRecord(runtime.MaskText(value))
                : $"(binary, {value.Length} bytes, type not given)";
        }

        if (!runtime.Masker.HasValueDetection)
        {
            return Show(value, typeOid);
        }

        var scratch = _parameterScratch ??= new System.Buffers.ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        var shown = runtime.Masker.MaskValue(value, ColumnMask.For(ColumnMaskAction.Detect, typeOid), binary: true, scratch) switch
        {
            MaskResult.Replaced => Show(scratch.WrittenSpan, typeOid),
            MaskResult.Null => "****",
            _ => Show(value, typeOid),
        };
        _parameterScratch = Appliance.Policy.Buffers.Scratch.KeepUnlessGrown(scratch);
        return shown;
    }

    /// <summary>Text is shown shortened as a statement's parameters are (padding counted, not dropped); other types as a result sample.</summary>
    private static string Show(ReadOnlySpan<byte> value, uint typeOid) =>
        PgTypes.Classify(typeOid) is PgValueClass.Text or PgValueClass.Json
            ? Masker.ShortenValueForRecord(System.Text.Encoding.UTF8.GetString(value))
            : SampleValues.Render(value, typeOid, binary: true);
}
