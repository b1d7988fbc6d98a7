using System.Buffers;
using Appliance.Wire.Backend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

internal static partial class BackendWriter
{
    public static void WriteParseComplete(IBufferWriter<byte> output) => WriteEmpty(output, BackendMessageType.ParseComplete);

    public static void WriteBindComplete(IBufferWriter<byte> output) => WriteEmpty(output, BackendMessageType.BindComplete);

    public static void WriteCloseComplete(IBufferWriter<byte> output) => WriteEmpty(output, BackendMessageType.CloseComplete);

    public static void WriteNoData(IBufferWriter<byte> output) => WriteEmpty(output, BackendMessageType.NoData);

    public static void WritePortalSuspended(IBufferWriter<byte> output) => WriteEmpty(output, BackendMessageType.PortalSuspended);

    public static void WriteParameterDescription(IBufferWriter<byte> output, ReadOnlySpan<uint> parameterTypes)
    {
        if (parameterTypes.Length > ushort.MaxValue)
        {
            throw new ArgumentException("At most 65535 parameters.", nameof(parameterTypes));
        }

        var writer = PgSpanWriter.Start(output, (byte)BackendMessageType.ParameterDescription, 2 + (4 * parameterTypes.Length));
        writer.WriteUInt16((ushort)parameterTypes.Length);
        foreach (var type in parameterTypes)
        {
            writer.WriteUInt32(type);
        }

        writer.Complete();
    }
}
