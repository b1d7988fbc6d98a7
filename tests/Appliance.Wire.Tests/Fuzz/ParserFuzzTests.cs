using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Appliance.Wire.Authentication;
using Appliance.Wire.Backend;
using Appliance.Wire.Framing;
using Appliance.Wire.Primitives;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Fuzz;

/// <summary>
/// Every parser, fed many thousands of random and mutated inputs, either returns, reports
/// incomplete, or throws <see cref="PgProtocolException"/>: never another exception, never a
/// hang. The fixed seed makes CI reproducible; <c>APPLIANCE_FUZZ_SEED</c> adds a run with
/// another seed and <c>APPLIANCE_FUZZ_ITERATIONS</c> scales the runs (default 20000).
/// </summary>
public class ParserFuzzTests
{
    private const int FixedSeed = 20260126;
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    public static TheoryData<string> Parsers => new(ParserTargets.All.Keys);

    [Theory]
    [MemberData(nameof(Parsers))]
    public async Task BodyParser_MutatedInputs_OnlyEverThrowsProtocolExceptions(string parser)
    {
        var (parse, seeds) = ParserTargets.All[parser];
        foreach (var seed in RunSeeds())
        {
            var accepted = await RunAsync(seed, (mutator, input) => parse(input), seeds);

            // The seeds themselves parse, so a parser that refused everything would fail here.
            Assert.True(accepted > 0, $"{parser}: nothing parsed with seed {seed}");
        }
    }

    [Fact]
    public async Task FrameReader_CorruptedStreams_OnlyEverThrowsProtocolExceptions()
    {
        byte[][] streams =
        [
            [.. PgBytes.Write(o => FrontendWriter.WriteQuery(o, "select 1")), .. PgBytes.Write(FrontendWriter.WriteSync)],
            [.. PgBytes.Write(o => BackendWriter.WriteDataRow(o, ["1", null, "abc"])), .. PgBytes.Write(o => BackendWriter.WriteReadyForQuery(o, TransactionStatus.Idle))],
        ];

        foreach (var seed in RunSeeds())
        {
            await RunAsync(seed, (mutator, input) => ReadAllFrames(input, 1 + mutator.NextInt(input.Length + 8)), streams);
        }
    }

    [Fact]
    public async Task StartupPacketReader_CorruptedPackets_OnlyEverThrowsProtocolExceptions()
    {
        byte[][] packets =
        [
            PgBytes.Write(o => FrontendWriter.WriteStartupMessage(o, ProtocolVersion.V30, [new("user", "a"), new("database", "b")])),
            PgBytes.Write(o => FrontendWriter.WriteCancelRequest(o, 7, [1, 2, 3, 4])),
            PgBytes.Write(FrontendWriter.WriteSslRequest),
        ];

        foreach (var seed in RunSeeds())
        {
            await RunAsync(
                seed,
                (mutator, input) =>
                {
                    var fromSpan = StartupPacketReader.TryRead(input, out _, out _);
                    var sequence = TestSequence.Chunked(input, 1 + mutator.NextInt(Math.Max(input.Length, 1)));
                    var fromSequence = StartupPacketReader.TryRead(sequence, out _, out _, out _);
                    Assert.Equal(fromSpan, fromSequence);
                    return fromSpan ? 1 : 0;
                },
                packets);
        }
    }

    [Fact]
    public async Task ScramClient_CorruptedServerMessages_OnlyEverThrowsProtocolExceptions()
    {
        byte[][] serverFirst = [Encoding.ASCII.GetBytes("r=abcdefXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")];

        // PBKDF2 makes each accepted input cost milliseconds, so this target runs fewer inputs.
        await RunAsync(
            FixedSeed,
            (mutator, input) =>
            {
                var client = new ScramSha256Client("pw", "", "abcdef");
                client.CreateClientFirstMessage();
                client.CreateClientFinalMessage(input);
                client.VerifyServerFinalMessage(input);
                return 1;
            },
            serverFirst,
            iterations: 400);
    }

    private static int ReadAllFrames(byte[] input, int segmentSize)
    {
        var buffer = TestSequence.Chunked(input, segmentSize);
        var count = 0;
        while (true)
        {
            var status = PgFrameReader.TryRead(buffer, 64, out var frame, out var consumed, out _);
            var spanStatus = PgFrameReader.TryRead(buffer.ToArray(), 64, out var spanFrame);
            Assert.Equal(status, spanStatus);
            Assert.Equal(frame.Length, spanFrame.Length);
            if (status != PgFrameStatus.Complete)
            {
                return count;
            }

            Assert.Equal(spanFrame.Message.ToArray(), frame.Message.ToArray());
            if (ParserFor(frame.Type) is { } parse)
            {
                using var scratch = new MessageBuffer();
                parse(scratch.GetBody(frame));
            }

            buffer = buffer.Slice(consumed);
            count++;
        }
    }

    private static ParserTargets.Parser? ParserFor(byte type) => (char)type switch
    {
        'Q' => ParserTargets.All["Query"].Parse,
        'D' => ParserTargets.All["DataRow"].Parse,
        'Z' => ParserTargets.All["ReadyForQuery"].Parse,
        'S' => ParserTargets.All["Sync"].Parse,
        _ => null,
    };

    /// <summary>Runs mutated inputs off the test thread, bounded in time; returns how many were accepted.</summary>
    private static async Task<int> RunAsync(int seed, Func<Mutator, byte[], int> target, byte[][] seeds, int? iterations = null)
    {
        var count = iterations ?? Iterations();
        var work = Task.Run(() =>
        {
            var mutator = new Mutator(seed);
            var accepted = 0;
            for (var i = 0; i < count; i++)
            {
                var original = seeds[i % seeds.Length];
                var input = i < seeds.Length ? original : mutator.Next(original);
                try
                {
                    target(mutator, input);
                    accepted++;
                }
                catch (PgProtocolException)
                {
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    Assert.Fail($"seed {seed}, input {i} ({Convert.ToHexString(input)}): {e}");
                }
            }

            return accepted;
        });

        return await work.WaitAsync(Bound);
    }

    private static IEnumerable<int> RunSeeds()
    {
        yield return FixedSeed;
        if (int.TryParse(Environment.GetEnvironmentVariable("APPLIANCE_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var extra))
        {
            yield return extra;
        }
    }

    private static int Iterations() =>
        int.TryParse(Environment.GetEnvironmentVariable("APPLIANCE_FUZZ_ITERATIONS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : 20_000;
}
