using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Tests.Postgres.Support;

/// <summary>A received message: type and body.</summary>
internal sealed record PgMessage(char Type, byte[] Body)
{
    public string ErrorField(byte code)
    {
        var error = ErrorOrNoticeMessage.Parse(Body);
        return Encoding.UTF8.GetString(error.GetField(code));
    }

    public string SqlState => ErrorField(Appliance.Wire.Backend.ErrorField.SqlState);

    public string Message => ErrorField(Appliance.Wire.Backend.ErrorField.Message);

    public char Status => (char)Body[0];

    public override string ToString() => Type == 'E' || Type == 'N' ? $"{Type} {SqlState} {Message}" : $"{Type} ({Body.Length} bytes)";
}

/// <summary>
/// A client that speaks the protocol message by message through the codec's writers and frame
/// reader, for what drivers do not let a test control: pipelines, row limits, cancel keys,
/// malformed input.
/// </summary>
internal sealed class RawPgClient : IAsyncDisposable
{
    private readonly ArrayBufferWriter<byte> _input = new();
    private readonly Socket _socket;

    private RawPgClient(Socket socket, Stream stream)
    {
        _socket = socket;
        Stream = stream;
    }

    public Stream Stream { get; private set; }

    public int ProcessId { get; private set; }

    public byte[] SecretKey { get; private set; } = [];

    /// <summary>Parse, Bind and Execute of <paramref name="sql"/> on the unnamed statement and portal.</summary>
    public static Action<IBufferWriter<byte>> Unnamed(string sql) => o =>
    {
        FrontendWriter.WriteParse(o, "", sql, []);
        FrontendWriter.WriteBind(o, "", "", [], [], []);
        FrontendWriter.WriteExecute(o, "", 0);
    };

    /// <summary>A fast-path FunctionCall ('F') of <paramref name="functionOid"/>: no argument formats, no arguments, text result.</summary>
    public static Action<IBufferWriter<byte>> FunctionCall(byte functionOid) =>
        o => o.Write(new byte[] { (byte)'F', 0, 0, 0, 14, 0, 0, 0, functionOid, 0, 0, 0, 0, 0, 0 });

    public static async Task<RawPgClient> ConnectAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);
        return new RawPgClient(socket, new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>Connects and logs in (plaintext, or TLS through SSLRequest); returns once ReadyForQuery arrived.</summary>
    public static async Task<RawPgClient> LoginAsync(int port, string user, string password, string database, bool tls = false)
    {
        var client = tls ? await ConnectTlsAsync(port) : await ConnectAsync(port);
        await client.SendStartupAsync(user, database, password);
        foreach (var message in await client.ReadUntilReadyAsync())
        {
            if (message.Type == 'E')
            {
                throw new InvalidOperationException($"login refused: {message}");
            }

            if (message.Type == 'K')
            {
                var key = BackendKeyDataMessage.Parse(message.Body);
                client.ProcessId = key.ProcessId;
                client.SecretKey = key.SecretKey.ToArray();
            }
        }

        return client;
    }

    /// <summary>Connects, sends SSLRequest, expects 'S' and starts TLS.</summary>
    public static async Task<RawPgClient> ConnectTlsAsync(int port)
    {
        var client = await ConnectAsync(port);
        await client.SendAsync(FrontendWriter.WriteSslRequest);
        Assert.Equal('S', (char)await client.ReadByteAsync());
        await client.StartTlsAsync(alpn: false);
        return client;
    }

    /// <summary>The StartupMessage, then the password for the gateway's cleartext request; what follows is the caller's to read.</summary>
    public async Task SendStartupAsync(string user, string database, string password, params KeyValuePair<string, string>[] parameters)
    {
        await SendAsync(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V30, [new("user", user), new("database", database), .. parameters]));
        var request = await ReadAsync();
        Assert.True(request.Type == 'R', $"expected an authentication request, got {request}");
        await SendAsync(o => FrontendWriter.WritePasswordMessage(o, password));
    }

    public async Task StartTlsAsync(bool alpn)
    {
        var tls = new SslStream(Stream, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            ApplicationProtocols = alpn ? [new SslApplicationProtocol("postgresql"u8.ToArray())] : null,
        });
        Stream = tls;
    }

    public async Task SendAsync(params Action<IBufferWriter<byte>>[] writes)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var write in writes)
        {
            write(output);
        }

        await Stream.WriteAsync(output.WrittenMemory);
        await Stream.FlushAsync();
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await Stream.WriteAsync(bytes);
        await Stream.FlushAsync();
    }

    /// <summary>Half-closes: the gateway sees the end of the client's stream.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public async Task<int> ReadByteAsync()
    {
        var one = new byte[1];
        return await Stream.ReadAsync(one) == 1 ? one[0] : -1;
    }

    /// <summary>The next message; throws <see cref="EndOfStreamException"/> when the gateway closed the connection.</summary>
    public async Task<PgMessage> ReadAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var status = PgFrameReader.TryRead(_input.WrittenSpan, PgLimits.MaxProtocolMessageLength, out var frame);
            if (status == PgFrameStatus.Complete)
            {
                var message = new PgMessage((char)frame.Type, frame.Body.ToArray());
                var rest = _input.WrittenSpan[frame.TotalLength..].ToArray();
                _input.ResetWrittenCount();
                _input.Write(rest);
                return message;
            }

            var read = await Stream.ReadAsync(_input.GetMemory(64 * 1024), cancel.Token);
            if (read == 0)
            {
                throw new EndOfStreamException("The gateway closed the connection.");
            }

            _input.Advance(read);
        }
    }

    /// <summary>The messages up to the first of <paramref name="type"/>, or up to ReadyForQuery if none comes before it.</summary>
    public async Task<List<PgMessage>> ReadUntilAsync(char type, TimeSpan? timeout = null)
    {
        var messages = new List<PgMessage>();
        do
        {
            messages.Add(await ReadAsync(timeout));
        }
        while (messages[^1].Type != type && messages[^1].Type != 'Z');

        return messages;
    }

    public async Task<List<PgMessage>> ReadUntilReadyAsync(TimeSpan? timeout = null)
    {
        var messages = new List<PgMessage>();
        while (true)
        {
            var message = await ReadAsync(timeout);
            messages.Add(message);
            if (message.Type == 'Z')
            {
                return messages;
            }
        }
    }

    /// <summary>Everything until the gateway closes the connection (or the timeout, which fails the test).</summary>
    public async Task<List<PgMessage>> ReadUntilClosedAsync(TimeSpan timeout)
    {
        var messages = new List<PgMessage>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, "the gateway kept the connection open: " + string.Join(", ", messages));
            try
            {
                messages.Add(await ReadAsync(left));
            }
            catch (EndOfStreamException)
            {
                return messages;
            }
            catch (IOException)
            {
                return messages;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _socket.Dispose();
    }
}
