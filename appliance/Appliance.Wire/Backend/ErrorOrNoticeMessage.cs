using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>
/// ErrorResponse 'E' and NoticeResponse 'N' share one body: <c>{Byte1 code, String value}*, 0</c>.
/// Codes are listed in <see cref="ErrorField"/>; clients must ignore codes they do not know.
/// </summary>
internal readonly ref struct ErrorOrNoticeMessage
{
    private readonly ReadOnlySpan<byte> _fields;

    private ErrorOrNoticeMessage(ReadOnlySpan<byte> fields) => _fields = fields;

    public ReadOnlySpan<byte> Severity => GetField(ErrorField.Severity);

    public ReadOnlySpan<byte> SeverityNonLocalized => GetField(ErrorField.SeverityNonLocalized);

    public ReadOnlySpan<byte> SqlState => GetField(ErrorField.SqlState);

    public ReadOnlySpan<byte> Message => GetField(ErrorField.Message);

    public ReadOnlySpan<byte> Detail => GetField(ErrorField.Detail);

    public ReadOnlySpan<byte> Hint => GetField(ErrorField.Hint);

    public ReadOnlySpan<byte> Position => GetField(ErrorField.Position);

    public static ErrorOrNoticeMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "ErrorResponse/NoticeResponse");
        while (reader.ReadByte() != 0)
        {
            reader.ReadCString();
        }

        reader.EnsureEnd();
        return new ErrorOrNoticeMessage(body[..^1]);
    }

    /// <summary>The value of field <paramref name="code"/>, empty when absent.</summary>
    public ReadOnlySpan<byte> GetField(byte code)
    {
        TryGetField(code, out var value);
        return value;
    }

    public bool TryGetField(byte code, out ReadOnlySpan<byte> value)
    {
        foreach (var field in this)
        {
            if (field.Code == code)
            {
                value = field.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    public Enumerator GetEnumerator() => new(_fields);

    internal readonly ref struct Field
    {
        public Field(byte code, ReadOnlySpan<byte> value)
        {
            Code = code;
            Value = value;
        }

        public byte Code { get; }

        public ReadOnlySpan<byte> Value { get; }
    }

    internal ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private Field _current;

        public Enumerator(ReadOnlySpan<byte> fields)
        {
            _rest = fields;
            _current = default;
        }

        public readonly Field Current => _current;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            var nul = _rest[1..].IndexOf((byte)0) + 1;
            _current = new Field(_rest[0], _rest[1..nul]);
            _rest = _rest[(nul + 1)..];
            return true;
        }
    }
}
