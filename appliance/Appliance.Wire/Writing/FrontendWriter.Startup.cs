using System.Buffers;
using Appliance.Wire.Framing;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

/// <summary>Writers for client-to-server messages: the gateway's upstream leg.</summary>
internal static partial class FrontendWriter
{
    /// <summary>StartupMessage: version, then name/value pairs, then a terminating NUL.</summary>
    public static void WriteStartupMessage(
        IBufferWriter<byte> output,
        ProtocolVersion version,
        ReadOnlySpan<KeyValuePair<string, string>> parameters)
    {
        var length = 4 + 1;
        foreach (var (name, value) in parameters)
        {
            length += PgSpanWriter.CStringLength(name) + PgSpanWriter.CStringLength(value);
        }

        if (length + 4 > PgLimits.MaxStartupPacketLength)
        {
            throw new ArgumentException("The startup parameters exceed the server's 10000-byte startup packet limit.", nameof(parameters));
        }

        var writer = PgSpanWriter.StartUntyped(output, length);
        writer.WriteInt32(version.Code);
        foreach (var (name, value) in parameters)
        {
            writer.WriteCString(name);
            writer.WriteCString(value);
        }

        writer.WriteByte(0);
        writer.Complete();
    }

    public static void WriteSslRequest(IBufferWriter<byte> output) => WriteRequestCode(output, StartupPacketReader.SslRequestCode);

    public static void WriteGssEncRequest(IBufferWriter<byte> output) => WriteRequestCode(output, StartupPacketReader.GssEncRequestCode);

    /// <summary>Sent on a new connection; the server closes it without answering.</summary>
    public static void WriteCancelRequest(IBufferWriter<byte> output, int processId, ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length is < PgLimits.MinCancelKeyLength or > PgLimits.MaxCancelKeyLength)
        {
            throw new ArgumentException("A cancel key is 4 to 256 bytes.", nameof(secretKey));
        }

        var writer = PgSpanWriter.StartUntyped(output, 8 + secretKey.Length);
        writer.WriteInt32(StartupPacketReader.CancelRequestCode);
        writer.WriteInt32(processId);
        writer.WriteBytes(secretKey);
        writer.Complete();
    }

    private static void WriteRequestCode(IBufferWriter<byte> output, int code)
    {
        var writer = PgSpanWriter.StartUntyped(output, 4);
        writer.WriteInt32(code);
        writer.Complete();
    }
}
