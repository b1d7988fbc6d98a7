using System.Security.Cryptography;
using System.Text;
using Appliance.Gateway.Events;

namespace Appliance.Gateway.Tests.Events;

/// <summary>The chain's hash input stays what it was defined as: length-prefixed fields, UTF-8, SHA-256.</summary>
public sealed class EventChainTests
{
    /// <summary>The definition, written the plain way: every field as "length:value" ("-1:" for null), in order.</summary>
    private static string Reference(params string?[] fields)
    {
        var input = new StringBuilder();
        foreach (var field in fields)
        {
            input.Append(field is null ? "-1:" : $"{field.Length}:{field}");
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input.ToString())));
    }

    public static TheoryData<string> Data => new()
    {
        "{}",
        "",
        "{\"n\":\"ünïcode ✓ 日本語\"}",
        // Large, with surrogate pairs at every place a chunk of the incremental hash can end.
        string.Concat(Enumerable.Repeat("ab🚀é", 9000)),
        new string('x', 4095) + "🚀" + new string('y', 5000),
        // A lone surrogate encodes as a replacement character, the same way either way.
        "lone \ud83d end",
    };

    [Theory]
    [MemberData(nameof(Data))]
    public void Hash_IsSha256OfTheLengthPrefixedFields(string data)
    {
        var hash = EventChain.Hash(EventChain.Genesis, 42, "ev-1", "session.statements", 1_790_000_000_123, null, "demo", null, "s-1", data);
        Assert.Equal(Reference(EventChain.Genesis, "42", "ev-1", "session.statements", "1790000000123", null, "demo", null, "s-1", data), hash);
    }

    [Fact]
    public void Hash_SeparatesFields_SoMovingCharactersBetweenThemChangesIt()
    {
        var one = EventChain.Hash(EventChain.Genesis, 1, "id", "ab", 1, "c", null, null, null, "{}");
        var other = EventChain.Hash(EventChain.Genesis, 1, "id", "a", 1, "bc", null, null, null, "{}");
        var empty = EventChain.Hash(EventChain.Genesis, 1, "id", "ab", 1, "", null, null, null, "{}");
        var missing = EventChain.Hash(EventChain.Genesis, 1, "id", "ab", 1, null, null, null, null, "{}");
        Assert.Equal(4, new[] { one, other, empty, missing }.Distinct().Count());
    }
}
