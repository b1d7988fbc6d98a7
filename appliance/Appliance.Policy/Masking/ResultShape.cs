using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Appliance.Policy.Buffers;

namespace Appliance.Policy.Masking;

/// <summary>
/// A statement's text and its RowDescription fields, gathered without allocation into one pooled
/// buffer that is both the plan cache's key and, on a miss, the plan's input. Dispose returns
/// the buffer.
/// </summary>
/// <example>
/// <code>
/// using var shape = new ResultShape(queryUtf8);
/// foreach (var field in rowDescription) shape.AddField(field.Name, field.TableOid, field.ColumnAttributeNumber, field.TypeOid);
/// var plan = masker.GetPlan(ref shape, columnNames);
/// </code>
/// </example>
internal ref struct ResultShape
{
    private byte[] _buffer;
    private int _length;

    public ResultShape(ReadOnlySpan<byte> statementUtf8)
    {
        _buffer = Pool<byte>.Rent(statementUtf8.Length + 256);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer, statementUtf8.Length);
        statementUtf8.CopyTo(_buffer.AsSpan(4));
        _length = 4 + statementUtf8.Length;
    }

    public int FieldCount { get; private set; }

    internal readonly ReadOnlySpan<byte> Key => _buffer.AsSpan(0, _length);

    internal readonly ReadOnlySpan<byte> Statement => _buffer.AsSpan(4, BinaryPrimitives.ReadInt32LittleEndian(_buffer));

    public void AddField(ReadOnlySpan<byte> nameUtf8, uint tableOid, short attributeNumber, uint typeOid)
    {
        var needed = _length + 14 + nameUtf8.Length;
        if (needed > _buffer.Length)
        {
            var grown = Pool<byte>.Rent(Math.Max(needed, _buffer.Length * 2));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            Pool<byte>.Return(_buffer);
            _buffer = grown;
        }

        var span = _buffer.AsSpan(_length);
        BinaryPrimitives.WriteInt32LittleEndian(span, nameUtf8.Length);
        nameUtf8.CopyTo(span[4..]);
        span = span[(4 + nameUtf8.Length)..];
        BinaryPrimitives.WriteUInt32LittleEndian(span, tableOid);
        BinaryPrimitives.WriteInt16LittleEndian(span[4..], attributeNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(span[6..], typeOid);
        _length = needed;
        FieldCount++;
    }

    public void AddField(ResultField field) =>
        AddField(Encoding.UTF8.GetBytes(field.Name), field.TableOid, field.AttributeNumber, field.TypeOid);

    /// <summary>The fields back, in order (only on a cache miss).</summary>
    internal readonly List<ResultField> ReadFields()
    {
        var fields = new List<ResultField>(FieldCount);
        var span = Key[(4 + Statement.Length)..];
        while (!span.IsEmpty)
        {
            var nameLength = BinaryPrimitives.ReadInt32LittleEndian(span);
            var name = Encoding.UTF8.GetString(span.Slice(4, nameLength));
            span = span[(4 + nameLength)..];
            fields.Add(new ResultField(
                name,
                BinaryPrimitives.ReadUInt32LittleEndian(span),
                BinaryPrimitives.ReadInt16LittleEndian(span[4..]),
                BinaryPrimitives.ReadUInt32LittleEndian(span[6..])));
            span = span[10..];
        }

        return fields;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            Pool<byte>.Return(_buffer);
            _buffer = [];
        }
    }
}
