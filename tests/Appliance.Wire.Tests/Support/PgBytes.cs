using System.Buffers;
using Appliance.Wire.Framing;

namespace Appliance.Wire.Tests.Support;

/// <summary>Builds messages with the real writers and frames them with the real frame reader.</summary>
internal static class PgBytes
{
    public static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Frames exactly one message, checks its type, returns its body.</summary>
    public static byte[] Body(byte[] message, byte expectedType)
    {
        var status = PgFrameReader.TryRead(message, PgLimits.DefaultMaxMessageLength, out var frame);
        Assert.Equal(PgFrameStatus.Complete, status);
        Assert.Equal(message.Length, frame.TotalLength);
        Assert.Equal((char)expectedType, (char)frame.Type);
        return frame.Body.ToArray();
    }

    public static byte[] Body(Action<IBufferWriter<byte>> write, byte expectedType) => Body(Write(write), expectedType);

    /// <summary>A hand-made message: type, correct length word, body.</summary>
    public static byte[] Message(char type, params byte[] body)
    {
        var message = new byte[body.Length + 5];
        message[0] = (byte)type;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), body.Length + 4);
        body.CopyTo(message, 5);
        return message;
    }

    public static string Utf8(ReadOnlySpan<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes);
}
