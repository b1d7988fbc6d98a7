using System.Buffers.Binary;

namespace Appliance.Wire.Primitives;

/// <summary>
/// A bounds-checked cursor over one message body. Every read that would run past the end,
/// every negative count and every string without its NUL becomes a <see cref="PgProtocolException"/>
/// naming the message, never an <see cref="IndexOutOfRangeException"/>.
/// </summary>
internal ref struct PgBodyReader
{
    private readonly ReadOnlySpan<byte> _body;
    private readonly string _messageName;
    private int _position;

    public PgBodyReader(ReadOnlySpan<byte> body, string messageName)
    {
        _body = body;
        _messageName = messageName;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _body.Length - _position;

    public readonly string MessageName => _messageName;

    public byte ReadByte()
    {
        if (_position >= _body.Length)
        {
            WireThrow.Malformed(_messageName, "the body ends early");
        }

        return _body[_position++];
    }

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    /// <summary>Parameter and format counts: the server reads them unsigned (pq_getmsgint(.., 2)), so up to 65535.</summary>
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    /// <summary>A signed Int16 count that must not be negative (column counts).</summary>
    public int ReadCount16(string what)
    {
        var count = ReadInt16();
        if (count < 0)
        {
            WireThrow.Malformed(_messageName, $"negative {what} count {count}");
        }

        return count;
    }

    /// <summary>A NUL-terminated string, returned without its terminator.</summary>
    public ReadOnlySpan<byte> ReadCString()
    {
        var rest = _body[_position..];
        var nul = rest.IndexOf((byte)0);
        if (nul < 0)
        {
            WireThrow.Malformed(_messageName, "a string is missing its NUL terminator");
        }

        _position += nul + 1;
        return rest[..nul];
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            WireThrow.Malformed(_messageName, count < 0 ? $"negative length {count}" : $"a length of {count} runs past the end of the body");
        }

        var bytes = _body.Slice(_position, count);
        _position += count;
        return bytes;
    }

    public ReadOnlySpan<byte> ReadToEnd()
    {
        var rest = _body[_position..];
        _position = _body.Length;
        return rest;
    }

    /// <summary>The bytes read since <paramref name="start"/> (a <see cref="Position"/> taken earlier).</summary>
    public readonly ReadOnlySpan<byte> Since(int start) => _body[start.._position];

    /// <summary>Like the server's pq_getmsgend: trailing bytes mean the peer and we disagree on the format.</summary>
    public readonly void EnsureEnd()
    {
        if (_position != _body.Length)
        {
            WireThrow.Malformed(_messageName, $"{_body.Length - _position} unexpected bytes after the last field");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (Remaining < count)
        {
            WireThrow.Malformed(_messageName, "the body ends early");
        }

        var bytes = _body.Slice(_position, count);
        _position += count;
        return bytes;
    }
}
