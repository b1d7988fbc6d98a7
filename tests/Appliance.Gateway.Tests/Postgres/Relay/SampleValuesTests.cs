using System.Buffers.Binary;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Policy.Masking;

namespace Appliance.Gateway.Tests.Postgres.Relay;

public sealed class SampleValuesTests
{
    [Fact]
    public void BinaryValuesOfCommonTypes_ReadAsPostgresPrintsThem()
    {
        var int8 = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(int8, -42);
        var timestamp = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(timestamp, 86_400_000_000L + 1_500_000);

        Assert.Equal("-42", SampleValues.Render(int8, PgTypes.Int8, binary: true));
        Assert.Equal("t", SampleValues.Render([1], PgTypes.Bool, binary: true));
        Assert.Equal("2000-01-02 00:00:01.5+00", SampleValues.Render(timestamp, PgTypes.Timestamptz, binary: true));
        Assert.Equal("****", SampleValues.Render("****"u8, PgTypes.Text, binary: true));
        Assert.Equal("\\x0102", SampleValues.Render([1, 2], PgTypes.Bytea, binary: true));
        // A type it cannot print, or a malformed value: its size, never its bytes (a card in an int8 is 8 bytes, probes KB2, KB5).
        Assert.Equal("(binary, 2 bytes)", SampleValues.Render([1, 2], 99999, binary: true));
        Assert.Equal("(binary, 9 bytes)", SampleValues.Render([0, 0x0e, 0x9b, 0x08, 0xa5, 0x68, 0xf1, 0xc7, 0], PgTypes.Int8, binary: true));
    }

    [Theory]
    [InlineData("000300010000000104d2162e2328", "12345678.9")]
    [InlineData("0001ffff400000040001", "-0.0001")]
    [InlineData("0001fffe000000080001", "0.00000001")]
    [InlineData("00000000c0000000", "NaN")]
    [InlineData("0004000300000000100f045704570457", "4111111111111111")]
    [InlineData("000200000000000200641388", "100.50")]
    [InlineData("0002000000000000", "(binary, 8 bytes)")]
    [InlineData("00017fff00000000270f", "(binary, 10 bytes)")]
    public void BinaryNumerics_ReadAsNumericOutPrintsThem(string sent, string shown) =>
        Assert.Equal(shown, SampleValues.Render(Convert.FromHexString(sent), PgTypes.Numeric, binary: true));

