using Appliance.Wire.Backend;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Backend;

public class SessionMessageTests
{
    [Fact]
    public void ParameterStatus_RoundTrip()
    {
        var message = ParameterStatusMessage.Parse(PgBytes.Body(o => BackendWriter.WriteParameterStatus(o, "server_version", "15.4"), (byte)'S'));

        Assert.Equal("server_version", PgBytes.Utf8(message.Name));
        Assert.Equal("15.4", PgBytes.Utf8(message.Value));
    }

    [Fact]
    public void ParameterStatus_MissingValue_IsAProtocolViolation()
    {
        Assert.Throws<PgProtocolException>(() => ParameterStatusMessage.Parse("a\0"u8));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(32)]
    [InlineData(256)]
    public void BackendKeyData_RoundTrip_KeepsVariableLengthKeys(int keyLength)
    {
        var key = Enumerable.Range(0, keyLength).Select(i => (byte)(i * 7)).ToArray();

        var message = BackendKeyDataMessage.Parse(PgBytes.Body(o => BackendWriter.WriteBackendKeyData(o, -5, key), (byte)'K'));

        Assert.Equal(-5, message.ProcessId);
        Assert.Equal(key, message.SecretKey.ToArray());
    }

    [Theory]
    [InlineData(3)]
    [InlineData(257)]
    public void BackendKeyData_KeyLengthOutOfRange_IsAProtocolViolation(int keyLength)
    {
        Assert.Throws<PgProtocolException>(() => BackendKeyDataMessage.Parse(new byte[4 + keyLength]));
    }

    [Theory]
    [InlineData('I', "5a0000000549")]
    [InlineData('T', "5a0000000554")]
    [InlineData('E', "5a0000000545")]
    public void ReadyForQuery_RoundTrip_MatchesTheVector(char letter, string hex)
    {
        var status = (TransactionStatus)letter;
        var bytes = PgBytes.Write(o => BackendWriter.WriteReadyForQuery(o, status));

        Assert.Equal(Convert.FromHexString(hex), bytes);
        Assert.Equal(status, ReadyForQueryMessage.Parse(PgBytes.Body(bytes, (byte)'Z')).Status);
    }

    [Theory]
    [InlineData("58")]
    [InlineData("")]
    [InlineData("4949")]
    public void ReadyForQuery_Malformed_IsAProtocolViolation(string hex)
    {
        Assert.Throws<PgProtocolException>(() => ReadyForQueryMessage.Parse(Convert.FromHexString(hex)));
    }

    [Fact]
    public void NegotiateProtocolVersion_RoundTrip_ListsOptions()
    {
        var body = PgBytes.Body(o => BackendWriter.WriteNegotiateProtocolVersion(o, ProtocolVersion.V30, ["_pq_.a", "_pq_.b"]), (byte)'v');

        var message = NegotiateProtocolVersionMessage.Parse(body);

        Assert.Equal(ProtocolVersion.V30, message.Newest);
        Assert.Equal(196608, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(body));
        Assert.Equal(2, message.UnrecognizedOptions.Count);
        Assert.True(message.UnrecognizedOptions.Contains("_pq_.b"u8));
    }

    [Theory]
    [InlineData("00000000ffffffff")]
    [InlineData("000000000000000241")]
    [InlineData("0000000000000001410042")]
    public void NegotiateProtocolVersion_BadCounts_AreProtocolViolations(string hex)
    {
        Assert.Throws<PgProtocolException>(() => NegotiateProtocolVersionMessage.Parse(Convert.FromHexString(hex)));
    }

    [Fact]
    public void NotificationResponse_Parses()
    {
        var message = NotificationResponseMessage.Parse([0, 0, 0, 9, .. "jobs\0done\0"u8]);

        Assert.Equal(9, message.ProcessId);
        Assert.Equal("jobs", PgBytes.Utf8(message.Channel));
        Assert.Equal("done", PgBytes.Utf8(message.Payload));
        Assert.Throws<PgProtocolException>(() => NotificationResponseMessage.Parse([0, 0, 0, 9, .. "jobs\0"u8]));
    }
}
