using System.Buffers;
using Appliance.Wire.Backend;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

/// <summary>COPY sub-protocol messages. CopyData and CopyDone are the same in both directions.</summary>
internal static class CopyWriter
{
    /// <summary>The header, then the data copied in as many chunks as the output hands out: COPY rows can be large.</summary>
    public static void WriteCopyData(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        PgSpanWriter.WriteHeader(output, (byte)BackendMessageType.CopyData, data.Length);
        output.Write(data);
    }

    public static void WriteCopyDone(IBufferWriter<byte> output) =>
        PgSpanWriter.Start(output, (byte)BackendMessageType.CopyDone, 0).Complete();

    /// <summary>Frontend only: abort COPY FROM STDIN.</summary>
    public static void WriteCopyFail(IBufferWriter<byte> output, ReadOnlySpan<char> reason)
    {
        var writer = PgSpanWriter.Start(output, (byte)FrontendMessageType.CopyFail, PgSpanWriter.CStringLength(reason));
        writer.WriteCString(reason);
        writer.Complete();
    }

    /// <summary>CopyInResponse 'G', CopyOutResponse 'H' or CopyBothResponse 'W'.</summary>
    public static void WriteCopyResponse(IBufferWriter<byte> output, BackendMessageType type, PgFormat overallFormat, ReadOnlySpan<PgFormat> columnFormats)
    {
        if (type is not (BackendMessageType.CopyInResponse or BackendMessageType.CopyOutResponse or BackendMessageType.CopyBothResponse))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not a COPY response type.");
        }

        var writer = PgSpanWriter.Start(output, (byte)type, 1 + 2 + (2 * columnFormats.Length));
        writer.WriteByte((byte)overallFormat);
        writer.WriteInt16(checked((short)columnFormats.Length));
        foreach (var format in columnFormats)
        {
            writer.WriteInt16((short)format);
        }

        writer.Complete();
    }
}
