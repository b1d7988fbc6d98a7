using System.Buffers;

namespace Appliance.Policy.Masking;

/// <summary>
/// Characters that read as a digit, a separator or '@' to a person but are other bytes to the
/// detectors: fullwidth digits and '＠', no-break, thin and other spaces, zero-width characters,
/// and dashes. A card or SSN stored with them (<c>4111 1111 1111 1111</c> with no-break spaces,
/// <c>123–45–6789</c> with en dashes) went out whole (probe EM-4). A value holding any is also
/// scanned with them read as their ASCII lookalikes (or dropped, for the zero-width ones).
/// </summary>
internal static class Lookalikes
{
    /// <summary>The lead bytes of every such character in UTF-8: a value without them has none.</summary>
    private static readonly SearchValues<byte> Leads = SearchValues.Create([0xC2, 0xE2, 0xEF]);

    public static bool MayHold(ReadOnlySpan<byte> value) => value.ContainsAny(Leads);

    /// <summary>The value with each lookalike replaced by its ASCII form; false when it held none.</summary>
    public static bool TryNormalize(ReadOnlySpan<byte> value, IBufferWriter<byte> output)
    {
        var changed = false;
        var span = output.GetSpan(value.Length);
        var written = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var (length, replacement) = Read(value[i..]);
            if (length == 0)
            {
                span[written++] = value[i];
                continue;
            }

            changed = true;
            if (replacement != 0)
            {
                span[written++] = replacement;
            }

            i += length - 1;
        }

        output.Advance(written);
        return changed;
    }

    /// <summary>The length of a lookalike at the start of <paramref name="at"/> and its ASCII form (0: dropped); length 0 when none is there.</summary>
    private static (int Length, byte Replacement) Read(ReadOnlySpan<byte> at)
    {
        if (at.Length >= 2 && at[0] == 0xC2)
        {
            return at[1] switch
            {
                0xA0 => (2, (byte)' '), // no-break space
                0xAD => (2, (byte)0), // soft hyphen
                _ => (0, (byte)0),
            };
        }

        if (at.Length >= 3 && at[0] == 0xE2 && at[1] == 0x80)
        {
            return at[2] switch
            {
                >= 0x80 and <= 0x8A or 0xAF => (3, (byte)' '), // en quad … hair space, narrow no-break space
                >= 0x8B and <= 0x8D => (3, (byte)0), // zero-width space, non-joiner, joiner
                >= 0x90 and <= 0x95 => (3, (byte)'-'), // hyphen, non-breaking hyphen, figure dash, en and em dash, bar
                _ => (0, (byte)0),
            };
        }

        if (at.Length >= 3 && at[0] == 0xE2 && at[1] == 0x81 && at[2] == 0xA0)
        {
            return (3, 0); // word joiner
        }

        if (at.Length >= 3 && at[0] == 0xE2 && at[1] == 0x88 && at[2] == 0x92)
        {
            return (3, (byte)'-'); // minus sign
        }

        if (at.Length >= 3 && at[0] == 0xEF && at[1] == 0xBC)
        {
            return at[2] switch
            {
                >= 0x90 and <= 0x99 => (3, (byte)('0' + (at[2] - 0x90))), // fullwidth digits
                0xA0 => (3, (byte)'@'),
                0x8D => (3, (byte)'-'),
                _ => (0, (byte)0),
            };
        }

        return (0, 0);
    }
}
