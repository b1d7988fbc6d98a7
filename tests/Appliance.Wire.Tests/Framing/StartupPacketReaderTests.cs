using System.Buffers;
using System.Buffers.Binary;
using Appliance.Wire.Framing;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Framing;

public class StartupPacketReaderTests
{
    private static readonly KeyValuePair<string, string>[] Parameters =
    [
        new("user", "alice"),
        new("database", "shop"),
        new("application_name", "psql ünïcode"),
    ];

    [Fact]
    public void TryRead_StartupMessage30_ReturnsVersionAndParametersInOrder()
    {
        var bytes = PgBytes.Write(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V30, Parameters));

        Assert.True(StartupPacketReader.TryRead(bytes, out var packet, out var consumed));

        var startup = Assert.IsType<StartupMessagePacket>(packet);
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(ProtocolVersion.V30, startup.Version);
        Assert.Equal(Parameters, startup.Parameters);
        Assert.Equal("alice", startup.User);
        Assert.Equal("shop", startup.Database);
    }

    [Fact]
    public void TryRead_KnownVectorFor30_Parses()
    {
        // Int32 len, Int32 196608, "user\0u\0", "\0"
        var bytes = Convert.FromHexString("00000010000300007573657200750000");

        Assert.True(StartupPacketReader.TryRead(bytes, out var packet, out _));

        var startup = Assert.IsType<StartupMessagePacket>(packet);
        Assert.Equal(196608, startup.Version.Code);
        Assert.Equal("u", startup.User);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void TryRead_LaterMinorVersion_ReturnsTheRequestedVersionForNegotiation(ushort minor)
    {
        var bytes = PgBytes.Write(o => FrontendWriter.WriteStartupMessage(
            o, new ProtocolVersion(3, minor), [new("user", "bob"), new("_pq_.example", "1")]));

        Assert.True(StartupPacketReader.TryRead(bytes, out var packet, out _));

        var startup = Assert.IsType<StartupMessagePacket>(packet);
        Assert.Equal(minor, startup.Version.Minor);
        Assert.Equal(["_pq_.example"], startup.ProtocolOptions);
    }

    [Fact]
    public void TryRead_Protocol2_IsRefusedAsFeatureNotSupported()
    {
        var bytes = PgBytes.Write(o => FrontendWriter.WriteStartupMessage(o, new ProtocolVersion(2, 0), [new("user", "bob")]));

        var error = Assert.Throws<PgProtocolException>(() => StartupPacketReader.TryRead(bytes, out _, out _));

        Assert.Equal(SqlStates.FeatureNotSupported, error.SqlState);
        Assert.Contains("2.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_SslRequest_IsRecognisedFromItsVector()
    {
        Assert.True(StartupPacketReader.TryRead(Convert.FromHexString("0000000804d2162f"), out var packet, out var consumed));

        Assert.IsType<SslRequestPacket>(packet);
        Assert.Equal(8, consumed);
        Assert.Equal(Convert.FromHexString("0000000804d2162f"), PgBytes.Write(FrontendWriter.WriteSslRequest));
    }

    [Fact]
    public void TryRead_GssEncRequest_IsRecognised()
    {
        var bytes = PgBytes.Write(FrontendWriter.WriteGssEncRequest);

        Assert.True(StartupPacketReader.TryRead(bytes, out var packet, out _));

        Assert.IsType<GssEncRequestPacket>(packet);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(32)]
    [InlineData(256)]
    public void TryRead_CancelRequest_ReturnsPidAndKey(int keyLength)
    {
        var key = Enumerable.Range(1, keyLength).Select(i => (byte)i).ToArray();
        var bytes = PgBytes.Write(o => FrontendWriter.WriteCancelRequest(o, 4242, key));

        Assert.True(StartupPacketReader.TryRead(bytes, out var packet, out var consumed));

        var cancel = Assert.IsType<CancelRequestPacket>(packet);
        Assert.Equal(4242, cancel.ProcessId);
        Assert.Equal(key, cancel.SecretKey);
        Assert.Equal(12 + keyLength, consumed);
    }

    [Fact]
    public void TryRead_CancelRequestWithShortKey_IsAProtocolViolation()
    {
        var bytes = Convert.FromHexString("0000000f04d2162e00001092aabbcc");

        Assert.Throws<PgProtocolException>(() => StartupPacketReader.TryRead(bytes, out _, out _));
    }

    [Fact]
    public void TryRead_TlsClientHello_ConsumesNothing()
    {
        var bytes = new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00 };

        Assert.True(StartupPacketReader.TryRead(bytes, out var packet, out var consumed));
        Assert.True(StartupPacketReader.TryRead(new ReadOnlySequence<byte>(bytes), out var fromSequence, out var position, out _));

        Assert.IsType<DirectTlsHandshake>(packet);
        Assert.IsType<DirectTlsHandshake>(fromSequence);
        Assert.Equal(0, consumed);
        Assert.Equal(0, position.GetInteger());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(10001)]
    [InlineData(-8)]
    public void TryRead_LengthOutOfBounds_IsAProtocolViolationBeforeTheBodyArrives(int length)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, length);

        var error = Assert.Throws<PgProtocolException>(() => StartupPacketReader.TryRead(bytes, out _, out _));

        Assert.Contains("startup packet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_TruncatedAtEveryOffset_IsIncomplete()
    {
        var bytes = PgBytes.Write(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V30, Parameters));

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(StartupPacketReader.TryRead(bytes.AsSpan(0, length), out _, out _));
            Assert.False(StartupPacketReader.TryRead(new ReadOnlySequence<byte>(bytes, 0, length), out _, out var consumed, out _));
            Assert.Equal(0, consumed.GetInteger());
        }
    }

    [Fact]
    public void TryRead_SplitAcrossSegments_ParsesAndReportsTheEnd()
    {
        byte[] bytes = [.. PgBytes.Write(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V32, Parameters)), (byte)'p'];
        var buffer = TestSequence.Chunked(bytes, 6);

        Assert.True(StartupPacketReader.TryRead(buffer, out var packet, out var consumed, out var examined));

        Assert.Equal(ProtocolVersion.V32, Assert.IsType<StartupMessagePacket>(packet).Version);
        Assert.Equal(bytes.Length - 1, buffer.Slice(0, consumed).Length);
        Assert.Equal(consumed, examined);
    }

    [Theory]
    [InlineData("00030000750076", "value without NUL")]
    [InlineData("0003000075007600", "no terminator after the last value")]
    [InlineData("0003000075736572", "name without NUL")]
    [InlineData("00030000", "no terminator at all")]
    [InlineData("00030000750076000000", "an empty name where the terminator should be last")]
    [InlineData("000300007500760000aa", "bytes after the terminator")]
    [InlineData("04d2162f00000000", "SSLRequest with extra bytes")]
    [InlineData("04d2163000000000", "GSSENCRequest with extra bytes")]
    [InlineData("04d2162e000010", "CancelRequest without a whole pid")]
    public void TryRead_MalformedPacket_IsAProtocolViolation(string hexAfterLength, string why)
    {
        var bytes = Packet(Convert.FromHexString(hexAfterLength));

        var error = Assert.Throws<PgProtocolException>(() => StartupPacketReader.TryRead(bytes, out _, out _));

        Assert.True(error.SqlState == SqlStates.ProtocolViolation, why);
    }

    [Fact]
    public void TryRead_ParameterNotUtf8_IsAProtocolViolation()
    {
        var bytes = Packet([0, 3, 0, 0, (byte)'u', 0, 0xFF, 0xFE, 0, 0]);

        var error = Assert.Throws<PgProtocolException>(() => StartupPacketReader.TryRead(bytes, out _, out _));

        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Packet(byte[] afterLength)
    {
        var bytes = new byte[afterLength.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, bytes.Length);
        afterLength.CopyTo(bytes, 4);
        return bytes;
    }
}
