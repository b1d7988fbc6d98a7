using System.Buffers.Binary;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>RowDescription 'T': validated once by <see cref="Parse"/>, then enumerated in place.</summary>
internal readonly ref struct RowDescriptionMessage
{
    private const string Name = "RowDescription";

    /// <summary>Table OID, attnum, type OID, typlen, typmod, format after each name.</summary>
    private const int FixedFieldLength = 4 + 2 + 4 + 2 + 4 + 2;

    private readonly ReadOnlySpan<byte> _fields;

    private RowDescriptionMessage(int fieldCount, ReadOnlySpan<byte> fields)
    {
        FieldCount = fieldCount;
        _fields = fields;
    }

    public int FieldCount { get; }

    public static RowDescriptionMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, Name);
        var count = reader.ReadCount16("field");
        var start = reader.Position;
        for (var i = 0; i < count; i++)
        {
            reader.ReadCString();
            var fixedPart = reader.ReadBytes(FixedFieldLength);
            var format = BinaryPrimitives.ReadInt16BigEndian(fixedPart[16..]);
            if (format is not (0 or 1))
            {
                WireThrow.Malformed(Name, $"field {i} has unknown format code {format}");
            }
        }

        var fields = reader.Since(start);
        reader.EnsureEnd();
        return new RowDescriptionMessage(count, fields);
    }

    public Enumerator GetEnumerator() => new(_fields, FieldCount);

    internal ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private int _remaining;
        private FieldDescription _current;

        public Enumerator(ReadOnlySpan<byte> fields, int count)
        {
            _rest = fields;
            _remaining = count;
            _current = default;
        }

        public readonly FieldDescription Current => _current;

        public bool MoveNext()
        {
            if (_remaining == 0)
            {
                return false;
            }

            _remaining--;
            var nul = _rest.IndexOf((byte)0);
            var f = _rest.Slice(nul + 1, FixedFieldLength);
            _current = new FieldDescription(
                _rest[..nul],
                BinaryPrimitives.ReadUInt32BigEndian(f),
                BinaryPrimitives.ReadInt16BigEndian(f[4..]),
                BinaryPrimitives.ReadUInt32BigEndian(f[6..]),
                BinaryPrimitives.ReadInt16BigEndian(f[10..]),
                BinaryPrimitives.ReadInt32BigEndian(f[12..]),
                (PgFormat)BinaryPrimitives.ReadInt16BigEndian(f[16..]));
            _rest = _rest[(nul + 1 + FixedFieldLength)..];
            return true;
        }
    }
}
