using System.Net.Sockets;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Wire.Framing;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Tests.Postgres.Relay;

public sealed class BufferTests
{
    [Fact]
    public void InputBuffer_FramesAMessageLargerThanItself_ArrivingInPieces()
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        FrontendWriter.WriteQuery(output, "SELECT '" + new string('x', 200_000) + "'");
        var message = output.WrittenSpan.ToArray();
        using var stream = new TrickleStream(message, 7_000);
        using var input = new InputBuffer();

        PgFrameStatus status;
        while ((status = input.TryRead(1 << 20, out _)) == PgFrameStatus.Incomplete)
        {
            Assert.True(input.Fill(stream));
        }

        Assert.Equal(PgFrameStatus.Complete, status);
        input.TryRead(1 << 20, out var frame);
        Assert.Equal(message.Length, frame.TotalLength);
        Assert.True(frame.Message.SequenceEqual(message));
        input.Consume(frame.TotalLength);
        Assert.Equal(0, input.Length);
    }

    [Fact]
    public void InputBuffer_RefusesAnAnnouncedLengthAboveTheLimit_WithoutWaitingForIt()
    {
        using var input = new InputBuffer();
        using var stream = new MemoryStream([(byte)'Q', 0x10, 0, 0, 0]);
        input.Fill(stream);

        Assert.Equal(PgFrameStatus.TooLarge, input.TryRead(1 << 20, out var frame));
        Assert.Equal(0x10000000, frame.Length);
    }

    [Fact]
    public void OutputBuffer_SendsWhatANonBlockingSocketTakes_AndTheRestLater_InOrder()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var sender = new Socket(SocketType.Stream, ProtocolType.Tcp);
        sender.Connect(listener.LocalEndpoint);
        using var receiver = listener.AcceptSocket();
        sender.Blocking = false;
        sender.NoDelay = true;
        using var output = new OutputBuffer();
        var payload = Enumerable.Range(0, 16_000_000).Select(i => (byte)(i * 31)).ToArray();
        output.Write(payload);

        Assert.False(output.TrySendTo(sender), "16 MB fit no socket buffer while nobody reads");
        var received = new List<byte>();
        var chunk = new byte[1 << 20];
        while (!output.TrySendTo(sender) || received.Count < payload.Length)
        {
            var read = receiver.Receive(chunk);
            received.AddRange(chunk.AsSpan(0, read).ToArray());
        }

        Assert.Equal(0, output.Pending);
        Assert.True(received.ToArray().AsSpan().SequenceEqual(payload));
    }

    /// <summary>Hands out at most a few bytes per read, like a slow network.</summary>
    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, step));
    }
}
