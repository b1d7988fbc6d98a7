using System.Net;
using System.Net.Sockets;
using Appliance.Gateway.Postgres.Listener;
using Appliance.Tests.Common.Gateway;

namespace Appliance.Gateway.Tests.Postgres.Listener;

/// <summary>Connections that never log in cannot make the gateway hold a thread each without bound.</summary>
public sealed class HandshakeLimitTests
{
    [Fact]
    public void Limiter_CountsPerAddressAndInTotal_AndFreesOnExit()
    {
        var limiter = new HandshakeLimiter(total: 3, perAddress: 2);
        var a = IPAddress.Parse("10.0.0.1");
        var b = IPAddress.Parse("10.0.0.2");

        Assert.Null(limiter.TryEnter(a));
        Assert.Null(limiter.TryEnter(a));
        Assert.Contains("from 10.0.0.1", limiter.TryEnter(a), StringComparison.Ordinal);
        Assert.Null(limiter.TryEnter(b));
        Assert.Contains("at most 3 at once", limiter.TryEnter(IPAddress.Parse("10.0.0.3")), StringComparison.Ordinal);

        limiter.Exit(a);
        Assert.Null(limiter.TryEnter(a));
        limiter.Exit(b);
        Assert.Null(limiter.TryEnter(null));
    }

    [Fact]
    public async Task SilentConnectionsBeyondTheLimit_GetFatal53300AtOnce_AndRoomComesBackWhenOneLeaves()
    {
        // A limit of 4 in total is 1 per address: one silent socket fills loopback's share.
        await using var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with
        {
            Settings = new Dictionary<string, string?> { ["APPLIANCE_PG_MAX_HANDSHAKES"] = "4" },
        });
        var port = gateway.Service<PostgresListenerInfo>().Port;

        // The silent socket can lose loopback's one slot to a probe whose handler ran first (under
        // load): it is then refused and closed, and is made again, until it holds the slot while a
        // probe is refused.
        Socket? silent = null;
        try
        {
            await WaitUntilAsync(async () =>
            {
                if (silent is null || silent.Poll(0, SelectMode.SelectRead))
                {
                    silent?.Dispose();
                    silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    await silent.ConnectAsync(IPAddress.Loopback, port);
                }

                return (await FirstAnswerAsync(port)).Type == 'E' && !silent.Poll(0, SelectMode.SelectRead);
            });

            var refused = await FirstAnswerAsync(port);
            Assert.Equal('E', refused.Type);
            Assert.Contains("53300", refused.Text, StringComparison.Ordinal);
            Assert.Contains("too many connections are logging in from", refused.Text, StringComparison.Ordinal);
        }
        finally
        {
            silent?.Dispose();
        }

        await WaitUntilAsync(async () => (await FirstAnswerAsync(port)).Type is 'S' or 'N');
    }

    /// <summary>Sends an SSLRequest and returns the first byte of the answer ('S' or 'N': a handshake started; 'E': refused) and the rest.</summary>
    private static async Task<(char Type, string Text)> FirstAnswerAsync(int port)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        byte[] sslRequest = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
        try
        {
            await socket.SendAsync(sslRequest);
        }
        catch (SocketException)
        {
            // Refused before it read anything: the answer is already waiting.
        }

        var buffer = new byte[512];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return read == 0 ? ('\0', "") : ((char)buffer[0], System.Text.Encoding.UTF8.GetString(buffer, 1, read - 1));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        // Generous: under the whole suite's load on two cores, 10 s once ran out before the count changed.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the gateway's handshake count did not change in time");
            await Task.Delay(50);
        }
    }
}
