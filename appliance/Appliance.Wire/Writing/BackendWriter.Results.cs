using System.Buffers;
using System.Text;
using Appliance.Wire.Backend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

internal static partial class BackendWriter
{
    public static void WriteRowDescription(IBufferWriter<byte> output, ReadOnlySpan<RowField> fields)
    {
        const int fixedLength = 4 + 2 + 4 + 2 + 4 + 2;
        if (fields.Length > short.MaxValue)
        {
            throw new ArgumentException("Too many fields for a RowDescription.", nameof(fields));
        }

        long length = 2;
        foreach (var field in fields)
        {
            length += PgSpanWriter.CStringLength(field.Name) + fixedLength;
        }

        PgSpanWriter.CheckLength(length);
        var writer = PgSpanWriter.Start(output, (byte)BackendMessageType.RowDescription, (int)length);
        writer.WriteInt16((short)fields.Length);
        foreach (var field in fields)
        {
            writer.WriteCString(field.Name);
            writer.WriteUInt32(field.TableOid);
            writer.WriteInt16(field.ColumnAttributeNumber);
            writer.WriteUInt32(field.TypeOid);
            writer.WriteInt16(field.TypeSize);
            writer.WriteInt32(field.TypeModifier);
            writer.WriteInt16((short)field.Format);
        }

        writer.Complete();
    }

    /// <summary>A row of text values (null = SQL NULL), for results the gateway answers itself.</summary>
    public static void WriteDataRow(IBufferWriter<byte> output, ReadOnlySpan<string?> textValues)
    {
        CheckColumnCount(textValues.Length);
        long length = 2;
        foreach (var value in textValues)
        {
            length += 4 + (value is null ? 0 : Encoding.UTF8.GetByteCount(value));
        }

        PgSpanWriter.CheckLength(length);
        var writer = PgSpanWriter.Start(output, (byte)BackendMessageType.DataRow, (int)length);
        writer.WriteInt16((short)textValues.Length);
        foreach (var value in textValues)
        {
            if (value is null)
            {
                writer.WriteInt32(-1);
                continue;
            }

            writer.WriteUtf8Value(value, Encoding.UTF8.GetByteCount(value));
        }

        writer.Complete();
    }

    /// <summary>A row of raw values in whatever format the portal asked for (null = SQL NULL).</summary>
    public static void WriteDataRow(IBufferWriter<byte> output, ReadOnlySpan<ReadOnlyMemory<byte>?> values)
    {
        CheckColumnCount(values.Length);
        long length = 2;
        foreach (var value in values)
        {
            length += 4 + (value?.Length ?? 0);
        }

        PgSpanWriter.CheckLength(length);
        var writer = PgSpanWriter.Start(output, (byte)BackendMessageType.DataRow, (int)length);
        writer.WriteInt16((short)values.Length);
        foreach (var value in values)
        {
            writer.WriteValue(value.GetValueOrDefault().Span, value is null);
        }

        writer.Complete();
    }

    /// <summary>The tag as the server would send it: "SELECT 1", "INSERT 0 1", "SET".</summary>
    public static void WriteCommandComplete(IBufferWriter<byte> output, ReadOnlySpan<char> tag)
    {
        var writer = PgSpanWriter.Start(output, (byte)BackendMessageType.CommandComplete, PgSpanWriter.CStringLength(tag));
        writer.WriteCString(tag);
        writer.Complete();
    }

    public static void WriteEmptyQueryResponse(IBufferWriter<byte> output) => WriteEmpty(output, BackendMessageType.EmptyQueryResponse);

    private static void CheckColumnCount(int count)
    {
        if (count > short.MaxValue)
        {
            throw new ArgumentException("Too many columns for a DataRow.", nameof(count));
        }
    }

    private static void WriteEmpty(IBufferWriter<byte> output, BackendMessageType type) =>
        PgSpanWriter.Start(output, (byte)type, 0).Complete();
}
