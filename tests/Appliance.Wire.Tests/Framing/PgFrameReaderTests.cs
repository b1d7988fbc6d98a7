using System.Buffers;
using Appliance.Wire.Framing;
using Appliance.Wire.Tests.Support;

namespace Appliance.Wire.Tests.Framing;

public class PgFrameReaderTests
{
    private static readonly byte[] Query = PgBytes.Message('Q', "select 1\0"u8.ToArray());

    [Fact]
    public void TryRead_WholeMessageInOneSegment_ReturnsItAndConsumesExactlyIt()
    {
        var buffer = new ReadOnlySequence<byte>([.. Query, (byte)'X']);

        var status = PgFrameReader.TryRead(buffer, 1000, out var frame, out var consumed, out var examined);

        Assert.Equal(PgFrameStatus.Complete, status);
        Assert.Equal((byte)'Q', frame.Type);
        Assert.Equal(Query.Length - 1, frame.Length);
        Assert.Equal("select 1\0", PgBytes.Utf8(frame.Body.ToArray()));
        Assert.Equal(Query, frame.Message.ToArray());
        Assert.Equal(Query.Length, buffer.Slice(0, consumed).Length);
        Assert.Equal(consumed, examined);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    public void TryRead_MessageSplitAcrossSegments_ReturnsTheSameBytes(int segmentSize)
    {
        var buffer = TestSequence.Chunked(Query, segmentSize);

        var status = PgFrameReader.TryRead(buffer, 1000, out var frame, out var consumed, out _);

        Assert.Equal(PgFrameStatus.Complete, status);
        Assert.Equal((byte)'Q', frame.Type);
        Assert.Equal("select 1\0", PgBytes.Utf8(frame.Body.ToArray()));
        Assert.Equal(buffer.End, consumed);
    }

    [Fact]
    public void TryRead_TruncatedAtEveryOffset_IsIncompleteAndConsumesNothing()
    {
        for (var length = 0; length < Query.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(Query, 0, length);

            var status = PgFrameReader.TryRead(buffer, 1000, out var frame, out var consumed, out var examined);

            Assert.Equal(PgFrameStatus.Incomplete, status);
            Assert.Equal(buffer.Start, consumed);
            Assert.Equal(buffer.End, examined);
            Assert.Equal(length >= 5 ? Query.Length - 1 : 0, frame.Length);
            Assert.True(frame.Message.IsEmpty);
        }
    }

    [Fact]
    public void TryRead_SpanTruncatedAtEveryOffset_IsIncomplete()
    {
        for (var length = 0; length < Query.Length; length++)
        {
            Assert.Equal(PgFrameStatus.Incomplete, PgFrameReader.TryRead(Query.AsSpan(0, length), 1000, out _));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void TryRead_LengthBelowFour_IsAProtocolViolation(int length)
    {
        var message = new byte[] { (byte)'Q', 0, 0, 0, 0 };
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), length);

        var fromSequence = Assert.Throws<PgProtocolException>(() =>
            PgFrameReader.TryRead(new ReadOnlySequence<byte>(message), 1000, out _, out _, out _));
        var fromSpan = Assert.Throws<PgProtocolException>(() => PgFrameReader.TryRead(message, 1000, out _));

        Assert.Equal(SqlStates.ProtocolViolation, fromSequence.SqlState);
        Assert.Contains("length", fromSpan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_LengthAboveMaximum_IsTooLargeBeforeTheBodyArrives()
    {
        var header = new byte[] { (byte)'D', 0x00, 0x10, 0x00, 0x00 };

        var status = PgFrameReader.TryRead(new ReadOnlySequence<byte>(header), 65536, out var frame, out var consumed, out _);

        Assert.Equal(PgFrameStatus.TooLarge, status);
        Assert.Equal(0x100000, frame.Length);
        Assert.Equal((byte)'D', frame.Type);
        Assert.Equal(0, consumed.GetInteger());
        Assert.Equal(PgFrameStatus.TooLarge, PgFrameReader.TryRead(header, 65536, out _));
    }

    [Fact]
    public void TryRead_LengthEqualToMaximum_IsAccepted()
    {
        var message = PgBytes.Message('d', new byte[96]);

        Assert.Equal(PgFrameStatus.Complete, PgFrameReader.TryRead(message, 100, out var frame));
        Assert.Equal(96, frame.Body.Length);
        Assert.Equal(PgFrameStatus.TooLarge, PgFrameReader.TryRead(message, 99, out _));
    }

    [Fact]
    public void TryRead_SeveralMessagesInABuffer_ReadsThemInOrder()
    {
        byte[] data = [.. Query, .. PgBytes.Message('S'), .. PgBytes.Message('X')];
        var buffer = TestSequence.Chunked(data, 3);
        var types = new List<char>();

        while (PgFrameReader.TryRead(buffer, 1000, out var frame, out var consumed, out _) == PgFrameStatus.Complete)
        {
            types.Add((char)frame.Type);
            buffer = buffer.Slice(consumed);
        }

        Assert.Equal(['Q', 'S', 'X'], types);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void TryRead_EmptyBodyMessage_HasEmptyBody()
    {
        Assert.Equal(PgFrameStatus.Complete, PgFrameReader.TryRead(PgBytes.Message('S'), 1000, out var frame));
        Assert.Equal(4, frame.Length);
        Assert.Equal(5, frame.TotalLength);
        Assert.True(frame.Body.IsEmpty);
    }
}
