using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Appliance.Policy.Masking;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// Renders a (masked) result value as text for the audit log's sample rows. Binary values of
/// the common types are shown as PostgreSQL would print them; others as hex. Long values are
/// cut: samples show what came back, they are not a copy of it.
/// </summary>
internal static class SampleValues
{
    public const int MaxLength = 200;

    /// <summary>What the record shows for a value that holds a password.</summary>
    public const string Hidden = "****";

    private static readonly DateTime PostgresEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The value as the record shows it; one holding a password (<c>password=</c>, a URI's <c>user:password@</c>) as <c>****</c>, as a parameter would be.</summary>
    public static string Render(ReadOnlySpan<byte> value, uint typeOid, bool binary) => Render(value, typeOid, binary, out _);

    /// <param name="heldSecret">The value held a password and is shown as <see cref="Hidden"/> (a masked column's <c>****</c> is not one).</param>
    public static string Render(ReadOnlySpan<byte> value, uint typeOid, bool binary, out bool heldSecret)
    {
        var text = binary ? RenderBinaryOrSize(value, typeOid) : Encoding.UTF8.GetString(value[..Math.Min(value.Length, MaxLength * 4)]);
        // A gateway credential pasted into a value (SELECT 'apt_…') is a live secret too (probe CR2).
        heldSecret = Masker.HoldsSecret(text) || Appliance.Logging.GatewayCredentials.Holds(text);
        if (heldSecret)
        {
            return Hidden;
        }

        return text.Length > MaxLength ? string.Concat(text.AsSpan(0, MaxLength), "…") : text;
    }

    /// <summary>
    /// A sample is for the record: a value its reader cannot print is shown by its size rather than
    /// ending the session that relayed it (probes TB1, TB2 found such a value: a date past 9999).
    /// </summary>
    private static string RenderBinaryOrSize(ReadOnlySpan<byte> value, uint typeOid)
    {
        try
        {
            return RenderBinary(value, typeOid);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            return Unread(value);
        }
    }

    private static string RenderBinary(ReadOnlySpan<byte> value, uint typeOid) => (typeOid, value.Length) switch
    {
        (PgTypes.Bool, 1) => value[0] != 0 ? "t" : "f",
        (PgTypes.Int2, 2) => BinaryPrimitives.ReadInt16BigEndian(value).ToString(CultureInfo.InvariantCulture),
        (PgTypes.Int4, 4) => BinaryPrimitives.ReadInt32BigEndian(value).ToString(CultureInfo.InvariantCulture),
        (PgTypes.Oid, 4) => BinaryPrimitives.ReadUInt32BigEndian(value).ToString(CultureInfo.InvariantCulture),
        (PgTypes.Int8, 8) => BinaryPrimitives.ReadInt64BigEndian(value).ToString(CultureInfo.InvariantCulture),
        (PgTypes.Float4, 4) => BinaryPrimitives.ReadSingleBigEndian(value).ToString(CultureInfo.InvariantCulture),
        (PgTypes.Float8, 8) => BinaryPrimitives.ReadDoubleBigEndian(value).ToString(CultureInfo.InvariantCulture),
        (PgTypes.Numeric, >= 8) => Numeric(value),
        (PgTypes.Uuid, 16) => new Guid(value, bigEndian: true).ToString(),
        (PgTypes.Date, 4) => Date(value),
        (PgTypes.Timestamp or PgTypes.Timestamptz, 8) => Timestamp(BinaryPrimitives.ReadInt64BigEndian(value), typeOid == PgTypes.Timestamptz),
        _ when PgTypes.Classify(typeOid) is PgValueClass.Text or PgValueClass.Json => Encoding.UTF8.GetString(value[..Math.Min(value.Length, MaxLength * 4)]),
        (PgTypes.Jsonb, > 0) => Encoding.UTF8.GetString(value[1..Math.Min(value.Length, MaxLength * 4)]),
        (PgTypes.Bytea, _) => "\\x" + Convert.ToHexStringLower(value[..Math.Min(value.Length, MaxLength / 2)]),
        _ when typeOid is not (PgTypes.Record or PgTypes.RecordArray) && Array(value) is { } array => array,
        _ => Unread(value),
    };

    /// <summary>
    /// A binary value the record cannot print as PostgreSQL would: its size only. Its bytes in hex
    /// would keep a card that a type of one's own (a domain over int8) or a malformed parameter
    /// holds as a number (probes KB2, KB5).
    /// </summary>
    private static string Unread(ReadOnlySpan<byte> value) => $"(binary, {value.Length} bytes)";

    /// <summary>
    /// array_send's form (dimensions, flags, element type, each dimension's length and lower
    /// bound, then each element's length and bytes, row-major) as array_out prints it:
    /// <c>{{1,2},{3,NULL}}</c>, <c>[0:1]={a,"b c"}</c> (probe JB2: drivers that send and read
    /// binary had arrays recorded as hex). Null when the bytes are not such an array.
    /// </summary>
    private static string? Array(ReadOnlySpan<byte> value)
    {
        const int MaxDimensions = 6;
        if (value.Length < 12)
        {
            return null;
        }

        var dimensions = BinaryPrimitives.ReadInt32BigEndian(value);
        var flags = BinaryPrimitives.ReadInt32BigEndian(value[4..]);
        var elementType = BinaryPrimitives.ReadUInt32BigEndian(value[8..]);
        if (dimensions is < 0 or > MaxDimensions || (flags & ~1) != 0 || value.Length < 12 + (8 * dimensions))
        {
            return null;
        }

        // strides[d]: the elements one step of dimension d spans.
        Span<long> strides = stackalloc long[dimensions + 1];
        Span<int> lowerBounds = stackalloc int[dimensions];
        strides[dimensions] = 1;
        var bounded = false;
        for (var d = dimensions - 1; d >= 0; d--)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(value[(12 + (8 * d))..]);
            lowerBounds[d] = BinaryPrimitives.ReadInt32BigEndian(value[(16 + (8 * d))..]);
            if (length < 0 || length > value.Length)
            {
                return null;
            }

            strides[d] = strides[d + 1] * length;
            bounded |= lowerBounds[d] != 1;
        }

        var rest = value[(12 + (8 * dimensions))..];
        var total = dimensions == 0 ? 0 : strides[0];
        if (total == 0)
        {
            return rest.IsEmpty ? "{}" : null;
        }

        var text = new StringBuilder();
        if (bounded)
        {
            for (var d = 0; d < dimensions; d++)
            {
                var length = strides[d] / strides[d + 1];
                text.Append(CultureInfo.InvariantCulture, $"[{lowerBounds[d]}:{lowerBounds[d] + length - 1}]");
            }

            text.Append('=');
        }

        for (long k = 0; k < total; k++)
        {
            if (k > 0)
            {
                text.Append(',');
            }

            for (var d = 0; d < dimensions; d++)
            {
                if (k % strides[d] == 0)
                {
                    text.Append('{');
                }
            }

            if (rest.Length < 4)
            {
                return null;
            }

            var size = BinaryPrimitives.ReadInt32BigEndian(rest);
            rest = rest[4..];
            if (size == -1)
            {
                text.Append("NULL");
            }
            else if (size < 0 || size > rest.Length)
            {
                return null;
            }
            else
            {
                AppendElement(text, RenderBinary(rest[..size], elementType));
                rest = rest[size..];
            }

            for (var d = dimensions - 1; d >= 0; d--)
            {
                if ((k + 1) % strides[d] == 0)
                {
                    text.Append('}');
                }
            }

            if (text.Length > MaxLength * 4)
            {
                // Enough for a sample: the caller cuts it at MaxLength.
                return text.ToString();
            }
        }

        return rest.IsEmpty ? text.ToString() : null;
    }

