using Appliance.Logging;
using Serilog.Events;

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

    /// <summary>
    /// A credential the gateway made, quoted back in a refusal (a token typed where a connection's
    /// name goes) is cut to its prefix in any form (probes CR1, CR3); an audit anchor's hash is not.
    /// </summary>
    [Theory]
    [InlineData("There is no connection named 'apt_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde'", "There is no connection named 'apt_****'")]
    [InlineData("role \"AGC_ AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde\" does not exist", "role \"AGC_****\" does not exist")]
    [InlineData("work_mem=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde", "work_mem=****")]
    [InlineData("event 5 has hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "event 5 has hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    public void AGatewayCredentialInAValue_IsCutToItsPrefix(string value, string logged)
    {
        var entry = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null, MessageTemplate.Empty, [new LogEventProperty("Reason", new ScalarValue(value))]);

        new LogControlCharacters().Enrich(entry, null!);

        Assert.Equal(logged, ((ScalarValue)entry.Properties["Reason"]).Value);
    }
}
