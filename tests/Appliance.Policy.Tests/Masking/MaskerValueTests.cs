using System.Text;
using Appliance.Policy.Masking;
using static Appliance.Policy.Tests.Masking.MaskingTestData;

namespace Appliance.Policy.Tests.Masking;

public class MaskerValueTests
{
    private readonly Masker _masker = MaskingTestData.Masker();

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [InlineData(PgTypes.Text)]
    [InlineData(PgTypes.Varchar)]
    [InlineData(PgTypes.Bpchar)]
    [InlineData(PgTypes.Name)]
    [InlineData(PgTypes.Unknown)]
    [InlineData(PgTypes.Xml)]
    public void MaskValue_TextLikeInBothFormats_IsRewritten(uint typeOid)
    {
        foreach (var binary in new[] { false, true })
        {
            var (result, bytes) = _masker.MaskValue(Utf8("pay 4111111111111111"), typeOid, binary);
            Assert.Equal(MaskResult.Replaced, result);
            Assert.Equal("pay ****-****-****-1111", Encoding.UTF8.GetString(bytes));
        }
    }

    [Fact]
    public void MaskValue_NothingToMask_IsUnchangedAndWritesNothing()
    {
        var (result, bytes) = _masker.MaskValue(Utf8("just a name"), PgTypes.Text, binary: false);
        Assert.Equal(MaskResult.Unchanged, result);
        Assert.Empty(bytes);
    }

    [Fact]
    public void MaskValue_JsonInBothFormats_IsRewrittenInsideStrings()
    {
        foreach (var binary in new[] { false, true })
        {
            var (result, bytes) = _masker.MaskValue(Utf8("{\"to\": \"alice@example.com\"}"), PgTypes.Json, binary);
            Assert.Equal(MaskResult.Replaced, result);
            Assert.Equal("{\"to\": \"a***@example.com\"}", Encoding.UTF8.GetString(bytes));
        }
    }

    [Fact]
    public void MaskValue_JsonbBinary_KeepsTheVersionByte()
    {
        var value = new byte[] { 1 }.Concat(Utf8("{\"card\": \"4111 1111 1111 1111\"}")).ToArray();
        var (result, bytes) = _masker.MaskValue(value, PgTypes.Jsonb, binary: true);
        Assert.Equal(MaskResult.Replaced, result);
        Assert.Equal(1, bytes[0]);
        Assert.Equal("{\"card\": \"****-****-****-1111\"}", Encoding.UTF8.GetString(bytes.AsSpan(1)));
    }

    [Theory]
    [InlineData("{\"id\": 1, \"card\": 4111111111111111}", "{\"id\": 1, \"card\": \"****-****-****-1111\"}")]
    // An exponent form whose value is a card masks the document whole (probe SA1: read first).
    [InlineData("[4111111111111111.5e3, 2]", "\"****\"")]
    [InlineData("{\"card_str\": \"x 4111111111111111\"}", "{\"card_str\": \"x ****-****-****-1111\"}")]
    [InlineData("{\"a\": \"\\\"\", \"n\": 4111111111111111}", "{\"a\": \"\\\"\", \"n\": \"****-****-****-1111\"}")]
    public void MaskValue_JsonNumberCard_BecomesAJsonString(string json, string masked)
    {
        var (result, bytes) = _masker.MaskValue(Utf8(json), PgTypes.Jsonb, binary: false);
        Assert.Equal(MaskResult.Replaced, result);
        Assert.Equal(masked, Encoding.UTF8.GetString(bytes));
        using var _ = System.Text.Json.JsonDocument.Parse(bytes);
    }

    [Fact]
    public void MaskValue_JsonPatternOutsideAString_IsNull()
    {
        var masker = Appliance.Policy.Masking.Masker.Compile([new() { Name = "p", Patterns = [new() { Name = "n", Regex = @"\b7{6}\b" }] }]);
        Assert.Equal(MaskResult.Null, masker.MaskValue(Utf8("{\"n\": 777777}"), PgTypes.Json, binary: false).Result);
        Assert.Equal("{\"n\": \"******\"}", Encoding.UTF8.GetString(masker.MaskValue(Utf8("{\"n\": \"777777\"}"), PgTypes.Json, binary: false).Bytes));
    }

    [Theory]
    [InlineData(4111111111111111L, true)]
    [InlineData(-4111111111111111L, true)]
    [InlineData(4111111111111112L, false)]
    [InlineData(123456789L, false)]
    [InlineData(long.MinValue, false)]
    [InlineData(2099123123595900L, false)] // a compact timestamp, Luhn-valid (probe TC3)
    [InlineData(20260101120000004L, false)]
    public void MaskValue_BinaryInt8_CardBecomesNull(long value, bool becomesNull) =>
        Assert.Equal(becomesNull ? MaskResult.Null : MaskResult.Unchanged, _masker.MaskValue(Int8(value), PgTypes.Int8, binary: true).Result);

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("6011000990139424", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("12345", false)]
    [InlineData("100000000000000000000000", false)]
    public void MaskValue_BinaryNumeric_CardBecomesNull(string integer, bool becomesNull) =>
        Assert.Equal(becomesNull ? MaskResult.Null : MaskResult.Unchanged, _masker.MaskValue(Numeric(integer), PgTypes.Numeric, binary: true).Result);

