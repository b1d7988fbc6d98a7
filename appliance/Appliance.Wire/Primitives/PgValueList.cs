using System.Buffers.Binary;

namespace Appliance.Wire.Primitives;

/// <summary>
/// A validated run of <c>{Int32 length (-1 = NULL), bytes}</c> values (DataRow columns, Bind
/// parameters), enumerated in place without copying.
/// </summary>
internal readonly ref struct PgValueList
{
    private readonly ReadOnlySpan<byte> _encoded;

    private PgValueList(ReadOnlySpan<byte> encoded, int count)
    {
        _encoded = encoded;
        Count = count;
    }

    public int Count { get; }

    /// <summary>The values exactly as on the wire, length words included.</summary>
    public ReadOnlySpan<byte> Encoded => _encoded;

    /// <summary>Walks and validates <paramref name="count"/> values so enumeration later cannot fail.</summary>
    public static PgValueList Read(scoped ref PgBodyReader reader, int count)
    {
        var start = reader.Position;
        for (var i = 0; i < count; i++)
        {
            var length = reader.ReadInt32();
            if (length == -1)
            {
                continue;
            }

            if (length < -1)
            {
                WireThrow.Malformed(reader.MessageName, $"value {i} has negative length {length}");
            }

            reader.ReadBytes(length);
        }

        return new PgValueList(reader.Since(start), count);
    }

    public Enumerator GetEnumerator() => new(_encoded, Count);

    internal ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _encoded;
        private int _remaining;
        private int _position;
        private PgValue _current;

        public Enumerator(ReadOnlySpan<byte> encoded, int count)
        {
            _encoded = encoded;
            _remaining = count;
            _position = 0;
            _current = default;
        }

        public readonly PgValue Current => _current;

        public bool MoveNext()
        {
            if (_remaining == 0)
            {
                return false;
            }

            _remaining--;
            var length = BinaryPrimitives.ReadInt32BigEndian(_encoded[_position..]);
            _position += 4;
            if (length < 0)
            {
                _current = new PgValue(default, isNull: true);
                return true;
            }

            _current = new PgValue(_encoded.Slice(_position, length), isNull: false);
            _position += length;
            return true;
        }
    }
}
