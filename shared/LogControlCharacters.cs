using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Events;

namespace Appliance.Logging;

/// <summary>
/// Escapes control characters (line breaks, terminal escapes), Unicode line separators and format
/// characters (bidi overrides) in the text values of every log entry, and doubles backslashes so
/// an escape cannot be typed: a value holding a line break is logged <c>\u000a</c>, one holding
/// the six characters <c>\u000a</c> is logged <c>\\u000a</c> (probe CN3). A value a client chose, such as a login's user or database name or a chat
/// command's text, was written into the log as sent: a line break started a line of its own (a
/// failed login planted a forged "Audit chain anchor" line, probe CM1), terminal escapes erased
/// and rewrote one (probe CN2), a bidi override reordered one (CN4). Shared by the gateway and the
/// chat bot (linked into both projects).
/// </summary>
internal sealed partial class LogControlCharacters : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        List<LogEventProperty>? escaped = null;
        foreach (var (name, value) in logEvent.Properties)
        {
            if (value is ScalarValue { Value: string text } && (NeedsEscape(text) || Credential().IsMatch(text) || BareSecret().IsMatch(text)))
            {
                var cut = BareSecret().Replace(Credential().Replace(text, "${p}_****"), "****");
                (escaped ??= []).Add(new LogEventProperty(name, new ScalarValue(Escape(cut))));
            }
        }

        foreach (var property in escaped ?? [])
        {
            logEvent.AddOrUpdateProperty(property);
        }
    }

    /// <summary><paramref name="text"/> with each unsafe character written as <c>\uXXXX</c>, and each backslash doubled.</summary>
    internal static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (c == '\\')
            {
                escaped.Append(@"\\");
            }
            else if (IsUnsafe(c))
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    private static bool NeedsEscape(string text)
    {
        foreach (var c in text)
        {
            if (c == '\\' || IsUnsafe(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// One of the gateway's credentials (a personal token <c>apt_…</c>, a grant credential
    /// <c>agc_…</c>, in any case, split from its prefix or without it: 43 characters of base64url
    /// standing alone), cut to its prefix. The gateway quotes what a person typed (a token where a
    /// connection's name goes in a chat command), and the bot logged it (probe CR1). Matches what
    /// the gateway's records cut (Masker.WithoutGatewayCredentials); the bot has no project in common with it.
    /// </summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(?:(?<![A-Za-z0-9])(?<p>apt|agc)(?:[\s_\\:./=+-]|%5[Ff]){0,16}|(?<p>apt|agc)(?:[\s_\\:./=+-]|%5[Ff]){1,16})(?-i:(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z]))[A-Za-z0-9_-]{40,}",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Credential();

    /// <summary>A token's secret without its prefix: exactly 43 characters of base64url standing alone (a SHA-256 in hex is 64).</summary>
    [System.Text.RegularExpressions.GeneratedRegex("(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex BareSecret();

    /// <summary>A character that moves or hides what a log viewer shows: control, line separator, or format (bidi, zero-width).</summary>
    internal static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' || char.GetUnicodeCategory(c) == UnicodeCategory.Format;
}
