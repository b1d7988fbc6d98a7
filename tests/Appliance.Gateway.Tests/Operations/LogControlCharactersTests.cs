using Appliance.Logging;

namespace Appliance.Gateway.Tests.Operations;

/// <summary>What the logs do with a value's characters that could move, hide or fake what a reader sees (probes CM1, CN2-CN4).</summary>
public sealed class LogControlCharactersTests
{
    [Theory]
    [InlineData("a\nb", @"a\u000ab")]
    [InlineData("\u001b[2Jclear", @"\u001b[2Jclear")]
    [InlineData("line\u2028sep", @"line\u2028sep")]
    [InlineData("bidi\u202Eevil", @"bidi\u202eevil")]
    [InlineData(@"typed \u000a", @"typed \\u000a")]
    [InlineData("plain text, é and 日本", "plain text, é and 日本")]
    public void AValue_IsLoggedWithItsUnsafeCharactersEscaped(string value, string logged) =>
        Assert.Equal(logged, LogControlCharacters.Escape(value));
}