    /// <summary>date_send's days since 2000-01-01 as date_out prints them; the vectors are PostgreSQL 15's (probes TB1, TB2: infinity, BC dates and years past 9999 threw).</summary>
    [Theory]
    [InlineData(-1, "1999-12-31")]
    [InlineData(8825, "2024-02-29")]
    [InlineData(-730119, "0001-01-01")]
    [InlineData(-730120, "0001-12-31 BC")]
    [InlineData(-746117, "0044-03-15 BC")]
    [InlineData(-2451179, "4713-11-24 BC")]
    [InlineData(2921939, "9999-12-31")]
    [InlineData(2921940, "10000-01-01")]
    [InlineData(2145031948, "5874897-12-31")]
    [InlineData(int.MaxValue, "infinity")]
    [InlineData(int.MinValue, "-infinity")]
    [InlineData(-2451546, "(binary, 4 bytes)")]
    [InlineData(2145031949, "(binary, 4 bytes)")]
    public void BinaryDates_ReadAsDateOutPrintsThem(int days, string shown)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, days);

        Assert.Equal(shown, SampleValues.Render(bytes, PgTypes.Date, binary: true));
    }

    /// <summary>timestamp_send's microseconds since 2000-01-01 as timestamp_out prints them (UTC); the vectors are PostgreSQL 15's (probe UA5).</summary>
    [Theory]
    [InlineData(-250_000L, true, "1999-12-31 23:59:59.75+00")]
    [InlineData(762_527_655_000_001L, true, "2024-02-29 13:14:15.000001+00")]
    [InlineData(-63_082_281_600_000_000L, true, "0001-01-01 00:00:00+00")]
    [InlineData(-64_464_463_799_500_000L, true, "0044-03-15 12:30:00.5+00 BC")]
    [InlineData(-64_464_463_799_500_000L, false, "0044-03-15 12:30:00.5 BC")]
    [InlineData(-211_813_488_000_000_000L, true, "4714-11-24 00:00:00+00 BC")]
    [InlineData(9_223_371_331_199_999_999L, false, "294276-12-31 23:59:59.999999")]
    [InlineData(long.MaxValue, true, "infinity")]
    [InlineData(long.MinValue, false, "-infinity")]
    public void BinaryTimestamps_ReadAsTimestampOutPrintsThem(long microseconds, bool timestamptz, string shown)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, microseconds);

        Assert.Equal(shown, SampleValues.Render(bytes, timestamptz ? PgTypes.Timestamptz : PgTypes.Timestamp, binary: true));
    }

    /// <summary>array_send's bytes, as PostgreSQL prints the array (probe JB2: they were recorded as hex).</summary>
    [Theory]
    [InlineData("int4[]", "{1,2}")]
    [InlineData("int4[][]", "{{1,2},{3,NULL}}")]
    [InlineData("text[]", "{a,\"b c\",\"\",NULL,\"NULL\",\"q\\\"\"}")]
    [InlineData("text[] from 0", "[0:1]={x,y}")]
    [InlineData("empty", "{}")]
    public void BinaryArrays_ReadAsArrayOutPrintsThem(string array, string shown)
    {
        byte[] bytes = array switch
        {
            "int4[]" => ArrayBytes(PgTypes.Int4, [2], 1, Int4(1), Int4(2)),
            "int4[][]" => ArrayBytes(PgTypes.Int4, [2, 2], 1, Int4(1), Int4(2), Int4(3), null),
            "text[]" => ArrayBytes(PgTypes.Text, [6], 1, "a"u8.ToArray(), "b c"u8.ToArray(), [], null, "NULL"u8.ToArray(), "q\""u8.ToArray()),
            "text[] from 0" => ArrayBytes(PgTypes.Text, [2], 0, "x"u8.ToArray(), "y"u8.ToArray()),
            _ => ArrayBytes(PgTypes.Int4, [], 1),
        };
        var type = array.StartsWith("int4", StringComparison.Ordinal) || array == "empty" ? PgTypes.Int4Array : PgTypes.TextArray;

        Assert.Equal(shown, SampleValues.Render(bytes, type, binary: true));
    }

    [Fact]
    public void BytesThatAreNoArray_AreShownByTheirSize()
    {
        var truncated = ArrayBytes(PgTypes.Int4, [2], 1, Int4(1), Int4(2))[..^2];
        Assert.Equal("(binary, 34 bytes)", SampleValues.Render(truncated, PgTypes.Int4Array, binary: true));
        Assert.Equal("(binary, 12 bytes)", SampleValues.Render([0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 23], PgTypes.Int4Array, binary: true));
    }

    /// <summary>Arrays of any element type print as array_out does, those of types it cannot print show their elements' sizes (probe KB6).</summary>
    [Fact]
    public void ArraysOfOtherTypes_AreShownElementByElement()
    {
        const uint boolArray = 1000, ownDomainArray = 16571;
        Assert.Equal("{t,f,NULL}", SampleValues.Render(ArrayBytes(PgTypes.Bool, [3], 1, [1], [0], null), boolArray, binary: true));
        Assert.Equal("{\"(binary, 8 bytes)\"}", SampleValues.Render(ArrayBytes(16570, [1], 1, Int4(1).Concat(Int4(2)).ToArray()), ownDomainArray, binary: true));
    }

    private static byte[] Int4(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] ArrayBytes(uint elementType, int[] lengths, int lowerBound, params byte[]?[] elements)
    {
        var bytes = new List<byte>();
        void Int(int value) => bytes.AddRange(Int4(value));
        Int(lengths.Length);
        Int(elements.Any(e => e is null) ? 1 : 0);
        Int((int)elementType);
        foreach (var length in lengths)
        {
            Int(length);
            Int(lowerBound);
        }

        foreach (var element in elements)
        {
            Int(element?.Length ?? -1);
            bytes.AddRange(element ?? []);
        }

        return [.. bytes];
    }

    [Fact]
    public void LongValues_AreCut_AndOutOfRangeTimestampsDoNotThrow()
    {
        var extreme = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(extreme, long.MaxValue - 1);

        Assert.Equal(SampleValues.MaxLength + 1, SampleValues.Render(new byte[5000].Select(_ => (byte)'a').ToArray(), PgTypes.Text, binary: false).Length);
        // Past PostgreSQL's range (a client's malformed parameter), still a calendar date.
        Assert.Equal("294277-01-09 04:00:54.775806", SampleValues.Render(extreme, PgTypes.Timestamp, binary: true));
        BinaryPrimitives.WriteInt64BigEndian(extreme, long.MinValue + 1);
        Assert.Equal("-9223372036854775807 µs from 2000-01-01", SampleValues.Render(extreme, PgTypes.Timestamp, binary: true));
    }

    [Theory]
    [InlineData("password=hunter2")]
    [InlineData("host=db user=u password=p4ss")]
    [InlineData("postgresql://u:R02secret@h/d")]
    public void AValueHoldingAPassword_IsRecordedAsStars(string value) =>
        Assert.Equal("****", SampleValues.Render(System.Text.Encoding.UTF8.GetBytes(value), PgTypes.Text, binary: false));

    [Fact]
    public void AUriWithoutAPassword_IsRecordedAsItIs() =>
        Assert.Equal("https://example.com/a@b", SampleValues.Render("https://example.com/a@b"u8.ToArray(), PgTypes.Text, binary: false));
}
