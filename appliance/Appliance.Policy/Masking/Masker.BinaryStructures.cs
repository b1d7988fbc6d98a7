using System.Buffers.Binary;

namespace Appliance.Policy.Masking;

/// <summary>
/// Binary values whose numbers the detectors cannot see as bytes: ranges and multiranges of int8
/// or numeric (<c>int8range(4111111111111111, null)</c>), and values of types the gateway has no
/// OID for that are arrays or records underneath (an array of ranges, a table's row type). Their
/// numbers are read as the plain columns' are; a match makes the whole value NULL.
/// </summary>
internal sealed partial class Masker
{
    // range_send's flags (rangetypes.h).
    private const byte RangeEmpty = 0x01, RangeLowerInfinite = 0x08, RangeUpperInfinite = 0x10, RangeLowerNull = 0x20, RangeUpperNull = 0x40;

    /// <summary>A table's row type has at most 1,664 columns (MaxTupleAttributeNumber); an array at most 6 dimensions.</summary>
    private const int MaxRecordFields = 1664, MaxArrayDimensions = 6;

    /// <summary>How deep arrays, records and ranges are read inside one another; a value nested deeper is NULL.</summary>
    private const int MaxDepth = 4;

    /// <summary>A range (flags, then each present bound length-prefixed) or a multirange (a count, then length-prefixed ranges).</summary>
    private MaskResult DetectBinaryRange(ReadOnlySpan<byte> value, uint typeOid)
    {
        var bound = typeOid is PgTypes.Int8Range or PgTypes.Int8Multirange ? PgValueClass.Int8 : PgValueClass.Numeric;
        if (typeOid is not (PgTypes.Int8Multirange or PgTypes.NumMultirange))
        {
            return DetectRangeBounds(value, bound);
        }

        if (value.Length < 4)
        {
            return MaskText(value, ScanMode.DetectOnly, null, default);
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(value);
        var position = 4;
        for (var i = 0; i < count; i++)
        {
            if (!TryReadPrefixed(value, ref position, out var range))
            {
                return MaskText(value, ScanMode.DetectOnly, null, default);
            }

            if (DetectRangeBounds(range, bound) == MaskResult.Null)
            {
                return MaskResult.Null;
            }
        }

        return MaskResult.Unchanged;
    }

    private MaskResult DetectRangeBounds(ReadOnlySpan<byte> range, PgValueClass bound)
    {
        if (range.IsEmpty)
        {
            return MaskResult.Unchanged;
        }

        var flags = range[0];
        var position = 1;
        for (var b = 0; b < 2; b++)
        {
            var absent = RangeEmpty | (b == 0 ? RangeLowerInfinite | RangeLowerNull : RangeUpperInfinite | RangeUpperNull);
            if ((flags & absent) != 0)
            {
                continue;
            }

            if (!TryReadPrefixed(range, ref position, out var value))
            {
                return MaskText(range, ScanMode.DetectOnly, null, default);
            }

            if (DetectBinaryNumber(value, bound) == MaskResult.Null)
            {
                return MaskResult.Null;
            }
        }

        return MaskResult.Unchanged;
    }

    /// <summary>A value after its int32 length (not NULL: a range's bounds and a multirange's ranges never are), within bounds.</summary>
    private static bool TryReadPrefixed(ReadOnlySpan<byte> data, ref int position, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (data.Length - position < 4 || BinaryPrimitives.ReadInt32BigEndian(data[position..]) is var length && (length < 0 || data.Length - position - 4 < length))
        {
            return false;
        }

        value = data.Slice(position + 4, length);
        position += 4 + length;
        return true;
    }

    /// <summary>
    /// A type without a known OID: its bytes are scanned as they stand (text in a composite or an
    /// enum is there as text), and when the value is exactly an array or a record in PostgreSQL's
    /// binary format (both carry their elements' OIDs), it is read element by element as well.
    /// </summary>
    private MaskResult DetectBinaryOpaque(ReadOnlySpan<byte> value, int depth)
    {
        if (IsWellFormedContainer(value, isRecord: false) || IsWellFormedContainer(value, isRecord: true))
        {
            // Read element by element, each as its type: a bytea field's bytes are no text, and read
            // raw with the record's lengths and OIDs they made a typed row NULL (probe QB3).
            return depth > MaxDepth ? MaskResult.Null : DetectBinaryContainer(value, IsWellFormedContainer(value, isRecord: true), depth);
        }

        if (MaskText(value, ScanMode.DetectOnly, null, default) == MaskResult.Null)
        {
            return MaskResult.Null;
        }

        return depth > MaxDepth ? MaskResult.Null : DetectOpaqueNumbers(value, depth);
    }

    /// <summary>
    /// A value of a type without a known OID that is no array or record: a domain over int8,
    /// numeric or float8, or a range of one's own over them, holds its numbers as bytes no text
    /// scan sees (probe KB1: a card came out of <c>kb_dint8[]</c> and <c>kb_r8</c> in binary). Read as
    /// each of those numbers, and as a range or multirange of them, whichever its bytes fit.
    /// </summary>
    private MaskResult DetectOpaqueNumbers(ReadOnlySpan<byte> value, int depth)
    {
        if (value.Length == 8 && (DetectOpaqueInt8(value) == MaskResult.Null || DetectBinaryNumber(value, PgValueClass.Float8) == MaskResult.Null))
        {
            return MaskResult.Null;
        }

        if (value.Length >= 8 && DetectBinaryNumber(value, PgValueClass.Numeric) == MaskResult.Null)
        {
            return MaskResult.Null;
        }

        if (DetectOpaqueGeometry(value) == MaskResult.Null)
        {
            return MaskResult.Null;
        }

        if (depth > MaxDepth)
        {
            return MaskResult.Null;
        }

        if (OpaqueRangeBounds(value, depth) is { } range)
        {
            return range;
        }

        // A multirange: a count, then that many length-prefixed ranges, and nothing after them.
        if (value.Length < 4 || BinaryPrimitives.ReadInt32BigEndian(value) is var count && count is < 1 or > 1_000_000)
        {
            return MaskResult.Unchanged;
        }

        var position = 4;
        var found = MaskResult.Unchanged;
        for (var i = 0; i < count; i++)
        {
            if (!TryReadPrefixed(value, ref position, out var member) || OpaqueRangeBounds(member, depth) is not { } bounds)
            {
                return MaskResult.Unchanged;
            }

            if (bounds == MaskResult.Null)
            {
                found = MaskResult.Null;
            }
        }

        return position == value.Length ? found : MaskResult.Unchanged;
    }

    /// <summary>
    /// Eight bytes of an unknown type read as an int8 that has an issued card's length and prefix
    /// (17 to 19 digits and cards starting 81 or 82 too, probe MA1), unless they read as a float8
    /// someone wrote (normal, with at most 12 significant digits: 0.25, 19.99, 6.02e23), which the
    /// float8 reading judges. Any eight bytes are some int8: a float8's or a timestamp's (its
    /// microseconds, 15 digits) read so passed the detector's looser rules one time in ten and came
    /// back NULL (probes LA4, MA4, NA5), while an int8 card read as a float8 has a full mantissa
    /// (a window of magnitudes had let a third of 19-digit cards starting with 4 through, NA1).
    /// </summary>
    private MaskResult DetectOpaqueInt8(ReadOnlySpan<byte> value)
    {
        if (IsWrittenFloat(BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(value))))
        {
            return MaskResult.Unchanged;
        }

        Span<byte> digits = stackalloc byte[32];
        var length = BinaryNumbers.Int8Digits(value, digits);
        return length > 0 && IsIssuedCardShape(digits[..length]) ? DetectDigits(digits[..length]) : MaskResult.Unchanged;
    }

