using System.Text;
using System.Text.RegularExpressions;

namespace Appliance.Policy.Configuration;

/// <summary>
/// <c>${NAME}</c> and <c>${NAME:-default}</c> references, substituted from the environment in
/// scalar values after parsing (so a secret can never change the document's structure, and
/// error messages can print the reference instead of the value). <c>$${NAME}</c> is a literal.
/// </summary>
/// <remarks>
/// YAML flow collections end a plain scalar at <c>{</c> and <c>}</c>, so
/// <c>{ host: ${DB_HOST} }</c> (product.md §3) is not parseable as written. Before parsing,
/// each reference is therefore replaced by a token of exactly the same length made of
/// private-use characters (which YAML allows in plain scalars), so lines and columns stay
/// true; the token carries the reference's index in this table.
/// </remarks>
internal sealed partial class VariableReferences
{
    private const char TokenStart = '\uE000';
    private const char TokenEnd = '\uE001';
    private const char TokenPad = '\uE002';
    private const char DigitBase = '\uE100';
    private const int DigitRadix = 256;
    private const int MaxReferences = DigitRadix * DigitRadix;

    private readonly List<Reference> _references = [];

    public VariableReferences(string text) => MaskedText = ReferencePattern().Replace(text, ToToken);

    /// <summary>The text with every reference replaced by its token: what the YAML parser reads.</summary>
    public string MaskedText { get; }

    /// <summary>The scalar as the author wrote it: tokens shown as their <c>${…}</c> text.</summary>
    public string Show(string raw) =>
        raw.Contains(TokenStart, StringComparison.Ordinal)
            ? TokenPattern().Replace(raw, m => Find(m).Text)
            : raw;

    /// <summary>Substitutes every reference in <paramref name="raw"/>.</summary>
    /// <returns>The value, or <c>null</c> when a variable is missing (named in <paramref name="missing"/>).</returns>
    public string? Substitute(string raw, Func<string, string?> environment, out IReadOnlyList<string> missing)
    {
        missing = [];
        if (!raw.Contains(TokenStart, StringComparison.Ordinal))
        {
            return raw;
        }

        var absent = new List<string>();

        var value = new StringBuilder();
        var at = 0;
        foreach (Match m in TokenPattern().Matches(raw))
        {
            value.Append(raw, at, m.Index - at);
            at = m.Index + m.Length;
            var reference = Find(m);
            if (reference.Escaped)
            {
                value.Append(reference.Text.AsSpan(1));
                continue;
            }

            // Like the shell's ${NAME:-default}: an empty variable takes the default too.
            var found = environment(reference.Name);
            if (string.IsNullOrEmpty(found) && reference.Default is not null)
            {
                found = reference.Default;
            }

            if (found is null)
            {
                absent.Add(reference.Name);
                continue;
            }

            value.Append(found);
        }

        value.Append(raw, at, raw.Length - at);
        missing = absent;
        return absent.Count == 0 ? value.ToString() : null;
    }

    /// <summary>A <c>${</c> left in the text after masking is a reference we could not read.</summary>
    public static bool HasMalformedReference(string raw) => raw.Contains("${", StringComparison.Ordinal);

    private string ToToken(Match match)
    {
        if (_references.Count == MaxReferences)
        {
            return match.Value;
        }

        var index = _references.Count;
        var escaped = match.Groups["escape"].Success;
        _references.Add(new Reference(
            match.Groups["name"].Value,
            match.Groups["default"].Success ? match.Groups["default"].Value : null,
            escaped,
            match.Value));

        // Shortest reference is "${A}": start, two index digits, end. Longer ones are padded.
        var token = new StringBuilder(match.Length)
            .Append(TokenStart)
            .Append((char)(DigitBase + (index / DigitRadix)))
            .Append((char)(DigitBase + (index % DigitRadix)))
            .Append(TokenPad, match.Length - 4)
            .Append(TokenEnd);
        return token.ToString();
    }

    private Reference Find(Match token)
    {
        var high = token.Groups["high"].Value[0] - DigitBase;
        var low = token.Groups["low"].Value[0] - DigitBase;
        return _references[(high * DigitRadix) + low];
    }

    [GeneratedRegex(@"(?<escape>\$)?\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?<default>[^}\r\n]*))?\}", RegexOptions.CultureInvariant)]
    private static partial Regex ReferencePattern();

    [GeneratedRegex("\uE000(?<high>[\uE100-\uE1FF])(?<low>[\uE100-\uE1FF])\uE002*\uE001", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();

    private sealed record Reference(string Name, string? Default, bool Escaped, string Text);
}