    /// <summary>An element as array_out writes it: quoted when empty, NULL, or holding a brace, comma, quote, backslash or space.</summary>
    private static void AppendElement(StringBuilder text, string element)
    {
        if (element.Length > 0 && !element.Equals("NULL", StringComparison.OrdinalIgnoreCase) && element.AsSpan().IndexOfAny(ArraySpecial) < 0)
        {
            text.Append(element);
            return;
        }

        text.Append('"');
        foreach (var c in element)
        {
            if (c is '"' or '\\')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        text.Append('"');
    }

    private static readonly System.Buffers.SearchValues<char> ArraySpecial = System.Buffers.SearchValues.Create("{}\",\\ \t\n\r\v\f");

    /// <summary>numeric_send's form (ndigits, weight, sign, dscale, then base-10000 digits) as numeric_out prints it.</summary>
    private static string Numeric(ReadOnlySpan<byte> value)
    {
        int count = BinaryPrimitives.ReadInt16BigEndian(value);
        int weight = BinaryPrimitives.ReadInt16BigEndian(value[2..]);
        var sign = BinaryPrimitives.ReadUInt16BigEndian(value[4..]);
        int scale = BinaryPrimitives.ReadInt16BigEndian(value[6..]);
        if (count < 0 || scale < 0 || value.Length != 8 + (2 * count) || weight > MaxLength / 4 || scale > MaxLength)
        {
            return Unread(value);
        }

        switch (sign)
        {
            case 0xC000: return "NaN";
            case 0xD000: return "Infinity";
            case 0xF000: return "-Infinity";
        }

        var digits = value[8..];
        var text = new StringBuilder(sign == 0x4000 ? "-" : "");
        text.Append(weight < 0 ? "0" : Digit(digits, 0).ToString(CultureInfo.InvariantCulture));
        for (var i = 1; i <= weight; i++)
        {
            text.Append(Digit(digits, i).ToString("D4", CultureInfo.InvariantCulture));
        }

        if (scale > 0)
        {
            var fraction = new StringBuilder();
            for (var i = weight + 1; fraction.Length < scale; i++)
            {
                fraction.Append(Digit(digits, i).ToString("D4", CultureInfo.InvariantCulture));
            }

            text.Append('.').Append(fraction, 0, scale);
        }

        return text.ToString();
    }

    /// <summary>Base-10000 digit <paramref name="i"/>; those outside the ones sent are zeros.</summary>
    private static int Digit(ReadOnlySpan<byte> digits, int i) =>
        i >= 0 && i < digits.Length / 2 ? BinaryPrimitives.ReadInt16BigEndian(digits[(2 * i)..]) : 0;

    /// <summary>
    /// date_out's text for days since 2000-01-01: <c>infinity</c>, BC dates and years past 9999 as
    /// well, which DateTime cannot hold (probes TB1, TB2: <c>'infinity'::date</c> in a binary row
    /// or parameter threw, and the session ended with an internal error).
    /// </summary>
    private static string Date(ReadOnlySpan<byte> value)
    {
        var days = BinaryPrimitives.ReadInt32BigEndian(value);
        if (days is int.MaxValue or int.MinValue)
        {
            return days > 0 ? "infinity" : "-infinity";
        }

        return CalendarDate(days) is { } date ? date.Text + date.Era : Unread(value);
    }

    /// <summary>timestamp_out's text, UTC for timestamptz, across PostgreSQL's whole range (4714 BC to 294276, probe UA5).</summary>
    private static string Timestamp(long microseconds, bool utc)
    {
        if (microseconds is long.MaxValue or long.MinValue)
        {
            return microseconds > 0 ? "infinity" : "-infinity";
        }

        var days = Math.DivRem(microseconds, TimeSpan.TicksPerDay / 10, out var time);
        if (time < 0)
        {
            days--;
            time += TimeSpan.TicksPerDay / 10;
        }

        if (days is < int.MinValue or > int.MaxValue || CalendarDate((int)days) is not { } date)
        {
            return microseconds.ToString(CultureInfo.InvariantCulture) + " µs from 2000-01-01";
        }

        var clock = new TimeSpan(time * 10).ToString(@"hh\:mm\:ss\.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.');
        return $"{date.Text} {clock}{(utc ? "+00" : "")}{date.Era}";
    }

    /// <summary>
    /// The calendar date of <paramref name="days"/> since 2000-01-01, as PostgreSQL's j2date
    /// computes it from the Julian day, with " BC" for years before 1; null outside date's range.
    /// </summary>
    private static (string Text, string Era)? CalendarDate(int days)
    {
        const long PostgresEpochJulianDay = 2451545;
        const long LastJulianDay = 2147483494; // 5874898-01-01, the first day past date's range
        var julianDay = days + PostgresEpochJulianDay;
        if (julianDay is < 0 or >= LastJulianDay)
        {
            return null;
        }

        var julian = julianDay + 32044;
        var quad = julian / 146097;
        var extra = ((julian - (quad * 146097)) * 4) + 3;
        julian += 60 + (quad * 3) + (extra / 146097);
        quad = julian / 1461;
        julian -= quad * 1461;
        var y = julian * 4 / 1461;
        julian = (y != 0 ? (julian + 305) % 365 : (julian + 306) % 366) + 123;
        y += quad * 4;
        var year = y - 4800;
        quad = julian * 2141 / 65536;
        var day = julian - (7834 * quad / 256);
        var month = ((quad + 10) % 12) + 1;
        var text = string.Create(CultureInfo.InvariantCulture, $"{(year > 0 ? year : 1 - year):0000}-{month:00}-{day:00}");
        return (text, year > 0 ? "" : " BC");
    }
}
