using System.Buffers;
using System.Globalization;
using System.Text;

namespace Appliance.Policy.Masking;

/// <summary>
/// Characters that read as a digit, a separator, '@' or '.' to a person but are other bytes to
/// the detectors: fullwidth and other scripts' digits, no-break, ideographic and other spaces,
/// zero-width and other invisible characters, dashes of every kind, fullwidth and small '@'. A
/// card or SSN stored with them went out whole (probe EM-4, EN4). A value holding any non-ASCII
/// character is also scanned as a person reads it: invisible characters (format and combining
/// marks) dropped, every space separator a space, every dash a '-', every decimal digit its
/// ASCII digit, every fullwidth form its ASCII character, and the small '﹫' and '﹒' theirs. (No
/// NFKC: the gateway runs with invariant globalization, where normalization does nothing.)
/// </summary>
internal static class Lookalikes
{
    public static bool MayHold(ReadOnlySpan<byte> value) => !Ascii.IsValid(value);

    /// <summary>
    /// Bytes that are no UTF-8 become U+0001, which no detector reads as part of anything: the
    /// replacement character U+FFFD counted as a letter of an address, and one random blob in a
    /// hundred read as holding one (probe PB1).
    /// </summary>
    private static readonly Encoding Utf8Strict = Encoding.GetEncoding("utf-8", EncoderFallback.ReplacementFallback, new DecoderReplacementFallback("\u0001"));

    /// <summary>The value as a person reads it, in UTF-8; false when that changes nothing.</summary>
    /// <param name="binary">A bytea's bytes, not text: what is no UTF-8 in it is no character.</param>
    public static bool TryNormalize(ReadOnlySpan<byte> value, IBufferWriter<byte> output, bool binary = false)
    {
        var text = (binary ? Utf8Strict : Encoding.UTF8).GetString(value);
        var read = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Format or UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark:
                    continue;
                case UnicodeCategory.SpaceSeparator:
                    read.Append(' ');
                    continue;
                case UnicodeCategory.DashPunctuation:
                    read.Append('-');
                    continue;
                case UnicodeCategory.DecimalDigitNumber or UnicodeCategory.OtherNumber when Rune.GetNumericValue(rune) is var digit && digit is >= 0 and <= 9 && digit == Math.Floor(digit):
                    read.Append((char)('0' + (int)digit));
                    continue;
                default:
                    read.Append(rune.Value switch
                    {
                        >= 0xFF01 and <= 0xFF5E => ((char)(rune.Value - 0xFEE0)).ToString(),
                        0xFE6B => "@",
                        0xFE52 => ".",
                        0x2043 or 0x2212 => "-", // hyphen bullet, minus sign

                        _ => rune.ToString(),
                    });
                    break;
            }
        }

        var normalized = read.ToString();
        if (normalized == text)
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetByteCount(normalized);
        Encoding.UTF8.GetBytes(normalized, output.GetSpan(bytes));
        output.Advance(bytes);
        return true;
    }
}
