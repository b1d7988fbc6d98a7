using System.Text.RegularExpressions;

namespace Appliance.Chatops.Commands;

/// <summary>
/// Duration text as the product writes it (<c>30s</c>, <c>15m</c>, <c>1h</c>, <c>1h30m</c>,
/// <c>2d</c>). Chat only recognises the form; the gateway judges the value (maximum, policy).
/// </summary>
internal static partial class Durations
{
    public const string Examples = "`30m`, `1h`, `1h30m` or `2d`";

    public static bool IsDuration(string token) => Pattern().IsMatch(token) && token.Any(c => c is >= '1' and <= '9');

    /// <summary>
    /// Starts like a duration (a digit, or a sign and a digit) but is not one: <c>90min</c>,
    /// <c>2</c>, <c>1hour</c>, <c>-1h</c> (taken for the reason's first word, it made a request of
    /// the default length, probe AW).
    /// </summary>
    public static bool LooksLikeDuration(string token) =>
        token.Length > 0 && (char.IsAsciiDigit(token[0]) || (token[0] is '-' or '+' && token.Length > 1 && char.IsAsciiDigit(token[1])));

    [GeneratedRegex("^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
