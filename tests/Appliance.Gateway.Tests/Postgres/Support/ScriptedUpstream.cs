using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Appliance.Wire;
using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Tests.Postgres.Support;

/// <summary>
/// A fake upstream that speaks just enough of the protocol to misbehave on cue (like npgsql's
/// PgServerMock): each accepted connection runs the script the test gave it.
/// </summary>
internal sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<Connection, Task> _script;
    private readonly Task _accepting;

    public ScriptedUpstream(Func<Connection, Task> script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many role checks the gateway asked, counted before each is answered.</summary>
    public int RoleChecks => _roleChecks;

    private int _roleChecks;

    /// <summary>What the gateway sent in its startup message and password messages.</summary>
    public List<string> Received { get; } = [];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            _ = Task.Run(async () =>
            {
                await using var connection = new Connection(socket, this);
                try
                {
                    await connection.ReadStartupAsync();
                    await _script(connection);
                }
                catch (Exception e) when (e is IOException or SocketException or EndOfStreamException)
                {
                    // The gateway hung up: part of several scripts.
                }
            });
        }
    }

    internal sealed class Connection(Socket socket, ScriptedUpstream owner) : IAsyncDisposable
    {
        private readonly NetworkStream _stream = new(socket, ownsSocket: true);
        private readonly ArrayBufferWriter<byte> _input = new();

        /// <summary>Answers an SSLRequest with 'N', then reads the startup message.</summary>
        public async Task ReadStartupAsync()
        {
            var header = new byte[8];
            await _stream.ReadExactlyAsync(header.AsMemory(0, 4));
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header);
            var packet = new byte[length];
            header.AsSpan(0, 4).CopyTo(packet);
            await _stream.ReadExactlyAsync(packet.AsMemory(4));
            StartupPacketReader.TryRead(packet, out var parsed, out _);
            if (parsed is SslRequestPacket)
            {
                await _stream.WriteAsync("N"u8.ToArray());
                await ReadStartupAsync();
                return;
            }

            var startup = Assert.IsType<StartupMessagePacket>(parsed);
            lock (owner.Received)
            {
                owner.Received.Add($"user={startup.User} database={startup.Database}");
            }
        }

        public async Task SendAsync(params Action<IBufferWriter<byte>>[] writes)
        {
            var output = new ArrayBufferWriter<byte>();
            foreach (var write in writes)
            {
                write(output);
            }

            await _stream.WriteAsync(output.WrittenMemory);
        }

        /// <summary>
        /// AuthenticationOk, a few parameters, a key, ReadyForQuery: a login without a password;
        /// then the gateway's check that the role can become no superuser, answered with no row.
        /// </summary>
        public async Task CompleteLoginAsync()
        {
            await SendLoginOkAsync();
            await AnswerRoleCheckAsync(NoSuperuserRole);
        }

        /// <summary>The role check's answer when the role can become no superuser: no row.</summary>
        public static readonly Action<IBufferWriter<byte>>[] NoSuperuserRole =
        [
            o => BackendWriter.WriteCommandComplete(o, "SET"),
            o => BackendWriter.WriteCommandComplete(o, "SELECT 0"),
            o => BackendWriter.WriteReadyForQuery(o, TransactionStatus.Idle),
        ];

        /// <summary>AuthenticationOk, a few parameters, a key, ReadyForQuery: a login without a password.</summary>
        public Task SendLoginOkAsync() => SendAsync(
            BackendWriter.WriteAuthenticationOk,
            o => BackendWriter.WriteParameterStatus(o, "server_version", "15.99 (scripted)"),
            o => BackendWriter.WriteParameterStatus(o, "client_encoding", "UTF8"),
            o => BackendWriter.WriteBackendKeyData(o, 4242, [9, 9, 9, 9]),
            o => BackendWriter.WriteReadyForQuery(o, TransactionStatus.Idle));

        /// <summary>Reads the gateway's check that the role can become no superuser, and sends <paramref name="answer"/>.</summary>
        public async Task AnswerRoleCheckAsync(params Action<IBufferWriter<byte>>[] answer)
        {
            var (type, body) = await ReadAsync();
            if (type != 'Q' || !System.Text.Encoding.UTF8.GetString(body).Contains("rolsuper", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"expected the gateway's superuser check after the login, got message '{type}'");
            }

            Interlocked.Increment(ref owner._roleChecks);
            await SendAsync(answer);
        }

        /// <summary>The next message from the gateway: type and body.</summary>
        public async Task<(char Type, byte[] Body)> ReadAsync()
        {
            while (true)
            {
                if (PgFrameReader.TryRead(_input.WrittenSpan, PgLimits.DefaultMaxMessageLength, out var frame) == PgFrameStatus.Complete)
                {
                    var message = ((char)frame.Type, frame.Body.ToArray());
                    var rest = _input.WrittenSpan[frame.TotalLength..].ToArray();
                    _input.ResetWrittenCount();
                    _input.Write(rest);
                    if (message.Item1 == 'p')
                    {
                        lock (owner.Received)
                        {
                            owner.Received.Add("password=" + System.Text.Encoding.UTF8.GetString(message.Item2).TrimEnd('\0'));
                        }
                    }

                    return message;
                }

                var read = await _stream.ReadAsync(_input.GetMemory(4096));
                if (read == 0)
                {
                    throw new EndOfStreamException();
                }

                _input.Advance(read);
            }
        }

        public async ValueTask DisposeAsync() => await _stream.DisposeAsync();
    }
}