    /// <summary>A normal float8 whose shortest form has at most 12 significant digits.</summary>
    private static bool IsWrittenFloat(double number)
    {
        Span<char> text = stackalloc char[32];
        if (!double.IsNormal(number) || !Math.Abs(number).TryFormat(text, out var written, "R", System.Globalization.CultureInfo.InvariantCulture))
        {
            return false;
        }

        // The mantissa's digits, without the point and the zeros before and after them.
        var mantissa = text[..written];
        var exponent = mantissa.IndexOfAny('E', 'e');
        mantissa = exponent >= 0 ? mantissa[..exponent] : mantissa;
        int first = -1, last = -1, between = 0;
        for (var i = 0; i < mantissa.Length; i++)
        {
            if (mantissa[i] is >= '1' and <= '9')
            {
                first = first < 0 ? i : first;
                last = i;
            }
        }

        for (var i = first + 1; i < last; i++)
        {
            between += mantissa[i] == '.' ? 0 : 1;
        }

        return first < 0 || between + (first == last ? 1 : 2) <= 12;
    }

    /// <summary>
    /// A value of a type without a known OID whose bytes a geometric value's layout fits (a
    /// domain over point, box, circle, path or polygon; an extension's type of the same layout,
    /// contrib's <c>cube</c>: a 4-byte header, then float8s): its float8s, read as such (probes NA2, OA2).
    /// </summary>
    private MaskResult DetectOpaqueGeometry(ReadOnlySpan<byte> value)
    {
        foreach (var start in (ReadOnlySpan<int>)[0, 4, 5])
        {
            // After a 4-byte header one float8 is enough: contrib's cube of one point (probe OA2).
            if (value.Length > start && (value.Length - start) % 8 == 0 && value.Length - start >= (start == 4 ? 8 : 16)
                && DetectBinaryGeometry(value, start switch { 4 => PgTypes.Polygon, 5 => PgTypes.Path, _ => PgTypes.Point }) == MaskResult.Null)
            {
                return MaskResult.Null;
            }
        }

        return MaskResult.Unchanged;
    }

