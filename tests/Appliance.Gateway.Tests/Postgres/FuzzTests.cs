using System.Buffers;
using System.Net.Sockets;
using Appliance.Gateway.Tests.Postgres.Support;
using Appliance.Wire;
using Appliance.Wire.Frontend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Writing;
using Microsoft.Extensions.Logging;
using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// Malformed and truncated input through a real socket, before and after login: every
/// connection ends with at most a clean error, within seconds, and the gateway keeps serving.
/// Seeded, so a failure replays.
/// </summary>
public sealed class FuzzTests(PgGatewayFixture fixture) : IClassFixture<PgGatewayFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static readonly byte[][] StartupSeeds =
    [
        Write(FrontendWriter.WriteSslRequest),
        Write(FrontendWriter.WriteGssEncRequest),
        Write(o => FrontendWriter.WriteCancelRequest(o, 12345, [1, 2, 3, 4])),
        Write(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V30, [new("user", Alice), new("database", "demo"), new("application_name", "fuzz")])),
        Write(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V32, [new("user", Alice), new("_pq_.x", "1")])),
    ];

    private static readonly byte[][] SessionSeeds =
    [
        Write(o => FrontendWriter.WriteQuery(o, "SELECT 1, 'a''b', $$x$$")),
        Write(o => FrontendWriter.WriteParse(o, "s", "SELECT $1::int", [23])),
        Write(o => FrontendWriter.WriteBind(o, "p", "s", [PgFormat.Binary], [new byte[] { 0, 0, 0, 7 }], [PgFormat.Text, PgFormat.Binary])),
        Write(o => FrontendWriter.WriteDescribe(o, DescribeTarget.Portal, "p")),
        Write(o => FrontendWriter.WriteExecute(o, "p", 1)),
        Write(o => FrontendWriter.WriteClose(o, DescribeTarget.Statement, "s")),
        Write(o => CopyWriter.WriteCopyData(o, "1\tx\n"u8)),
        Write(CopyWriter.WriteCopyDone),
        Write(FrontendWriter.WriteFlush),
        Write(FrontendWriter.WriteSync),
    ];

    [Fact]
    public async Task MalformedStartupPackets_EndCleanly_AndTheGatewayKeepsServing()
    {
        var random = new Random(20240611);
        for (var i = 0; i < 150; i++)
        {
            var bytes = Mutate(random, StartupSeeds[random.Next(StartupSeeds.Length)]);
            await using var client = await RawPgClient.ConnectAsync(fixture.Port);
            await client.SendRawAsync(bytes);
            client.ShutdownSend();

            var answer = await ReadAllAsync(client);
            AssertCleanStartupAnswer(answer, bytes);
        }

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task TruncatedStartupPackets_EndCleanly()
    {
        foreach (var seed in StartupSeeds)
        {
            for (var length = 1; length < seed.Length; length++)
            {
                await using var client = await RawPgClient.ConnectAsync(fixture.Port);
                await client.SendRawAsync(seed[..length]);
                client.ShutdownSend();

                var answer = await ReadAllAsync(client);
                Assert.True(answer.Length == 0 || answer[0] == (byte)'E', $"prefix {length} of {Convert.ToHexString(seed)} got {Convert.ToHexString(answer)}");
            }
        }

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task MalformedMessagesAfterLogin_EndCleanly_AndTheGatewayKeepsServing()
    {
        await fixture.GrantAsync();
        var random = new Random(42);
        for (var i = 0; i < 120; i++)
        {
            await using var client = await RawPgClient.LoginAsync(fixture.Port, Alice, fixture.AliceToken, "demo");
            var stream = new List<byte>();
            for (var m = random.Next(1, 6); m > 0; m--)
            {
                var seed = SessionSeeds[random.Next(SessionSeeds.Length)];
                stream.AddRange(random.Next(3) == 0 ? Mutate(random, seed) : seed);
            }

            await client.SendRawAsync([.. stream]);
            client.ShutdownSend();

            var messages = await client.ReadUntilClosedAsync(Patience);
            Assert.DoesNotContain(messages, m => m.Type == 'E' && m.SqlState == SqlStates.InternalError);
        }

        Assert.DoesNotContain(fixture.Gateway.Options.Logs.Entries, e => e.Level >= LogLevel.Error && e.Category.Contains("Postgres", StringComparison.Ordinal));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task EveryPrefixOfAValidSession_EndsCleanly()
    {
        await fixture.GrantAsync();
        var session = SessionSeeds.SelectMany(s => s).ToArray();
        for (var length = 1; length < session.Length; length += 3)
        {
            await using var client = await RawPgClient.LoginAsync(fixture.Port, Alice, fixture.AliceToken, "demo");
            await client.SendRawAsync(session[..length]);
            client.ShutdownSend();

            var messages = await client.ReadUntilClosedAsync(Patience);
            Assert.DoesNotContain(messages, m => m.Type == 'E' && m.SqlState == SqlStates.InternalError);
        }

        await AssertStillServingAsync();
    }

    /// <summary>What a startup may be answered with: nothing, 'S'/'N', a password request, a protocol negotiation, or an ErrorResponse.</summary>
    private static void AssertCleanStartupAnswer(byte[] answer, byte[] sent)
    {
        if (answer.Length == 0 || answer[0] is (byte)'S' or (byte)'N' or (byte)'R' or (byte)'v' or (byte)'E')
        {
            return;
        }

        Assert.Fail($"sent {Convert.ToHexString(sent)}, got {Convert.ToHexString(answer)}");
    }

    private static async Task<byte[]> ReadAllAsync(RawPgClient client)
    {
        using var cancel = new CancellationTokenSource(Patience);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await client.Stream.ReadAsync(buffer, cancel.Token);
                if (read == 0)
                {
                    return received.ToArray();
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return received.ToArray();
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the gateway kept the connection open after {received.Length} bytes: {Convert.ToHexString(received.ToArray())}");
            throw;
        }
    }

    private async Task AssertStillServingAsync()
    {
        await fixture.GrantAsync();
        await using var client = await RawPgClient.LoginAsync(fixture.Port, Alice, fixture.AliceToken, "demo");
        await client.SendAsync(o => FrontendWriter.WriteQuery(o, "SELECT 1"));
        Assert.Contains(await client.ReadUntilReadyAsync(), m => m.Type == 'D');
    }

    /// <summary>Flips, inserts, deletes, truncates or rewrites a length word.</summary>
    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        for (var n = random.Next(1, 4); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 2:
                    bytes.RemoveAt(at);
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    var word = BitConverter.GetBytes(random.Next(3) switch { 0 => random.Next(), 1 => random.Next(0, 16), _ => -random.Next(1, 5) });
                    for (var k = 0; k < 4 && at + k < bytes.Count; k++)
                    {
                        bytes[at + k] = word[3 - k];
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    private static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
    }
}
