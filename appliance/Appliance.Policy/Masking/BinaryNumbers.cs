using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;

namespace Appliance.Policy.Masking;

/// <summary>The decimal digits of a binary int8, float8 or numeric's integer part (PostgreSQL's send functions).</summary>
internal static class BinaryNumbers
{
    /// <summary>Digits written, or -1 for a value that is not 8 bytes.</summary>
    public static int Int8Digits(ReadOnlySpan<byte> value, Span<byte> digits)
    {
        if (value.Length != 8)
        {
            return -1;
        }

        var number = BinaryPrimitives.ReadInt64BigEndian(value);
        var magnitude = number < 0 ? (ulong)(-(number + 1)) + 1 : (ulong)number;
        return Utf8Formatter.TryFormat(magnitude, digits, out var written) ? written : -1;
    }

    /// <summary>Digits of an integral float8 of 12 to 19 digits (cards kept as double precision), else -1.</summary>
    public static int Float8Digits(ReadOnlySpan<byte> value, Span<byte> digits)
    {
        if (value.Length != 8)
        {
            return -1;
        }

        var number = Math.Abs(BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(value)));
        if (!double.IsFinite(number) || number != Math.Floor(number) || number < 1e12 || number >= 1e19)
        {
            return -1;
        }

        return Utf8Formatter.TryFormat((ulong)number, digits, out var written) ? written : -1;
    }

    /// <summary>
    /// numeric_send: int16 ndigits, int16 weight, uint16 sign, int16 dscale, then ndigits base-10000
    /// digits; digit i has weight (weight - i). Only the integer part, and only up to 24 digits.
    /// </summary>
    public static int NumericDigits(ReadOnlySpan<byte> value, Span<byte> digits)
    {
        if (value.Length < 8)
        {
            return -1;
        }

        var count = BinaryPrimitives.ReadInt16BigEndian(value);
        var weight = BinaryPrimitives.ReadInt16BigEndian(value[2..]);
        var sign = BinaryPrimitives.ReadUInt16BigEndian(value[4..]);
        if (count < 0 || value.Length < 8 + (2 * count) || sign is not (0x0000 or 0x4000) || weight < 0 || weight > 5)
        {
            return -1;
        }

        var written = 0;
        for (var i = 0; i <= weight; i++)
        {
            var group = i < count ? BinaryPrimitives.ReadInt16BigEndian(value[(8 + (2 * i))..]) : (short)0;
            if (group is < 0 or > 9999)
            {
                return -1;
            }

            if (written == 0)
            {
                if (group == 0)
                {
                    continue;
                }

                Utf8Formatter.TryFormat(group, digits, out written);
            }
            else
            {
                Utf8Formatter.TryFormat(group, digits[written..], out var n, new StandardFormat('D', 4));
                written += n;
            }
        }

        return written;
    }
}
