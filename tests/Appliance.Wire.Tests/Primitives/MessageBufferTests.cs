using System.Buffers;
using Appliance.Wire.Framing;
using Appliance.Wire.Primitives;
using Appliance.Wire.Tests.Support;

namespace Appliance.Wire.Tests.Primitives;

public class MessageBufferTests
{
    [Fact]
    public void GetSpan_SingleSegment_ReturnsTheBytesInPlace()
    {
        var data = new byte[] { 1, 2, 3 };
        using var buffer = new MessageBuffer();

        var span = buffer.GetSpan(new ReadOnlySequence<byte>(data));

        data[0] = 9;
        Assert.Equal(9, span[0]);
    }

    [Fact]
    public void GetSpan_SplitBody_IsCopiedWhole_AndTheBufferIsReused()
    {
        using var buffer = new MessageBuffer();
        var large = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();

        var first = buffer.GetSpan(TestSequence.Chunked(large, 4096)).ToArray();
        var second = buffer.GetSpan(TestSequence.Create([1, 2], [3])).ToArray();

        Assert.Equal(large, first);
        Assert.Equal(new byte[] { 1, 2, 3 }, second);
    }

    [Fact]
    public void GetBody_SplitFrame_IsTheBodyWithoutTheHeader()
    {
        using var buffer = new MessageBuffer();
        var message = PgBytes.Message('d', 1, 2, 3, 4, 5, 6, 7);
        var sequence = TestSequence.Chunked(message, 3);
        Assert.Equal(PgFrameStatus.Complete, PgFrameReader.TryRead(sequence, 100, out var frame, out _, out _));

        var split = buffer.GetBody(frame).ToArray();
        Assert.Equal(PgFrameStatus.Complete, PgFrameReader.TryRead(new ReadOnlySequence<byte>(message), 100, out var whole, out _, out _));

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7 }, split);
        Assert.Equal(split, buffer.GetBody(whole).ToArray());
    }
}
