using System.Buffers;
using Appliance.Wire.Backend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

/// <summary>Writers for server-to-client messages the gateway originates. Each writes one whole message.</summary>
internal static partial class BackendWriter
{
    private const byte Authentication = (byte)BackendMessageType.Authentication;

    public static void WriteAuthenticationOk(IBufferWriter<byte> output) => WriteAuthenticationCode(output, AuthenticationKind.Ok);

    /// <summary>How the gateway asks a client for its token: the client answers with a PasswordMessage.</summary>
    public static void WriteAuthenticationCleartextPassword(IBufferWriter<byte> output) =>
        WriteAuthenticationCode(output, AuthenticationKind.CleartextPassword);

    public static void WriteAuthenticationMd5Password(IBufferWriter<byte> output, ReadOnlySpan<byte> salt)
    {
        if (salt.Length != 4)
        {
            throw new ArgumentException("An MD5 salt is 4 bytes.", nameof(salt));
        }

        var writer = PgSpanWriter.Start(output, Authentication, 8);
        writer.WriteInt32((int)AuthenticationKind.Md5Password);
        writer.WriteBytes(salt);
        writer.Complete();
    }

    public static void WriteAuthenticationSasl(IBufferWriter<byte> output, ReadOnlySpan<string> mechanisms)
    {
        var length = 4 + 1;
        foreach (var mechanism in mechanisms)
        {
            length += PgSpanWriter.CStringLength(mechanism);
        }

        var writer = PgSpanWriter.Start(output, Authentication, length);
        writer.WriteInt32((int)AuthenticationKind.Sasl);
        foreach (var mechanism in mechanisms)
        {
            writer.WriteCString(mechanism);
        }

        writer.WriteByte(0);
        writer.Complete();
    }

    public static void WriteAuthenticationSaslContinue(IBufferWriter<byte> output, ReadOnlySpan<byte> data) =>
        WriteAuthenticationData(output, AuthenticationKind.SaslContinue, data);

    public static void WriteAuthenticationSaslFinal(IBufferWriter<byte> output, ReadOnlySpan<byte> data) =>
        WriteAuthenticationData(output, AuthenticationKind.SaslFinal, data);

    private static void WriteAuthenticationCode(IBufferWriter<byte> output, AuthenticationKind kind)
    {
        var writer = PgSpanWriter.Start(output, Authentication, 4);
        writer.WriteInt32((int)kind);
        writer.Complete();
    }

    private static void WriteAuthenticationData(IBufferWriter<byte> output, AuthenticationKind kind, ReadOnlySpan<byte> data)
    {
        var writer = PgSpanWriter.Start(output, Authentication, 4 + data.Length);
        writer.WriteInt32((int)kind);
        writer.WriteBytes(data);
        writer.Complete();
    }
}
