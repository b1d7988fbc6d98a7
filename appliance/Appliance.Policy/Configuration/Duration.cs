using System.Globalization;
using System.Text;

namespace Appliance.Policy.Configuration;

/// <summary>
/// Durations as people write them in config, chat and the API: <c>30s</c>, <c>15m</c>, <c>1h</c>,
/// <c>1h30m</c>, <c>2d</c>. Units must appear largest first, each at most once.
/// </summary>
public static class Duration
{
    private static readonly (char Unit, TimeSpan Size)[] Units =
    [
        ('d', TimeSpan.FromDays(1)),
        ('h', TimeSpan.FromHours(1)),
        ('m', TimeSpan.FromMinutes(1)),
        ('s', TimeSpan.FromSeconds(1)),
    ];

    /// <summary>A generous upper bound so arithmetic on grants can never overflow.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim().ToLowerInvariant().AsSpan();
        var nextUnit = 0;
        var total = TimeSpan.Zero;
        while (!s.IsEmpty)
        {
            var digits = 0;
            while (digits < s.Length && char.IsAsciiDigit(s[digits]))
            {
                digits++;
            }

            if (digits == 0 || digits > 9 || digits == s.Length)
            {
                return false;
            }

            var number = long.Parse(s[..digits], NumberStyles.None, CultureInfo.InvariantCulture);
            var unitChar = s[digits];
            var unit = Array.FindIndex(Units, nextUnit, u => u.Unit == unitChar);
            if (unit < 0)
            {
                return false;
            }

            // Compare before multiplying: 99999999d would overflow a TimeSpan.
            if (number > (Max - total).Ticks / Units[unit].Size.Ticks)
            {
                return false;
            }

            total += Units[unit].Size * number;

            nextUnit = unit + 1;
            s = s[(digits + 1)..];
        }

        if (total <= TimeSpan.Zero)
        {
            return false;
        }

        value = total;
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a duration: write it like 30s, 15m, 1h, 1h30m or 2d.");

    /// <summary>The shortest canonical form: <c>1h30m</c>, <c>2d</c>, <c>45s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        var rest = TimeSpan.FromSeconds(Math.Floor(value.TotalSeconds));
        foreach (var (unit, size) in Units)
        {
            var n = (long)(rest.Ticks / size.Ticks);
            if (n > 0)
            {
                sb.Append(n.ToString(CultureInfo.InvariantCulture)).Append(unit);
                rest -= size * n;
            }
        }

        return sb.Length == 0 ? "0s" : sb.ToString();
    }
}