    [Fact]
    public void MaskValue_BinaryFloat8_IntegralCardBecomesNull()
    {
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Float8(4111111111111111d), PgTypes.Float8, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Float8(3.5), PgTypes.Float8, binary: true).Result);
    }

    [Theory]
    [InlineData(PgTypes.Int8, "4111111111111111")]
    [InlineData(PgTypes.Numeric, "4111111111111111.00")]
    [InlineData(PgTypes.Float8, "4111111111111111")]
    public void MaskValue_TextNumberHoldingACard_BecomesNullNotInvalidText(uint typeOid, string text) =>
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8(text), typeOid, binary: false).Result);

    [Fact]
    public void MaskValue_TypesThatCannotHoldText_AreNotScanned()
    {
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("4111111111111111"), PgTypes.Int4, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("2024-01-01 10:00:00"), PgTypes.Timestamp, binary: false).Result);
    }

    [Fact]
    public void MaskValue_ByteaHex_IsDecodedMaskedAndEncoded()
    {
        var hex = "\\x" + Convert.ToHexStringLower(Utf8("card=4111111111111111"));
        var (result, bytes) = _masker.MaskValue(Utf8(hex), PgTypes.Bytea, binary: false);
        Assert.Equal(MaskResult.Replaced, result);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.StartsWith("\\x", text, StringComparison.Ordinal);
        Assert.Equal("card=****-****-****-1111", Encoding.UTF8.GetString(Convert.FromHexString(text[2..])));
    }

    [Fact]
    public void MaskValue_ByteaOfBinaryData_IsNotReadAsAnAddress()
    {
        // d2 9a '@' f6 '.' 91 f2: an '@' and a dot among bytes that are no UTF-8 text (probe V).
        byte[] data = [0x17, 0x2b, 0xd2, 0x9a, 0x40, 0xf6, 0x2e, 0x91, 0xf2, 0x7c];
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(data, PgTypes.Bytea, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("\\x" + Convert.ToHexStringLower(data)), PgTypes.Bytea, binary: false).Result);

        // The same bytes around a real address still hide it.
        var (result, bytes) = _masker.MaskValue([0xd2, 0x9a, 0x20, .. Utf8("alice@example.com")], PgTypes.Bytea, binary: true);
        Assert.Equal(MaskResult.Replaced, result);
        Assert.Equal([0xd2, 0x9a, 0x20, .. Utf8("a***@example.com")], bytes);
    }

    /// <summary>
    /// A bytea's bytes are no text in some encoding: an '@' among high bytes with ASCII letters
    /// next to it read as an address and was masked into the data, one random blob in 25 (probe
    /// PB1: 'bqx' D8 '@s.R' F2 came back a byte shorter). Only an ASCII (or UTF-8) address counts.
    /// </summary>
    [Fact]
    public void MaskValue_ByteaOfRandomBytes_IsNotChanged()
    {
        byte[] sample = [0xa9, 0x62, 0x71, 0x78, 0xd8, 0x40, 0x73, 0x2e, 0x52, 0xf2];
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(sample, PgTypes.Bytea, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("\\x" + Convert.ToHexStringLower(sample)), PgTypes.Bytea, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Array(PgTypes.Bytea, sample), 1001, binary: true).Result);

        var random = new Random(20261127);
        var changed = 0;
        for (var i = 0; i < 300; i++)
        {
            var blob = new byte[1024];
            random.NextBytes(blob);
            changed += _masker.MaskValue(blob, PgTypes.Bytea, binary: true).Result == MaskResult.Unchanged ? 0 : 1;
        }

        Assert.Equal(0, changed);

        // A bytea[] in text is read decoded: the hex digits' own runs are no card (probe PB2).
        byte[] digits = [0xab, 0x64, 0x17, 0x83, 0x39, 0x12, 0x36, 0x3a];
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("{\"\\\\x" + Convert.ToHexStringLower(digits) + "\",NULL}"), 1001, binary: false).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("{{\"\\\\x" + Convert.ToHexStringLower(Utf8("4111111111111111")) + "\"}}"), 1001, binary: false).Result);

        // An address in UTF-8 or ASCII inside the bytes is still masked.
        var (result, bytes) = _masker.MaskValue([0xd8, 0x20, .. Utf8("\u017caneta@example.pl"), 0x20, 0xf2], PgTypes.Bytea, binary: true);
        Assert.Equal(MaskResult.Replaced, result);
        Assert.Equal([0xd8, 0x20, .. Utf8("\u017c***@example.pl"), 0x20, 0xf2], bytes);
        Assert.Equal([0xd8, .. Utf8("mary@example.org")[..1], .. Utf8("***@example.org"), 0xf2], _masker.MaskValue([0xd8, .. Utf8("mary@example.org"), 0xf2], PgTypes.Bytea, binary: true).Bytes);
    }

    /// <summary>
    /// What no detector reads as it stands in text or JSON: to_json of a bytea writes its hex
    /// (probe QB1: a card, SSN or address in a bytea came out through to_json whole), and a
    /// point's or cube's text writes a float8 in exponent form (QB5). Masked whole.
    /// </summary>
    [Fact]
    public void MaskValue_TextOrJsonHoldingABytesHexOrAnExponent_OfACard_IsMaskedWhole()
    {
        var hex = Convert.ToHexStringLower(Utf8("card 4111111111111111"));
        Assert.Equal("\"****\"", Encoding.UTF8.GetString(_masker.MaskValue(Utf8("{\"b\": \"\\\\x" + hex + "\"}"), PgTypes.Json, binary: false).Bytes));
        Assert.Equal("****", Encoding.UTF8.GetString(_masker.MaskValue(Utf8("(4.111111111111111e+15,1)"), PgTypes.Text, binary: false).Bytes));
        Assert.Equal(MaskResult.Replaced, _masker.MaskValue([1, .. Utf8("[4.111111111111111e+15]")], PgTypes.Jsonb, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("{\"b\": \"\\\\x68656c6c6f\", \"n\": 6.02e+23}"), PgTypes.Json, binary: false).Result);

        // A digest kept as bytea, as text, is a digest (probe RB1).
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("\\x6f3e29a35278d71c7f65495871231324"), PgTypes.Text, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("[\"\\\\x6f3e29a35278d71c7f65495871231324\"]"), PgTypes.Json, binary: false).Result);

        // A mask is not written into a bytea's hex, which it would alter silently: the value is masked whole (probe RA5).
        Assert.Equal("\"****\"", Encoding.UTF8.GetString(_masker.MaskValue(Utf8("\"\\\\x7e5c6011373127221328e6716e28d\""), PgTypes.Json, binary: false).Bytes));

        // Java's form and scaled forms too (probe RA2); a number someone wrote is none (RA4).
        Assert.Equal("****", Encoding.UTF8.GetString(_masker.MaskValue(Utf8("v=4.111111111111111E15"), PgTypes.Text, binary: false).Bytes));
        Assert.Equal("\"****\"", Encoding.UTF8.GetString(_masker.MaskValue(Utf8("{\"n\": 0.6011373127221328e16}"), PgTypes.Json, binary: false).Bytes));
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("mass 3.174e+14 kg, 3.174E14"), PgTypes.Text, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("{3.174e+14,1.5e+15}"), PgTypes.Float8Array, binary: false).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("{4.111111111111111e+15}"), PgTypes.Float8Array, binary: false).Result);

        // Beside an address the detectors mask (probe SA1), before a point or after a dash (SA2), in
        // arrays and records in any spelling (SA3), with a negative exponent (SA4).
        foreach (var text in new[] { "bob@mail.example.com paid with 6.011373127221328e+15", "card 4.111111111111111E15.", "12-4.111111111111111e+15", "41111111111111110e-1" })
        {
            Assert.Equal("****", Encoding.UTF8.GetString(_masker.MaskValue(Utf8(text), PgTypes.Text, binary: false).Bytes));
        }

        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("{4.111111111111111E15}"), PgTypes.TextArray, binary: false).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("(1,4.111111111111111e15)"), 16800, binary: false).Result);

        // An 'e' inside a digest or a bytea's hex is a hex digit (SA5).
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("aaaa12345678901234e5bbbbbbbbbbbbbbbbbbbb"), PgTypes.Text, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("\\x12345678901234e5ab"), PgTypes.Text, binary: false).Result);
    }

    /// <summary>
    /// A bytea inside a record is bytes too: seven random ones made the record NULL in text, and a
    /// typed row NULL in binary, where its field says bytea (probe QB3); a domain label starts with
    /// a letter or digit (QB2: "m8@-.2L" in random bytes read as an address).
    /// </summary>
    [Fact]
    public void MaskValue_RandomBytesInARecord_OrADashedLabel_AreNoAddress()
    {
        const uint rowType = 16800;
        byte[] bytes = [0x6f, 0x40, 0x85, 0xeb, 0x2e, 0x51, 0x90];
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("(1,\"\\\\x" + Convert.ToHexStringLower(bytes) + "\")"), rowType, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Record((PgTypes.Int4, [0, 0, 0, 1]), (PgTypes.Bytea, bytes)), rowType, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Record((PgTypes.Int4, [0, 0, 0, 1]), (PgTypes.Text, Utf8("ann@example.com"))), rowType, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue([0xd8, .. Utf8("m8@-.2L"), 0xf2], PgTypes.Bytea, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("see m8@-x.com"), PgTypes.Text, binary: false).Result);
    }

    [Theory]
    [InlineData(new byte[] { 0xE9 }, "mary.johnson@example.org", new byte[0], new byte[] { 0xE9 }, "***@example.org")]
    [InlineData(new byte[0], "mary.johnson@example.org", new byte[] { 0xE9 }, new byte[0], "m***@example.org\u00E9")]
    [InlineData(new byte[0], "andr\u00E9@ex.com", new byte[0], new byte[0], "a***@ex.com")]
    [InlineData(new byte[0], "jo@caf\u00E9.fr", new byte[0], new byte[0], "j***@caf\u00E9.fr")]
    [InlineData(new byte[0], "mary.johnson\u00B5@example.org", new byte[0], new byte[0], "m***@example.org")]
    [InlineData(new byte[0], "mary.johnson\u0085@example.org", new byte[0], new byte[0], "m***@example.org")]
    [InlineData(new byte[0], "mary.johnson\u00F7@example.org", new byte[0], new byte[0], "m***@example.org")]
    public void MaskValue_AnAddressInALatin1Session_IsMasked(byte[] before, string address, byte[] after, byte[] expectedBefore, string expected)
    {
        // client_encoding LATIN1: 'é' is the one byte E9, no UTF-8 (probe W, review).
        var result = _masker.MaskValue([.. before, .. System.Text.Encoding.Latin1.GetBytes(address), .. after], PgTypes.Text, binary: false);
        Assert.Equal([.. expectedBefore, .. System.Text.Encoding.Latin1.GetBytes(expected)], result.Bytes);
    }

    [Fact]
    public void MaskValue_ByteaBinary_IsMaskedAsBytes()
    {
        var (result, bytes) = _masker.MaskValue([0, 1, .. Utf8("4111111111111111"), 0xFF], PgTypes.Bytea, binary: true);
        Assert.Equal(MaskResult.Replaced, result);
        Assert.Equal([0, 1, .. Utf8("****-****-****-1111"), 0xFF], bytes);
    }

    /// <summary>
    /// A UUID as text (in an array, a record, JSON) is no card, though its digit groups joined by
    /// dashes read as one about one time in a thousand (probe OA5: 1aa****-****-****-4742-…); a
    /// card next to one, or written into a longer word of hex and dashes, is still one.
    /// </summary>
    [Fact]
    public void MaskValue_UuidText_IsNoCard()
    {
        var uuid = "aaaa4111-1111-1111-1111-0123456789ab";
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("{" + uuid + "," + uuid.ToUpperInvariant() + "}"), PgTypes.TextArray, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("{\"id\": \"" + uuid + "\"}"), PgTypes.Json, binary: false).Result);
        Assert.Equal("(" + uuid + ",****-****-****-1111)",
            Encoding.UTF8.GetString(_masker.MaskValue(Utf8("(" + uuid + ",4111-1111-1111-1111)"), 16400, binary: false).Bytes));
        Assert.Equal(MaskResult.Replaced, _masker.MaskValue(Utf8("x-" + uuid), PgTypes.Text, binary: false).Result);
        Assert.Equal(MaskResult.Replaced, _masker.MaskValue(Utf8(uuid + "-1"), PgTypes.Text, binary: false).Result);
    }

    [Fact]
    public void MaskValue_TextArrayInTextFormat_IsRewrittenInPlace()
    {
        var (result, bytes) = _masker.MaskValue(Utf8("{4111111111111111,\"bob@example.com\"}"), PgTypes.TextArray, binary: false);
        Assert.Equal(MaskResult.Replaced, result);
        Assert.Equal("{****-****-****-1111,\"b***@example.com\"}", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void MaskValue_NumberArrayInTextFormat_BecomesNull() =>
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("{1,4111111111111111}"), PgTypes.Int8Array, binary: false).Result);

    [Fact]
    public void MaskValue_BinaryArrays_AreReadElementByElement()
    {
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(PgTypes.Int8, Int8(7), null, Int8(4111111111111111)), PgTypes.Int8Array, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(PgTypes.Text, Utf8("a"), Utf8("x@example.com")), PgTypes.TextArray, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Array(PgTypes.Text, Utf8("a"), Utf8("b")), PgTypes.TextArray, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Array(PgTypes.Int8, Int8(7), Int8(8)), PgTypes.Int8Array, binary: true).Result);
    }

    [Fact]
    public void MaskValue_Xid8HoldingACard_BecomesNullInBothFormats()
    {
        // regexp_replace(note, '\D', '', 'g')::xid8 (probe AB).
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Int8(6011373127221328), PgTypes.Xid8, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("6011373127221328"), PgTypes.Xid8, binary: false).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(PgTypes.Xid8, Int8(6011373127221328)), PgTypes.Xid8Array, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Int8(734), PgTypes.Xid8, binary: true).Result);
    }

    [Theory]
    [InlineData(411111111111111100L, true)]
    [InlineData(4111111111111111L, true)]
    [InlineData(4111111111111111000L, true)]
    [InlineData(123456L, false)]
    [InlineData(411111111111111200L, false)]
    public void MaskValue_BinaryMoneyHoldingACard_BecomesNull(long cents, bool becomesNull) =>
        Assert.Equal(becomesNull ? MaskResult.Null : MaskResult.Unchanged, _masker.MaskValue(Int8(cents), PgTypes.Money, binary: true).Result);

    [Theory]
    [InlineData("$4,111,111,111,111,111.00")]
    [InlineData("-$6,011,373,127,221,328.00")]
    [InlineData("4.111.111.111.111.111,00 \u20AC")]
    [InlineData("$4111111111111111.00")]
    public void MaskValue_TextMoneyHoldingACard_BecomesNull(string text) =>
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8(System.Text.RegularExpressions.Regex.Unescape(text)), PgTypes.Money, binary: false).Result);

    /// <summary>A card in a float8 as text: every digit is there, split by a point and an exponent (probe EJ4).</summary>
    [Theory]
    [InlineData("4.111111111111111e+15", PgTypes.Float8, true)]
    [InlineData("-6.011373127221328e+15", PgTypes.Float8, true)]
    [InlineData("{1.5,4.111111111111111e+15}", PgTypes.Float8Array, true)]
    [InlineData("1.2345e+15", PgTypes.Float8, false)]
    [InlineData("3.14159", PgTypes.Float8, false)]
    [InlineData("{1,2.5,NaN}", PgTypes.Float8Array, false)]
    public void MaskValue_TextFloatHoldingACard_BecomesNull(string text, uint type, bool becomesNull) =>
        Assert.Equal(becomesNull ? MaskResult.Null : MaskResult.Unchanged, _masker.MaskValue(Utf8(text), type, binary: false).Result);

    /// <summary>A card / 100 as money: every digit is there in text as in binary's cents (probe EC2), also in an array.</summary>
    [Theory]
    [InlineData("$60,113,731,272,213.28", PgTypes.Money)]
    [InlineData("-$41,111,111,111,111.11", PgTypes.Money)]
    [InlineData("60.113.731.272.213,28 \u20AC", PgTypes.Money)]
    [InlineData("{\"$1.00\",\"$60,113,731,272,213.28\"}", PgTypes.MoneyArray)]
    public void MaskValue_TextMoneyWhoseCentsAreACard_BecomesNull(string text, uint type) =>
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8(System.Text.RegularExpressions.Regex.Unescape(text)), type, binary: false).Result);

    /// <summary>
    /// pg_snapshot and txid_snapshot in binary are int8 transaction ids: one that is a card is
    /// found as it is in the text form (probe EC1: text masked, binary passed the card).
    /// </summary>
    [Theory]
    [InlineData(PgTypes.PgSnapshot, 6011373127221328L, 6011373127221328L, 0L, true)]
    [InlineData(PgTypes.TxidSnapshot, 1000L, 6011373127221328L, 0L, true)]
    [InlineData(PgTypes.PgSnapshot, 1000L, 2000L, 4111111111111111L, true)]
    [InlineData(PgTypes.PgSnapshot, 734L, 750L, 740L, false)]
    public void MaskValue_BinarySnapshotHoldingACard_BecomesNull(uint type, long xmin, long xmax, long inProgress, bool becomesNull)
    {
        var ids = inProgress == 0 ? new[] { xmin, xmax } : new[] { xmin, xmax, inProgress };
        var value = new byte[4 + (8 * ids.Length)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(value, ids.Length - 2);
        for (var i = 0; i < ids.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(value.AsSpan(4 + (8 * i)), ids[i]);
        }

        Assert.Equal(becomesNull ? MaskResult.Null : MaskResult.Unchanged, _masker.MaskValue(value, type, binary: true).Result);
        Assert.Equal(becomesNull ? MaskResult.Null : MaskResult.Unchanged, _masker.MaskValue(Array(type, value), type == PgTypes.PgSnapshot ? 5039u : 2949u, binary: true).Result);
    }

    [Fact]
    public void MaskValue_TextMoneyOfAnAmount_IsUnchanged()
    {
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("{\"$1,234,567.89\",\"-$12.00\"}"), PgTypes.MoneyArray, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("$1,234,567.89"), PgTypes.Money, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Array(PgTypes.Money, Int8(12345)), PgTypes.MoneyArray, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(PgTypes.Money, Int8(411111111111111100)), PgTypes.MoneyArray, binary: true).Result);
    }

    [Fact]
    public void MaskValue_BinaryRangesHoldingACard_BecomeNull()
    {
        // int8range(card, null), numrange(card, null), int8multirange(…) in binary, Npgsql's default (probe AB).
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Range(Int8(375572663978448), null), PgTypes.Int8Range, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Range(Int8(1), Int8(4111111111111111)), PgTypes.Int8Range, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Range(Numeric("6011373127221328"), null), PgTypes.NumRange, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(
            Multirange(Range(Int8(1), Int8(2)), Range(Int8(4111111111111111), null)), PgTypes.Int8Multirange, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Range(Int8(1), Int8(10)), PgTypes.Int8Range, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue([0x01], PgTypes.Int8Range, binary: true).Result);
    }

    [Fact]
    public void MaskValue_RangeText_IsRewritten() =>
        Assert.Equal("[****-****-****-1111,)", Encoding.UTF8.GetString(_masker.MaskValue(Utf8("[4111111111111111,)"), PgTypes.Int8Range, binary: false).Bytes));

    [Fact]
    public void MaskValue_UnknownTypeThatIsAnArrayOrRecord_IsReadElementByElement()
    {
        // ARRAY[int8range(card, null)] is an _int8range (3927), a type without its own class; ROW(…)::orders a table's row type.
        const uint int8RangeArray = 3927, ordersRowType = 16400;
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(PgTypes.Int8Range, Range(Int8(4111111111111111), null)), int8RangeArray, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(
            Record((PgTypes.Int4, [0, 0, 0, 1]), (PgTypes.Numeric, Numeric("4111111111111111")), (PgTypes.Text, null)), ordersRowType, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Record((PgTypes.Int4, [0, 0, 0, 1]), (PgTypes.Money, Int8(411111111111111100))), PgTypes.Record, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(
            Record((PgTypes.Int4, [0, 0, 0, 1]), (PgTypes.Numeric, Numeric("12")), (PgTypes.Text, Utf8("paid"))), ordersRowType, binary: true).Result);

        // Bytes that only start like a record are scanned as they stand.
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue([0, 0, 0, 1, 0, 0, 0, 20, 0, 0, 0, 8, .. Int8(4111111111111111), 7], ordersRowType, binary: true).Result);
    }

    /// <summary>
    /// Types of one's own whose numbers are bytes: a domain over int8, numeric or float8, arrays
    /// of it (their elements carry the domain's OID), a range over int8 of one's own (probe KB1).
    /// </summary>
    [Fact]
    public void MaskValue_UnknownTypeHoldingANumber_IsReadAsTheNumbersItMayBe()
    {
        const uint domainOverInt8 = 16570, domainArray = 16571, ownRange = 16580;
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Int8(4111111111111111), domainOverInt8, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Numeric("4111111111111111"), domainOverInt8, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(domainOverInt8, Int8(4111111111111111)), domainArray, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Range(Int8(4111111111111111), Int8(4111111111111115)), ownRange, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(
            Multirange(Range(Int8(1), Int8(2)), Range(Int8(4111111111111111), null)), ownRange + 1, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Record((domainOverInt8, Int8(4111111111111111)), (PgTypes.Text, Utf8("x"))), 16590, binary: true).Result);

        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Int8(42), domainOverInt8, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Array(domainOverInt8, Int8(42)), domainArray, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Range(Int8(1), Int8(10)), ownRange, binary: true).Result);
    }

    /// <summary>Records nested deeper than the masker reads are NULL: an int8 there is bytes no scan sees (probe LA1).</summary>
    [Fact]
    public void MaskValue_RecordsNestedTooDeep_AreNull()
    {
        var inner = Record((PgTypes.Int8, Int8(42)));
        for (var depth = 0; depth < 6; depth++)
        {
            inner = Record((PgTypes.Record, inner));
        }

        Assert.Equal(MaskResult.Null, _masker.MaskValue(inner, PgTypes.Record, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Record((PgTypes.Record, Record((PgTypes.Int8, Int8(42))))), PgTypes.Record, binary: true).Result);
    }

    /// <summary>Eight bytes of an unknown type that a float8 or a timestamp holds are no card, whatever int8 they read as (probe LA4).</summary>
    [Fact]
    public void MaskValue_UnknownEightBytes_ThatAreNoCardsNumber_AreUnchanged()
    {
        const uint domainOverFloat8 = 16600, domainOverTimestamp = 16601;
        var quarter = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(quarter, BitConverter.DoubleToInt64Bits(0.25));
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(quarter, domainOverFloat8, binary: true).Result);
        for (long micros = 820_000_000_000_000; micros < 820_000_000_000_100; micros++)
        {
            Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Int8(micros), domainOverTimestamp, binary: true).Result);
        }
    }

    /// <summary>In text, a float8's exponent form and bytea's escape form hide a card inside records, arrays and ranges (probes LA2, LA3).</summary>
    [Fact]
    public void MaskValue_TextHoldingACardOnlyOnceDecoded_IsNull()
    {
        const uint ordersRowType = 16400, ownFloatRange = 16610, byteaArray = 1001;
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("(4.111111111111111e+15,x)"), ordersRowType, binary: false).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("[4.111111111111111e+15,5)"), ownFloatRange, binary: false).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("{\"\\\\0004111111111111111\"}"), byteaArray, binary: false).Result);
        var escaped = _masker.MaskValue(Utf8("\\0004111111111111111"), PgTypes.Bytea, binary: false);
        Assert.Equal("****", Encoding.UTF8.GetString(escaped.Bytes));
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("(1.5e+300,x)"), ordersRowType, binary: false).Result);
    }

    /// <summary>
    /// Eight bytes of an unknown type are read by the card detector's own rules (17 to 19 digits,
    /// cards starting 81 or 82, probe MA1), unless they read as an ordinary float8.
    /// </summary>
    [Fact]
    public void MaskValue_UnknownEightBytes_AreReadAsAnyCardTheDetectorKnows()
    {
        const uint domainOverInt8 = 16570, domainArray = 16571;
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Int8(4111111111111111110), domainOverInt8, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(domainOverInt8, Int8(8171999927660000)), domainArray, binary: true).Result);
        var quarter = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(quarter, BitConverter.DoubleToInt64Bits(0.25));
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Array(domainOverInt8, quarter), domainArray, binary: true).Result);
    }

    /// <summary>
    /// A float8 someone wrote has few significant digits, an int8 card read as one a full mantissa:
    /// 19-digit cards that read as ordinary floats are cards (probe NA1), and floats of any magnitude are floats (NA5).
    /// </summary>
    [Fact]
    public void MaskValue_UnknownEightBytes_AreFloatsOnlyWhenWrittenSo()
    {
        const uint domainOverInt8 = 16570, domainArray = 16571;
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(domainOverInt8, Int8(4611686018427387900)), domainArray, binary: true).Result);
        foreach (var written in new[] { 1.00002e-10, 2.000002e+16, 6.02e23, 19.99, 0.25 })
        {
            var bytes = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes, BitConverter.DoubleToInt64Bits(written));
            Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Array(domainOverInt8, bytes), domainArray, binary: true).Result);
        }
    }

    /// <summary>A domain over a geometric type has its own OID: its float8s are read all the same (probe NA2).</summary>
    [Fact]
    public void MaskValue_UnknownTypeShapedLikeGeometry_HoldingACard_IsNull()
    {
        const uint domainOverPoint = 16620, domainArray = 16621;
        var point = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(point, BitConverter.DoubleToInt64Bits(6011373127221328));
        var circle = new byte[24];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(circle.AsSpan(8), BitConverter.DoubleToInt64Bits(4111111111111111));
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(domainOverPoint, point), domainArray, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(circle, domainOverPoint, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Array(domainOverPoint, new byte[16]), domainArray, binary: true).Result);
    }

    /// <summary>
    /// An extension's type laid out as a 4-byte header and float8s, contrib's <c>cube</c>, carried a
    /// card in a one-point cube (flag 0x80, one float8) past the binary reading (probe OA2).
    /// </summary>
    [Fact]
    public void MaskValue_UnknownTypeOfAHeaderAndOneFloat_HoldingACard_IsNull()
    {
        const uint cube = 16700, cubeArray = 16705;
        static byte[] Cube(double coordinate)
        {
            var bytes = new byte[12];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x80000001);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(4), BitConverter.DoubleToInt64Bits(coordinate));
            return bytes;
        }

        Assert.Equal(MaskResult.Null, _masker.MaskValue(Cube(4111111111111111), cube, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(cube, Cube(6011373127221328)), cubeArray, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Cube(231.94), cube, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Cube(1234567), cube, binary: true).Result);
    }

    /// <summary>Geometric values are float8s: a card kept in a point is read as one, in text and binary (probe MA2).</summary>
    [Fact]
    public void MaskValue_GeometryHoldingACard_IsNull()
    {
        var point = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(point, BitConverter.DoubleToInt64Bits(4111111111111111));
        Assert.Equal(MaskResult.Null, _masker.MaskValue(point, PgTypes.Point, binary: true).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("(4.111111111111111e+15,0)"), PgTypes.Point, binary: false).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Array(PgTypes.Point, point), 1017, binary: true).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("(1.5,2)"), PgTypes.Point, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(new byte[16], PgTypes.Point, binary: true).Result);
    }

    /// <summary>JSON in a record's field holding a card: the record is NULL, as a mask written into the JSON would not parse (probes LA6, MA6).</summary>
    [Fact]
    public void MaskValue_RecordWithJsonHoldingACard_IsNull()
    {
        const uint ordersRowType = 16400;
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("(\"{\"\"n\"\": 4111111111111111}\",1)"), ordersRowType, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("(\"{\"\"n\"\": 12}\",1)"), ordersRowType, binary: false).Result);
        Assert.Equal("(a***@example.com,1)", Encoding.UTF8.GetString(_masker.MaskValue(Utf8("(ann@example.com,1)"), ordersRowType, binary: false).Bytes));
    }

    /// <summary>money's text with the card in its separators or cents, inside a record or an array of a domain (probe MA3).</summary>
    [Fact]
    public void MaskValue_MoneyTextInsideARecord_HoldingACard_IsNull()
    {
        const uint ordersRowType = 16400;
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("(\"$41,111,111,111,111.11\",1)"), ordersRowType, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("(\"$12.50\",1)"), ordersRowType, binary: false).Result);
    }

    /// <summary>A parameter's text that holds a card only once decoded: bytea's hex with spaces, its octal escapes, hex digits alone (probes HA9, NA4).</summary>
    [Theory]
    [InlineData(@"\x34 31 31 31 31 31 31 31 31 31 31 31 31 31 31 31", true)]
    [InlineData(@"\\064\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061", true)]
    [InlineData("3132332d34352d36373839", true)]
    [InlineData("68656c6c6f20776f726c64", false)]
    [InlineData("plain text", false)]
    public void DetectsEncoded_ReadsTheFormsDecodeAndByteaTake(string text, bool detected) =>
        Assert.Equal(detected, _masker.DetectsEncoded(Utf8(text)));

    /// <summary>A mask in a json[] or jsonb[] element would not parse as JSON: the array holding a card is NULL (probe KB4).</summary>
    [Fact]
    public void MaskValue_JsonArrayText_HoldingACard_BecomesNull()
    {
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("{\"{\\\"n\\\": 4111111111111111}\"}"), PgTypes.JsonbArray, binary: false).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("{\"{\\\"e\\\": \\\"ann@example.com\\\"}\"}"), PgTypes.JsonArray, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("{\"{\\\"n\\\": 12}\"}"), PgTypes.JsonbArray, binary: false).Result);
    }

    /// <summary>A bytea[] in text shows each element as quoted hex, its backslash doubled (probe KB3).</summary>
    [Fact]
    public void MaskValue_ByteaArrayText_HoldingACard_BecomesNull()
    {
        const uint byteaArray = 1001;
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("{\"\\\\x34313131313131313131313131313131\"}"), byteaArray, binary: false).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("{{\"\\\\x6140622e636f6d\"}}"), byteaArray, binary: false).Result);
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("{\"\\\\x68656c6c6f20776f726c64\"}"), byteaArray, binary: false).Result);
    }

    [Fact]
    public void MaskValue_MalformedBinaryArray_IsScannedRaw() =>
        Assert.Equal(MaskResult.Null, _masker.MaskValue([0, 0, 0, 1, .. Utf8("4111111111111111")], PgTypes.TextArray, binary: true).Result);

    [Fact]
    public void MaskValue_UnknownTypeBinary_MatchBecomesNull() =>
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("alice@example.com"), 90001, binary: true).Result);

    [Fact]
    public void MaskValue_UnknownTypeText_IsRewritten() =>
        Assert.Equal("a***@example.com", Encoding.UTF8.GetString(_masker.MaskValue(Utf8("alice@example.com"), 90001, binary: false).Bytes));

    [Theory]
    [InlineData(PgTypes.Text, false, "****")]
    [InlineData(PgTypes.Varchar, true, "****")]
    [InlineData(PgTypes.Json, false, "\"****\"")]
    [InlineData(PgTypes.Jsonb, false, "\"****\"")]
    [InlineData(PgTypes.Jsonb, true, "\u0001\"****\"")]
    [InlineData(PgTypes.Bytea, true, "****")]
    public void MaskValue_MaskWholeTextLike_IsReplaced(uint typeOid, bool binary, string expected)
    {
        var (result, bytes) = _masker.MaskValue(Utf8("123456789"), typeOid, binary, ColumnMaskAction.MaskWhole);
        Assert.Equal(MaskResult.Replaced, result);
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
    }

    [Theory]
    [InlineData(PgTypes.Int4)]
    [InlineData(PgTypes.Int8)]
    [InlineData(PgTypes.Numeric)]
    [InlineData(PgTypes.Date)]
    [InlineData(PgTypes.TextArray)]
    [InlineData(90001u)]
    public void MaskValue_MaskWholeOtherTypes_IsNull(uint typeOid)
    {
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Int8(1), typeOid, binary: true, ColumnMaskAction.MaskWhole).Result);
        Assert.Equal(MaskResult.Null, _masker.MaskValue(Utf8("1"), typeOid, binary: false, ColumnMaskAction.MaskWhole).Result);
    }

    [Fact]
    public void MaskValue_Pass_IsUnchanged() =>
        Assert.Equal(MaskResult.Unchanged, _masker.MaskValue(Utf8("4111111111111111"), PgTypes.Text, binary: false, ColumnMaskAction.Pass).Result);
}
