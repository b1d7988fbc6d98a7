using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Writing;

public class WriterTests
{
    [Fact]
    public void WriteAuthenticationMd5Password_WrongSaltLength_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => PgBytes.Write(o => BackendWriter.WriteAuthenticationMd5Password(o, [1, 2, 3])));
    }

    [Fact]
    public void WriteBackendKeyData_KeyOutOfRange_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => PgBytes.Write(o => BackendWriter.WriteBackendKeyData(o, 1, [1, 2, 3])));
        Assert.Throws<ArgumentException>(() => PgBytes.Write(o => FrontendWriter.WriteCancelRequest(o, 1, new byte[257])));
    }

    [Fact]
    public void WriteStartupMessage_AboveTheServersLimit_IsRefused()
    {
        var huge = new string('x', PgLimits.MaxStartupPacketLength);

        Assert.Throws<ArgumentException>(() => PgBytes.Write(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V30, [new("options", huge)])));
    }

    [Fact]
    public void Writers_AppendToWhatIsAlreadyWritten()
    {
        var bytes = PgBytes.Write(o =>
        {
            BackendWriter.WriteAuthenticationOk(o);
            BackendWriter.WriteParameterStatus(o, "client_encoding", "UTF8");
            BackendWriter.WriteBackendKeyData(o, 77, [9, 9, 9, 9]);
            BackendWriter.WriteReadyForQuery(o, TransactionStatus.Idle);
        });

        var types = new List<char>();
        var rest = bytes.AsSpan();
        while (PgFrameReader.TryRead(rest, 1000, out var frame) == PgFrameStatus.Complete)
        {
            types.Add((char)frame.Type);
            rest = rest[frame.TotalLength..];
        }

        Assert.Equal(['R', 'S', 'K', 'Z'], types);
        Assert.True(rest.IsEmpty);
    }
}
