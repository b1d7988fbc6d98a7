using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Appliance.Gateway.Audit;

/// <summary>
/// The <c>data</c> of a <c>session.statements</c> event, <c>{"statements":[…]}</c>, written by
/// hand into one reused buffer. It is byte for byte what <see cref="Store.StoreJson"/> writes for
/// the same records (camelCase names, UTC millisecond timestamps, the default escaping), without
/// the reflection-based serializer's cost or a new buffer per event: the recorder writes one
/// record per statement the gateway relays. Not thread-safe: one instance per writer.
/// </summary>
internal sealed class StatementsJson
{
    private static readonly JsonEncodedText Statements = JsonEncodedText.Encode("statements");
    private static readonly JsonEncodedText SessionId = JsonEncodedText.Encode("sessionId");
    private static readonly JsonEncodedText Seq = JsonEncodedText.Encode("seq");
    private static readonly JsonEncodedText StartedAt = JsonEncodedText.Encode("startedAt");
    private static readonly JsonEncodedText DurationMs = JsonEncodedText.Encode("durationMs");
    private static readonly JsonEncodedText Sql = JsonEncodedText.Encode("sql");
    private static readonly JsonEncodedText Parameters = JsonEncodedText.Encode("parameters");
    private static readonly JsonEncodedText Outcome = JsonEncodedText.Encode("outcome");
    private static readonly JsonEncodedText CommandTag = JsonEncodedText.Encode("commandTag");
    private static readonly JsonEncodedText Rows = JsonEncodedText.Encode("rows");
    private static readonly JsonEncodedText Error = JsonEncodedText.Encode("error");
    private static readonly JsonEncodedText Columns = JsonEncodedText.Encode("columns");
    private static readonly JsonEncodedText SampleRows = JsonEncodedText.Encode("sampleRows");
    private static readonly JsonEncodedText Guardrail = JsonEncodedText.Encode("guardrail");

    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private readonly Utf8JsonWriter _writer;

    public StatementsJson() => _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });

    /// <summary>Statements written since <see cref="Begin"/>.</summary>
    public int Count { get; private set; }

    /// <summary>UTF-8 bytes written since <see cref="Begin"/>.</summary>
    public long Length => _writer.BytesCommitted + _writer.BytesPending;

    /// <summary>The whole data of one event holding <paramref name="records"/>.</summary>
    public static string Serialize(IReadOnlyList<StatementRecord> records)
    {
        var json = new StatementsJson();
        json.Begin();
        for (var i = 0; i < records.Count; i++)
        {
            json.Add(records[i]);
        }

        return json.End();
    }

    public void Begin()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteStartArray(Statements);
        Count = 0;
    }

    public void Add(StatementRecord record)
    {
        var w = _writer;
        w.WriteStartObject();
        w.WriteString(SessionId, record.SessionId);
        w.WriteNumber(Seq, record.Seq);
        WriteTimestamp(w, record.StartedAt);
        w.WriteNumber(DurationMs, record.DurationMs);
        w.WriteString(Sql, record.Sql);
        WriteStrings(w, Parameters, record.Parameters);
        w.WriteString(Outcome, record.Outcome);
        w.WriteString(CommandTag, record.CommandTag);
        if (record.Rows is { } rows)
        {
            w.WriteNumber(Rows, rows);
        }
        else
        {
            w.WriteNull(Rows);
        }

        w.WriteString(Error, record.Error);
        WriteStrings(w, Columns, record.Columns);
        if (record.SampleRows is { } sample)
        {
            w.WriteStartArray(SampleRows);
            for (var i = 0; i < sample.Count; i++)
            {
                WriteStrings(w, sample[i]);
            }

            w.WriteEndArray();
        }
        else
        {
            w.WriteNull(SampleRows);
        }

        w.WriteString(Guardrail, record.Guardrail);
        w.WriteEndObject();
        Count++;
    }

    /// <summary>Closes the data and returns it; the buffer is reused from the next <see cref="Begin"/>.</summary>
    public string End()
    {
        _writer.WriteEndArray();
        _writer.WriteEndObject();
        _writer.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }

    /// <summary>As StoreJson's timestamp converter writes it: <c>2026-11-26T10:00:00.000Z</c>.</summary>
    private static void WriteTimestamp(Utf8JsonWriter w, DateTimeOffset value)
    {
        Span<byte> text = stackalloc byte[32];
        if (!value.UtcDateTime.TryFormat(text, out var length, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
        {
            throw new FormatException("A timestamp did not fit its buffer.");
        }

        w.WriteString(StartedAt, text[..length]);
    }

    private static void WriteStrings(Utf8JsonWriter w, JsonEncodedText name, IReadOnlyList<string?>? values)
    {
        if (values is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WritePropertyName(name);
        WriteStrings(w, values);
    }

    private static void WriteStrings(Utf8JsonWriter w, IReadOnlyList<string?> values)
    {
        w.WriteStartArray();
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is not { } value)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteStringValue(value);
            }
        }

        w.WriteEndArray();
    }
}
