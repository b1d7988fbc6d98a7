using System.Text;
using Serilog.Core;
using Serilog.Events;

namespace Appliance.Gateway.Operations;

/// <summary>
/// Escapes control characters (line breaks, terminal escapes) and Unicode line separators in the
/// text values of every log entry. A value a client chose, such as a login's user or database
/// name, was written into the log as sent, and a line break in it started a line of its own: a
/// failed login planted a forged "Audit chain anchor" line, the kind operators keep from this log
/// to check the audit log against (probe CM1).
/// </summary>
internal sealed class LogControlCharacters : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        List<LogEventProperty>? escaped = null;
        foreach (var (name, value) in logEvent.Properties)
        {
            if (value is ScalarValue { Value: string text } && NeedsEscape(text))
            {
                (escaped ??= []).Add(new LogEventProperty(name, new ScalarValue(Escape(text))));
            }
        }

        foreach (var property in escaped ?? [])
        {
            logEvent.AddOrUpdateProperty(property);
        }
    }

    /// <summary><paramref name="text"/> with each control character or line separator written as <c>\uXXXX</c>.</summary>
    internal static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (IsUnsafe(c))
            {
                escaped.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
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
            if (IsUnsafe(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnsafe(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
