using System.Net;
using System.Net.Sockets;
using Appliance.Gateway.Postgres.Loop;

// The floor under the gateway's throughput: a byte relay on the gateway's event-loop mechanics
// (one epoll loop thread, Socket.Receive and Socket.Send, TCP_NODELAY both ways) that parses,
// checks, masks and records nothing. bench/pgbench.sh runs it next to pgbouncer, so what the
// gateway costs beyond it is the price of enforcement, not of the runtime.
//   RelayFloor LISTEN_PORT UPSTREAM_PORT      (both on 127.0.0.1)
if (args.Length != 2 || !int.TryParse(args[0], out var listenPort) || !int.TryParse(args[1], out var upstreamPort))
{
    Console.Error.WriteLine("usage: RelayFloor LISTEN_PORT UPSTREAM_PORT");
    return 2;
}

using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Loopback, listenPort));
listener.Listen(1024);
var relay = new Relay();
new Thread(relay.Run) { IsBackground = true, Name = "relay-loop" }.Start();
Console.WriteLine($"relay floor on {listenPort} -> {upstreamPort}");
while (true)
{
    var client = listener.Accept();
    var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    try
    {
        upstream.Connect(new IPEndPoint(IPAddress.Loopback, upstreamPort));
        relay.Add(client, upstream);
    }
    catch (SocketException)
    {
        client.Dispose();
        upstream.Dispose();
    }
}

/// <summary>Pairs of sockets on one epoll loop; what one side sends is written to the other.</summary>
internal sealed class Relay
{
    private readonly int _epoll = Epoll.Create();
    private readonly Lock _lock = new();
    private readonly List<(Socket From, Socket To)?> _sides = [];

    public void Add(Socket client, Socket upstream)
    {
        client.NoDelay = true;
        upstream.NoDelay = true;
        lock (_lock)
        {
            Register(client, upstream);
            Register(upstream, client);
        }
    }

    public void Run()
    {
        var events = new EpollEvent[256];
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var count = Epoll.Wait(_epoll, events);
            for (var i = 0; i < count; i++)
            {
                (Socket From, Socket To)? side;
                lock (_lock)
                {
                    side = _sides[(int)events[i].Token];
                }

                if (side is not var (from, to))
                {
                    continue;
                }

                var read = from.Receive(buffer, SocketFlags.None, out var error);
                if (read <= 0 || error != SocketError.Success || !SendAll(to, buffer.AsSpan(0, read)))
                {
                    Close((int)events[i].Token, from, to);
                }
            }
        }
    }

    private static bool SendAll(Socket to, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = to.Send(data, SocketFlags.None, out var error);
            if (sent <= 0 || error != SocketError.Success)
            {
                return false;
            }

            data = data[sent..];
        }

        return true;
    }

    private void Register(Socket from, Socket to)
    {
        _sides.Add((from, to));
        Epoll.Add(_epoll, (int)from.Handle, Epoll.In | Epoll.HangUp, (ulong)(_sides.Count - 1));
    }

    private void Close(int token, Socket from, Socket to)
    {
        lock (_lock)
        {
            // The two sides were registered one after the other: the pair is token and its neighbour.
            _sides[token] = null;
            _sides[token ^ 1] = null;
        }

        from.Dispose();
        to.Dispose();
    }
}
