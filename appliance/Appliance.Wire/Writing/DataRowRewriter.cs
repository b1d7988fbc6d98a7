using System.Buffers;
using System.Buffers.Binary;
using Appliance.Wire.Backend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

/// <summary>
/// The masking path: writes a DataRow that is a parsed upstream row with some columns
/// replaced. Unchanged runs of columns (length words included) are copied as single blocks,
/// and nothing is allocated once the internal buffers have grown to the connection's widest
/// row. One instance per connection; not thread-safe.
/// </summary>
/// <example>
/// <code>
/// rewriter.Reset();
/// rewriter.Replace(2, "****-****-****-1111"u8);
/// rewriter.ReplaceWithNull(5);
/// rewriter.WriteTo(output, DataRowMessage.Parse(body));
/// </code>
/// </example>
internal sealed class DataRowRewriter
{
    private byte[] _values = new byte[256];
    private int _valuesLength;
    private int[] _columns = new int[8];
    private int[] _lengths = new int[8];
    private int _count;

    /// <summary>Columns replaced since the last <see cref="Reset"/>; 0 means the row can be relayed as it is.</summary>
    public int ReplacementCount => _count;

    public void Reset()
    {
        _count = 0;
        _valuesLength = 0;
    }

    public void Replace(int column, ReadOnlySpan<byte> value) => value.CopyTo(Replace(column, value.Length));

    /// <summary>Reserves <paramref name="length"/> bytes for column <paramref name="column"/>'s new value; fill them before the next call, which may move the buffer.</summary>
    public Span<byte> Replace(int column, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Add(column, length);
        if (_values.Length - _valuesLength < length)
        {
            Array.Resize(ref _values, Math.Max(_values.Length * 2, _valuesLength + length));
        }

        var span = _values.AsSpan(_valuesLength, length);
        _valuesLength += length;
        return span;
    }

    public void ReplaceWithNull(int column) => Add(column, -1);

    /// <summary>Writes <paramref name="source"/> with the replacements applied as one DataRow message.</summary>
    public void WriteTo(IBufferWriter<byte> output, DataRowMessage source)
    {
        var encoded = source.Columns.Encoded;
        if (_count > 0 && _columns[_count - 1] >= source.ColumnCount)
        {
            throw new ArgumentOutOfRangeException(nameof(source), $"Column {_columns[_count - 1]} was replaced but the row has {source.ColumnCount} columns.");
        }

        // Locate each replaced column's encoded value (length word + bytes). The row was
        // validated by DataRowMessage.Parse, so the walk needs no checks, and it stops at the
        // last replaced column: the rest is copied as one block.
        Span<int> offsets = _count <= 64 ? stackalloc int[_count] : new int[_count];
        long length = 2 + encoded.Length;
        var position = 0;
        var column = 0;
        for (var i = 0; i < _count; i++)
        {
            for (; column < _columns[i]; column++)
            {
                position += EncodedLength(encoded, position);
            }

            offsets[i] = position;
            length += (4 + Math.Max(_lengths[i], 0)) - EncodedLength(encoded, position);
        }

        PgSpanWriter.CheckLength(length);
        var writer = PgSpanWriter.Start(output, (byte)BackendMessageType.DataRow, (int)length);
        writer.WriteInt16((short)source.ColumnCount);
        var copied = 0;
        var valueStart = 0;
        for (var i = 0; i < _count; i++)
        {
            writer.WriteBytes(encoded[copied..offsets[i]]);
            var newLength = _lengths[i];
            writer.WriteValue(_values.AsSpan(valueStart, Math.Max(newLength, 0)), newLength < 0);
            valueStart += Math.Max(newLength, 0);
            copied = offsets[i] + EncodedLength(encoded, offsets[i]);
        }

        writer.WriteBytes(encoded[copied..]);
        writer.Complete();
    }

    private static int EncodedLength(ReadOnlySpan<byte> encoded, int position) =>
        4 + Math.Max(BinaryPrimitives.ReadInt32BigEndian(encoded[position..]), 0);

    private void Add(int column, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        if (_count > 0 && column <= _columns[_count - 1])
        {
            throw new ArgumentException($"Replace columns in ascending order, each once: {column} follows {_columns[_count - 1]}.", nameof(column));
        }

        if (_count == _columns.Length)
        {
            Array.Resize(ref _columns, _count * 2);
            Array.Resize(ref _lengths, _count * 2);
        }

        _columns[_count] = column;
        _lengths[_count] = length;
        _count++;
    }
}
