using System.Buffers;
using System.Text.RegularExpressions;

namespace Appliance.Logging;

/// <summary>
/// The gateway's own credentials (a personal token <c>apt_…</c>, a grant credential <c>agc_…</c>)
/// where a person pasted one: a client may put one into any field, the gateway quotes what it was
/// given (an upstream's refusal of a startup option, a chat command's unknown connection), and the
/// logs and the audit record kept them (probes CQ2, CR1–CR3, CU1–CU4, CV1, CV2, CY1, CY6). Shared
/// by the gateway (through its policy library) and the chat bot, which have no project in common.
/// </summary>
internal static partial class GatewayCredentials
{
    private static readonly SearchValues<string> Prefixes = SearchValues.Create(["apt", "agc"], StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// <paramref name="text"/> with each credential cut to its prefix (<c>apt_****</c>). With
    /// <paramref name="bareSecrets"/>, also a token's secret without its prefix: for logs and short
    /// free texts (settings, application names, refusals), where such a run is hardly anything else.
    /// </summary>
    public static string Cut(string text, bool bareSecrets = false)
    {
        var cut = text.AsSpan().IndexOfAny(Prefixes) >= 0 ? Prefixed().Replace(text, "${p}_****") : text;
        return bareSecrets ? Bare().Replace(cut, "****") : cut;
    }

    /// <summary>Whether <paramref name="text"/> holds a credential with its prefix.</summary>
    public static bool Holds(ReadOnlySpan<char> text) => text.IndexOfAny(Prefixes) >= 0 && Prefixed().IsMatch(text);

    /// <summary>
    /// A token as the gateway makes one: its prefix, its underscore (or a space, backslash, colon,
    /// dot or hyphen a paste put there, URL-encoded too), and 43 characters of base64url (32 random
    /// bytes), which hold upper and lower case letters, as random bytes all but always do and a
    /// name in lower case does not (probe CY6: aptitude_assessment_results_… was cut); also glued to
    /// a word before it when a separator follows the prefix (probe CU3).
    /// </summary>
    [GeneratedRegex(@"(?:(?<![A-Za-z0-9])(?<p>apt|agc)(?:[\s_\\:./=+-]|%5[Ff]){0,16}|(?<p>apt|agc)(?:[\s_\\:./=+-]|%5[Ff]){1,16})(?-i:(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z]))[A-Za-z0-9_-]{40,}",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Prefixed();

    /// <summary>
    /// A secret without its prefix: 43 such characters standing alone, with upper and lower case
    /// letters and a digit (a SHA-256 in hex is 64 characters; CU4: a 43-character name such as
    /// billing-reconciliation-worker-prod-euwest-1 was cut).
    /// </summary>
    [GeneratedRegex("(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])",
        RegexOptions.CultureInvariant)]
    private static partial Regex Bare();
}
