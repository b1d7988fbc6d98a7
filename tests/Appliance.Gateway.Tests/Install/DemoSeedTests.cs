using System.Buffers;
using System.Text;
using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;
using Npgsql;

namespace Appliance.Gateway.Tests.Install;

/// <summary>
/// The demo database keeps the first-minute promise: the shipped demo policy's detectors find
/// every card number, SSN and e-mail address in it (not only in the columns it masks by name),
/// and the gateway's upstream login can read it and nothing more.
/// </summary>
public sealed class DemoSeedTests
{
    [Fact]
    public async Task DemoSeed_EveryCardSsnAndEmail_IsMaskedByTheDemoPolicysDetectors()
    {
        await using var demo = await SeededDemoDatabase.CreateAsync();
        var masker = DemoMasker();

        var cards = await demo.ReadColumnAsync("SELECT card_number FROM customers");
        var sensitive = cards
            .Concat(await demo.ReadColumnAsync("SELECT ssn FROM customers"))
            .Concat(await demo.ReadColumnAsync("SELECT email FROM customers"))
            .Concat(await demo.ReadColumnAsync("SELECT note FROM orders WHERE note LIKE '%card%' OR note LIKE '%@%'"))
            .ToList();

        Assert.Equal(300, cards.Count);
        Assert.Contains("4111 1111 1111 1111", cards);
        Assert.Contains(cards, c => c.Contains('-', StringComparison.Ordinal));
        Assert.Contains(cards, c => c.All(char.IsAsciiDigit));
        Assert.True(sensitive.Count > 900, $"only {sensitive.Count} sensitive values");
        foreach (var value in sensitive)
        {
            var masked = Mask(masker, value);
            Assert.True(masked is not null, $"not masked: {value}");
            Assert.DoesNotContain(value, masked, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DemoSeed_PhonesAndOtherNotes_AreLeftAlone()
    {
        await using var demo = await SeededDemoDatabase.CreateAsync();
        var masker = DemoMasker();

        var harmless = (await demo.ReadColumnAsync("SELECT phone FROM customers"))
            .Concat(await demo.ReadColumnAsync("SELECT note FROM orders WHERE note NOT LIKE '%card%' AND note NOT LIKE '%@%'"))
            .ToList();

        Assert.Contains("Customer reports a double charge; see ticket 88213", harmless);
        Assert.All(harmless, value => Assert.Null(Mask(masker, value)));
    }

    [Fact]
    public async Task DemoSeed_Reader_ReadsEveryTableButCannotWriteOrDrop()
    {
        await using var demo = await SeededDemoDatabase.CreateAsync();
        await using var reader = new NpgsqlConnection(demo.ReaderConnectionString);
        await reader.OpenAsync();

        Assert.Equal(300L, await ScalarAsync(reader, "SELECT count(*) FROM customers"));
        Assert.Equal(600L, await ScalarAsync(reader, "SELECT count(*) FROM orders"));
        Assert.Equal(1L, await ScalarAsync(reader, "SELECT count(*) FROM orders WHERE id = 4411"));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(reader, "DELETE FROM orders"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, delete.SqlState);
        var drop = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(reader, "DROP TABLE orders"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, drop.SqlState);
    }

    [Fact]
    public async Task DemoSeed_Reader_CannotSignalAnotherSessionOfItsRole()
    {
        await using var demo = await SeededDemoDatabase.CreateAsync();
        await using var victim = new NpgsqlConnection(demo.ReaderConnectionString);
        await victim.OpenAsync();
        await using var reader = new NpgsqlConnection(demo.ReaderConnectionString);
        await reader.OpenAsync();
        var pid = await ScalarAsync(victim, "SELECT pg_backend_pid()");

        var terminate = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(reader, $"SELECT pg_terminate_backend({pid})"));
        var cancel = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(reader, $"SELECT pg_cancel_backend({pid})"));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, terminate.SqlState);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, cancel.SqlState);
        Assert.Equal(1, await ScalarAsync(victim, "SELECT 1"));
    }

    /// <summary>The detectors of the demo connection in the shipped config/appliance.yaml.</summary>
    private static Masker DemoMasker()
    {
        var text = File.ReadAllText(Repository.PathOf("config", "appliance.yaml"));
        var result = PolicyLoader.Load(text, "config/appliance.yaml", name => name == "DEMO_DB_PASSWORD" ? "unused" : null);
        Assert.True(result.IsValid, result.Describe("config/appliance.yaml"));
        var demo = result.Policy!.FindConnection("demo")!;
        return Masker.Compile([.. demo.Masking.Select(p => p with { Columns = [] })]);
    }

    private static string? Mask(Masker masker, string value)
    {
        var output = new ArrayBufferWriter<byte>();
        return masker.TryMask(Encoding.UTF8.GetBytes(value), output) ? Encoding.UTF8.GetString(output.WrittenSpan) : null;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
