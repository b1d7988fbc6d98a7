using System.Buffers;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Writing;

internal static partial class FrontendWriter
{
    private const byte Password = (byte)FrontendMessageType.Password;

    /// <summary>PasswordMessage: the cleartext password, or the "md5..." hash from <see cref="Authentication.Md5Password"/>.</summary>
    public static void WritePasswordMessage(IBufferWriter<byte> output, ReadOnlySpan<char> password)
    {
        var writer = PgSpanWriter.Start(output, Password, PgSpanWriter.CStringLength(password));
        writer.WriteCString(password);
        writer.Complete();
    }

    public static void WritePasswordMessage(IBufferWriter<byte> output, ReadOnlySpan<byte> password)
    {
        var writer = PgSpanWriter.Start(output, Password, password.Length + 1);
        writer.WriteCString(password);
        writer.Complete();
    }

    public static void WriteSaslInitialResponse(IBufferWriter<byte> output, ReadOnlySpan<char> mechanism, ReadOnlySpan<byte> data)
    {
        var writer = PgSpanWriter.Start(output, Password, PgSpanWriter.CStringLength(mechanism) + 4 + data.Length);
        writer.WriteCString(mechanism);
        writer.WriteInt32(data.Length);
        writer.WriteBytes(data);
        writer.Complete();
    }

    public static void WriteSaslResponse(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        var writer = PgSpanWriter.Start(output, Password, data.Length);
        writer.WriteBytes(data);
        writer.Complete();
    }
}
