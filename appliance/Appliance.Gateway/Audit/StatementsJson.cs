using System.Buffers;
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

    private const int InitialCapacity = 16 * 1024;

    private ArrayBufferWriter<byte> _buffer = new(InitialCapacity);
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
        // A buffer grown by a huge record is not kept for the writer's life.
        _buffer = Appliance.Policy.Buffers.Scratch.KeepUnlessGrown(_buffer) ?? new ArrayBufferWriter<byte>(InitialCapacity);
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

    /// <summary>
    /// As StoreJson's timestamp converter writes it, <c>2026-11-26T10:00:00.000Z</c>, digit by
    /// digit: the general date formatter costs more than the rest of a statement's JSON.
    /// </summary>
    private static void WriteTimestamp(Utf8JsonWriter w, DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        var (year, month, day) = utc;
        var timeOfDay = utc.Ticks % TimeSpan.TicksPerDay;
        Span<byte> text = stackalloc byte[24];
        Digits(text[..4], year);
        text[4] = (byte)'-';
        Digits(text.Slice(5, 2), month);
        text[7] = (byte)'-';
        Digits(text.Slice(8, 2), day);
        text[10] = (byte)'T';
        Digits(text.Slice(11, 2), (int)(timeOfDay / TimeSpan.TicksPerHour));
        text[13] = (byte)':';
        Digits(text.Slice(14, 2), (int)(timeOfDay / TimeSpan.TicksPerMinute % 60));
        text[16] = (byte)':';
        Digits(text.Slice(17, 2), (int)(timeOfDay / TimeSpan.TicksPerSecond % 60));
        text[19] = (byte)'.';
        Digits(text.Slice(20, 3), (int)(timeOfDay / TimeSpan.TicksPerMillisecond % 1000));
        text[23] = (byte)'Z';
        w.WriteString(StartedAt, text);
    }

    /// <summary>Writes <paramref name="value"/> with leading zeros into all of <paramref name="digits"/>.</summary>
    private static void Digits(Span<byte> digits, int value)
    {
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            digits[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
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
