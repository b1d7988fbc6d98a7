using System.Net.Sockets;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Wire.Backend;

namespace Appliance.Gateway.Postgres.Upstream;

/// <summary>A logged-in upstream session, ready for queries.</summary>
internal sealed class UpstreamConnection(Socket socket, Stream stream, InputBuffer input) : IDisposable
{
    public Socket Socket { get; } = socket;

    public Stream Stream { get; } = stream;

    /// <summary>What the upstream sent that the login did not consume (normally nothing).</summary>
    public InputBuffer Input { get; } = input;

    /// <summary>The upstream backend's pid and cancel key: what a CancelRequest to it must quote.</summary>
    public int ProcessId { get; set; }

    public byte[] SecretKey { get; set; } = [];

    /// <summary>ParameterStatus and NoticeResponse messages of the login, replayed to the client as they came.</summary>
    public List<byte[]> StartupMessages { get; } = [];

    public TransactionStatus Status { get; set; } = TransactionStatus.Idle;

    /// <summary>The client_encoding the login reported.</summary>
    public string ClientEncoding { get; set; } = "UTF8";

    public bool IsTls => Stream is System.Net.Security.SslStream;

    public void Dispose()
    {
        Stream.Dispose();
        Socket.Dispose();
        Input.Dispose();
    }
}