    /// <summary>The lengths and leading digits issued cards have: Visa 13, 16, 19; Diners 14; Amex 15; Mastercard, Discover, UnionPay, Maestro 16 to 19.</summary>
    private static bool IsIssuedCardShape(ReadOnlySpan<byte> d) => d.Length switch
    {
        13 => d[0] == '4',
        14 => d[0] == '3' && d[1] is (byte)'0' or (byte)'6' or (byte)'8',
        15 => d[0] == '3' && d[1] is (byte)'4' or (byte)'7',
        16 => ValueScanner.IsCardLead(d[0], d[1]),
        >= 17 and <= 19 => d[0] is >= (byte)'4' and <= (byte)'6' || (d[0] == '8' && d[1] is (byte)'1' or (byte)'2'),
        _ => false,
    };

    /// <summary>
    /// A geometric value (point, lseg, box, path, polygon, line, circle) in binary: float8s, after
    /// a path's flag and count or a polygon's count. A card kept in one is a float8 like any other (probe MA2).
    /// </summary>
    private MaskResult DetectBinaryGeometry(ReadOnlySpan<byte> value, uint typeOid)
    {
        var start = typeOid switch { PgTypes.Path => 5, PgTypes.Polygon => 4, _ => 0 };
        for (var at = start; at + 8 <= value.Length; at += 8)
        {
            if (DetectBinaryNumber(value.Slice(at, 8), PgValueClass.Float8) == MaskResult.Null)
            {
                return MaskResult.Null;
            }
        }

        return MaskResult.Unchanged;
    }

    private static bool IsGeometry(uint typeOid) =>
        typeOid is PgTypes.Point or PgTypes.Lseg or PgTypes.Path or PgTypes.Box or PgTypes.Polygon or PgTypes.Line or PgTypes.Circle;

    /// <summary>range_send's layout (flags, then each present bound length-prefixed, nothing after): what its bounds hold; null when the bytes are no range.</summary>
    private MaskResult? OpaqueRangeBounds(ReadOnlySpan<byte> value, int depth)
    {
        if (value.IsEmpty)
        {
            return null;
        }

        var flags = value[0];
        var position = 1;
        var found = MaskResult.Unchanged;
        for (var b = 0; b < 2; b++)
        {
            var absent = RangeEmpty | (b == 0 ? RangeLowerInfinite | RangeLowerNull : RangeUpperInfinite | RangeUpperNull);
            if ((flags & absent) != 0)
            {
                continue;
            }

            if (!TryReadPrefixed(value, ref position, out var bound))
            {
                return null;
            }

            if (DetectBinaryOpaque(bound, depth + 1) == MaskResult.Null)
            {
                found = MaskResult.Null;
            }
        }

        return position == value.Length ? found : null;
    }

    /// <summary>array_send's or record_send's layout, with every length in bounds and nothing after the last element.</summary>
    private static bool IsWellFormedContainer(ReadOnlySpan<byte> value, bool isRecord)
    {
        long count;
        int position;
        if (isRecord)
        {
            if (value.Length < 4 || BinaryPrimitives.ReadInt32BigEndian(value) is < 0 or > MaxRecordFields)
            {
                return false;
            }

            count = BinaryPrimitives.ReadInt32BigEndian(value);
            position = 4;
        }
        else
        {
            if (value.Length < 12 || BinaryPrimitives.ReadInt32BigEndian(value) is var dimensions && dimensions is < 0 or > MaxArrayDimensions
                || BinaryPrimitives.ReadInt32BigEndian(value[4..]) is not (0 or 1))
            {
                return false;
            }

            count = dimensions == 0 ? 0 : 1;
            position = 12;
            for (var d = 0; d < dimensions; d++, position += 8)
            {
                if (value.Length - position < 8 || BinaryPrimitives.ReadInt32BigEndian(value[position..]) is var size && size < 0)
                {
                    return false;
                }

                // Every element takes at least its 4-byte length.
                count = Math.Min(count * size, value.Length);
            }
        }

        for (var i = 0; i < count; i++)
        {
            position += isRecord ? 4 : 0;
            if (value.Length - position < 4
                || BinaryPrimitives.ReadInt32BigEndian(value[position..]) is var length && (length < -1 || length > value.Length - position - 4))
            {
                return false;
            }

            position += 4 + Math.Max(length, 0);
        }

        return position == value.Length;
    }
}
