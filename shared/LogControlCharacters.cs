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
/// and rewrote one (probe CN2), a bidi override reordered one (CN4). The gateway's credentials in
/// a value are cut first (<see cref="GatewayCredentials"/>, probe CR1). Shared by the gateway and
/// the chat bot (linked into both projects).
/// </summary>
internal sealed class LogControlCharacters : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        List<LogEventProperty>? escaped = null;
        foreach (var (name, value) in logEvent.Properties)
        {
            if (value is ScalarValue { Value: string text }
                && GatewayCredentials.Cut(text, bareSecrets: true) is var cut && (!string.Equals(cut, text, StringComparison.Ordinal) || NeedsEscape(cut)))
            {
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

    /// <summary>A character that moves or hides what a log viewer shows: control, line separator, or format (bidi, zero-width).</summary>
    internal static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' || char.GetUnicodeCategory(c) == UnicodeCategory.Format;
}
