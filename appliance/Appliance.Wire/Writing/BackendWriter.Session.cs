using System.Buffers;
using Appliance.Wire.Backend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

internal static partial class BackendWriter
{
    public static void WriteParameterStatus(IBufferWriter<byte> output, ReadOnlySpan<char> name, ReadOnlySpan<char> value)
    {
        var writer = PgSpanWriter.Start(
            output,
            (byte)BackendMessageType.ParameterStatus,
            PgSpanWriter.CStringLength(name) + PgSpanWriter.CStringLength(value));
        writer.WriteCString(name);
        writer.WriteCString(value);
        writer.Complete();
    }

    /// <summary>The gateway's own pid/key, never the upstream's: cancels come to the gateway, which maps them.</summary>
    public static void WriteBackendKeyData(IBufferWriter<byte> output, int processId, ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length is < PgLimits.MinCancelKeyLength or > PgLimits.MaxCancelKeyLength)
        {
            throw new ArgumentException("A cancel key is 4 bytes (protocol 3.0) or up to 256 (3.2).", nameof(secretKey));
        }

        var writer = PgSpanWriter.Start(output, (byte)BackendMessageType.BackendKeyData, 4 + secretKey.Length);
        writer.WriteInt32(processId);
        writer.WriteBytes(secretKey);
        writer.Complete();
    }

    public static void WriteReadyForQuery(IBufferWriter<byte> output, TransactionStatus status)
    {
        var writer = PgSpanWriter.Start(output, (byte)BackendMessageType.ReadyForQuery, 1);
        writer.WriteByte((byte)status);
        writer.Complete();
    }

    /// <summary>
    /// Sent right after the StartupMessage when the client asked for a newer minor version or for
    /// _pq_ options the gateway does not know. The version goes out whole (major in the high 16
    /// bits), as PostgreSQL sends it: libpq 18 reads a bare minor number as a downgrade below 3.0.
    /// </summary>
    public static void WriteNegotiateProtocolVersion(IBufferWriter<byte> output, ProtocolVersion newest, ReadOnlySpan<string> unrecognizedOptions)
    {
        var length = 8;
        foreach (var option in unrecognizedOptions)
        {
            length += PgSpanWriter.CStringLength(option);
        }

        var writer = PgSpanWriter.Start(output, (byte)BackendMessageType.NegotiateProtocolVersion, length);
        writer.WriteInt32(newest.Code);
        writer.WriteInt32(unrecognizedOptions.Length);
        foreach (var option in unrecognizedOptions)
        {
            writer.WriteCString(option);
        }

        writer.Complete();
    }
}
