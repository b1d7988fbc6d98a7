using System.Buffers;
using System.Net.Sockets;
using Appliance.Wire.Framing;

namespace Appliance.Wire.Tests.Support;

/// <summary>
/// A bare TCP client that speaks to a real PostgreSQL only through the codec under test:
/// writers build every message, the frame reader splits every reply.
/// </summary>
internal sealed class RawPgClient : IAsyncDisposable
{
    private readonly TcpClient _tcp = new();
    private readonly ArrayBufferWriter<byte> _input = new();
    private NetworkStream? _stream;

    public static async Task<RawPgClient> ConnectAsync(string host, int port)
    {
        var client = new RawPgClient();
        await client._tcp.ConnectAsync(host, port);
        client._stream = client._tcp.GetStream();
        return client;
    }

    public async Task SendAsync(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        await _stream!.WriteAsync(output.WrittenMemory);
    }

    public async Task<int> ReadByteAsync()
    {
        var one = new byte[1];
        return await _stream!.ReadAsync(one) == 1 ? one[0] : -1;
    }

    /// <summary>The next message's type and body, reading from the socket until one is whole.</summary>
    public async Task<(char Type, byte[] Body)> ReadMessageAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var status = PgFrameReader.TryRead(_input.WrittenSpan, PgLimits.DefaultMaxMessageLength, out var frame);
            if (status == PgFrameStatus.Complete)
            {
                var result = ((char)frame.Type, frame.Body.ToArray());
                var rest = _input.WrittenSpan[frame.TotalLength..].ToArray();
                _input.ResetWrittenCount();
                _input.Write(rest);
                return result;
            }

            Assert.Equal(PgFrameStatus.Incomplete, status);
            var read = await _stream!.ReadAsync(_input.GetMemory(4096), timeout.Token);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }

            _input.Advance(read);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }

        _tcp.Dispose();
    }
}
