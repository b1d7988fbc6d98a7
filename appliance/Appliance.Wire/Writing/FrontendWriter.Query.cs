using System.Buffers;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

internal static partial class FrontendWriter
{
    public static void WriteQuery(IBufferWriter<byte> output, ReadOnlySpan<char> sql)
    {
        var writer = PgSpanWriter.Start(output, (byte)FrontendMessageType.Query, PgSpanWriter.CStringLength(sql));
        writer.WriteCString(sql);
        writer.Complete();
    }

    /// <summary>For SQL already held as UTF-8 (a statement released after review, exactly as the client sent it).</summary>
    public static void WriteQuery(IBufferWriter<byte> output, ReadOnlySpan<byte> sql)
    {
        var writer = PgSpanWriter.Start(output, (byte)FrontendMessageType.Query, sql.Length + 1);
        writer.WriteCString(sql);
        writer.Complete();
    }

    public static void WriteTerminate(IBufferWriter<byte> output) =>
        PgSpanWriter.Start(output, (byte)FrontendMessageType.Terminate, 0).Complete();
}
