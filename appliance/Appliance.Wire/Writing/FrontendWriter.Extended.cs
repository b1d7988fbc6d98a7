using System.Buffers;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

internal static partial class FrontendWriter
{
    public static void WriteParse(IBufferWriter<byte> output, ReadOnlySpan<char> statementName, ReadOnlySpan<char> query, ReadOnlySpan<uint> parameterTypes)
    {
        CheckParameterCount(parameterTypes.Length);
        var length = PgSpanWriter.CStringLength(statementName) + PgSpanWriter.CStringLength(query) + 2 + (4 * parameterTypes.Length);
        var writer = PgSpanWriter.Start(output, (byte)FrontendMessageType.Parse, length);
        writer.WriteCString(statementName);
        writer.WriteCString(query);
        writer.WriteUInt16((ushort)parameterTypes.Length);
        foreach (var type in parameterTypes)
        {
            writer.WriteUInt32(type);
        }

        writer.Complete();
    }

    /// <summary>Bind; a null value is SQL NULL. Format arrays follow the 0/1/n rule.</summary>
    public static void WriteBind(
        IBufferWriter<byte> output,
        ReadOnlySpan<char> portal,
        ReadOnlySpan<char> statement,
        ReadOnlySpan<PgFormat> parameterFormats,
        ReadOnlySpan<ReadOnlyMemory<byte>?> parameters,
        ReadOnlySpan<PgFormat> resultFormats)
    {
        CheckParameterCount(parameters.Length);
        CheckParameterCount(parameterFormats.Length);
        CheckParameterCount(resultFormats.Length);
        long length = PgSpanWriter.CStringLength(portal) + PgSpanWriter.CStringLength(statement) +
            2 + (2L * parameterFormats.Length) + 2 + 2 + (2L * resultFormats.Length);
        foreach (var parameter in parameters)
        {
            length += 4 + (parameter?.Length ?? 0);
        }

        PgSpanWriter.CheckLength(length);
        var writer = PgSpanWriter.Start(output, (byte)FrontendMessageType.Bind, (int)length);
        writer.WriteCString(portal);
        writer.WriteCString(statement);
        WriteFormats(ref writer, parameterFormats);
        writer.WriteUInt16((ushort)parameters.Length);
        foreach (var parameter in parameters)
        {
            writer.WriteValue(parameter.GetValueOrDefault().Span, parameter is null);
        }

        WriteFormats(ref writer, resultFormats);
        writer.Complete();
    }

    public static void WriteDescribe(IBufferWriter<byte> output, DescribeTarget target, ReadOnlySpan<char> name) =>
        WriteTargeted(output, FrontendMessageType.Describe, target, name);

    /// <summary>Describe of a name as the client sent it: its bytes, whatever the client encoding.</summary>
    public static void WriteDescribe(IBufferWriter<byte> output, DescribeTarget target, ReadOnlySpan<byte> name)
    {
        var writer = PgSpanWriter.Start(output, (byte)FrontendMessageType.Describe, 1 + name.Length + 1);
        writer.WriteByte((byte)target);
        writer.WriteCString(name);
        writer.Complete();
    }

    public static void WriteClose(IBufferWriter<byte> output, DescribeTarget target, ReadOnlySpan<char> name) =>
        WriteTargeted(output, FrontendMessageType.Close, target, name);

    /// <summary>Execute; <paramref name="maxRows"/> 0 fetches all rows.</summary>
    public static void WriteExecute(IBufferWriter<byte> output, ReadOnlySpan<char> portal, int maxRows)
    {
        var writer = PgSpanWriter.Start(output, (byte)FrontendMessageType.Execute, PgSpanWriter.CStringLength(portal) + 4);
        writer.WriteCString(portal);
        writer.WriteInt32(maxRows);
        writer.Complete();
    }

    public static void WriteSync(IBufferWriter<byte> output) =>
        PgSpanWriter.Start(output, (byte)FrontendMessageType.Sync, 0).Complete();

    public static void WriteFlush(IBufferWriter<byte> output) =>
        PgSpanWriter.Start(output, (byte)FrontendMessageType.Flush, 0).Complete();

    private static void WriteTargeted(IBufferWriter<byte> output, FrontendMessageType type, DescribeTarget target, ReadOnlySpan<char> name)
    {
        var writer = PgSpanWriter.Start(output, (byte)type, 1 + PgSpanWriter.CStringLength(name));
        writer.WriteByte((byte)target);
        writer.WriteCString(name);
        writer.Complete();
    }

    private static void WriteFormats(ref PgSpanWriter writer, ReadOnlySpan<PgFormat> formats)
    {
        writer.WriteUInt16((ushort)formats.Length);
        foreach (var format in formats)
        {
            writer.WriteInt16((short)format);
        }
    }

    private static void CheckParameterCount(int count)
    {
        if (count > ushort.MaxValue)
        {
            throw new ArgumentException("The protocol allows at most 65535 parameters or formats.", nameof(count));
        }
    }
}
