namespace Appliance.Wire.Tests.Fuzz;

/// <summary>
/// Every strict prefix of every valid body is refused with a protocol error: each body ends
/// in a NUL, a counted field or a fixed field, so a cut anywhere leaves it malformed.
/// </summary>
public class TruncationTests
{
    /// <summary>Bodies whose tail is free-form: a prefix can be a valid, shorter message.</summary>
    private static readonly HashSet<string> FreeFormTail = ["FunctionCall", "AuthenticationSaslData"];

    public static TheoryData<string> StrictParsers => new(ParserTargets.All.Where(t => !FreeFormTail.Contains(t.Key) && t.Value.Seeds.Any(s => s.Length > 0)).Select(t => t.Key));

    [Theory]
    [MemberData(nameof(StrictParsers))]
    public void BodyParser_TruncatedAtEveryOffset_IsAProtocolViolation(string parser)
    {
        var (parse, seeds) = ParserTargets.All[parser];
        foreach (var seed in seeds)
        {
            parse(seed);
            for (var length = 0; length < seed.Length; length++)
            {
                var prefix = seed[..length];
                var error = Record.Exception(() => parse(prefix));
                Assert.True(error is PgProtocolException, $"{parser}: a {length}-byte prefix of {Convert.ToHexString(seed)} gave {error?.GetType().Name ?? "no error"}");
            }
        }
    }
}
