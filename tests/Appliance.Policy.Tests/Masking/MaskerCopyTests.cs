using System.Buffers;
using System.Text;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

/// <summary>COPY rows get what a SELECT's rows get: masked columns whole, the detectors everywhere else.</summary>
public class MaskerCopyTests
{
    private readonly Masker _masker = MaskingTestData.Masker();

    /// <summary>customers(id int, full_name text, ssn text, card_number int8, profile json), as a computed-free SELECT * describes it.</summary>
    private ResultMaskPlan CustomersPlan() => _masker.GetPlan("SELECT * FROM customers",
        [new("id", 0, 0, PgTypes.Int4), new("full_name", 0, 0, PgTypes.Text), new("ssn", 0, 0, PgTypes.Text), new("card_number", 0, 0, PgTypes.Int8), new("profile", 0, 0, PgTypes.Json)],
        null);

    private (CopyRowResult Result, string Row) Mask(string row, string options = "", bool header = false, ResultMaskPlan? plan = null)
    {
        var output = new ArrayBufferWriter<byte>();
        var result = _masker.MaskCopyRow(Encoding.UTF8.GetBytes(row), CopyRowTests.Layout(options), plan ?? CustomersPlan(), header, output);
        Assert.Equal(result == CopyRowResult.Replaced, output.WrittenCount > 0);
        return (result, result == CopyRowResult.Replaced ? Encoding.UTF8.GetString(output.WrittenSpan) : row);
    }

    [Fact]
    public void Text_MaskedColumnsAreMaskedWhole_AndTheDetectorsScanTheRest()
    {
        var (result, row) = Mask("1\tann@example.com\t123-45-6789\t4111111111111111\t{\"a\": 1}\n");

        Assert.Equal(CopyRowResult.Replaced, result);
        Assert.Equal("1\ta***@example.com\t****\t\\N\t{\"a\": 1}\n", row);
    }

    [Fact]
    public void Text_NullStaysNull_AndAnEscapedValueIsMaskedWhole()
    {
        Assert.Equal("2\tbob\t\\N\t\\N\t\\N\n", Mask("2\tbob\t\\N\t\\N\t\\N\n").Row);
        Assert.Equal("3\tbob\t****\t\\N\t\\N\n", Mask("3\tbob\t12\\t3\\\\4\t\\N\t\\N\n").Row);
    }

    [Fact]
    public void Text_WithAStarDelimiter_EscapesTheMask()
    {
        var (_, row) = Mask("1*x*secret*\\N*\\N\n", "DELIMITER '*'");
        Assert.Equal("1*x*\\*\\*\\*\\**\\N*\\N\n", row);
    }

    [Fact]
    public void Csv_QuotedValuesWithDelimitersNewlinesAndQuotes_AreMaskedInTheirColumn()
    {
        var (_, row) = Mask("1,\"Ann, \"\"the\"\" one\",\"12,3\n45\",5500000000000004,\"{\"\"k\"\": \"\"4111 1111 1111 1111\"\"}\"\n", "FORMAT csv");

        Assert.Equal("1,\"Ann, \"\"the\"\" one\",\"****\",,\"{\"\"k\"\": \"\"****-****-****-1111\"\"}\"\n", row);
    }

    [Fact]
    public void Csv_ForceQuote_KeepsMaskedValuesQuoted()
    {
        // COPY … (FORMAT csv, FORCE_QUOTE *): every value quoted, the masked ones too (probe AB).
        var (_, row) = Mask("\"1\",\"Ann\",\"123-45-6789\",\"5500000000000004\",\"card 4111 1111 1111 1111\"\n", "FORMAT csv, FORCE_QUOTE *");
        Assert.Equal("\"1\",\"Ann\",\"****\",,\"card ****-****-****-1111\"\n", row);
    }

    [Fact]
    public void Csv_CustomDelimiterAndNullString()
    {
        var (_, row) = Mask("1;ann;123-45-6789;n/a;\"{\"\"k\"\": 1}\"\n", "FORMAT csv, DELIMITER ';', NULL 'n/a'");
        Assert.Equal("1;ann;****;n/a;\"{\"\"k\"\": 1}\"\n", row);
    }

    [Fact]
    public void Json_MaskedWhole_IsQuotedStarsWrittenAsCsvWritesThem()
    {
        var plan = _masker.GetPlan("SELECT ssn FROM t", [new("ssn", 0, 0, PgTypes.Json)], null);
        Assert.Equal("\"\"\"****\"\"\"\n", Mask("\"{\"\"a\"\": 1}\"\n", "FORMAT csv", plan: plan).Row);
        Assert.Equal("\"****\"\n", Mask("{\"a\": 1}\n", plan: plan).Row);
    }

    /// <summary>A number holding a card is NULL, as a SELECT returns it, not a mask COPY FROM cannot load back (probe EH1).</summary>
    [Theory]
    [InlineData(PgTypes.Numeric, "1\t4111111111111111\n", "1\t\\N\n")]
    [InlineData(PgTypes.Int8, "1\t4111111111111111\n", "1\t\\N\n")]
    [InlineData(PgTypes.Money, "1\t$60,113,731,272,213.28\n", "1\t\\N\n")]
    [InlineData(PgTypes.Numeric, "1\t12345.67\n", "1\t12345.67\n")]
    [InlineData(PgTypes.JsonbArray, "1\t{\"{\\\\\"n\\\\\": 4111111111111111}\"}\n", "1\t\\N\n")] // a mask is no JSON either (probe KB4)
    public void Numbers_HoldingACard_AreNull(uint type, string row, string expected)
    {
        var plan = _masker.GetPlan("SELECT id, amount FROM payments", [new("id", 0, 0, PgTypes.Int4), new("amount", 0, 0, type)], null);

        Assert.Equal(expected, Mask(row, plan: plan).Row);
    }

    /// <summary>
    /// bytea's hex holding a card is read decoded, as a SELECT reads it: a bytea is masked as its
    /// bytes, a bytea[] holding one is NULL (the hex of a card is its digits as bytes, probe KB3); so
    /// is JSON in a record's field holding one (MA6). The hex digits' own runs are no card (PB2).
    /// </summary>
    [Theory]
    [InlineData(PgTypes.Bytea, "1\t\\\\x34313131313131313131313131313131\n", "1\t\\\\x2a2a2a2a2d2a2a2a2a2d2a2a2a2a2d31313131\n")]
    [InlineData(PgTypes.Bytea, "1\t\\\\xab6417833912363a\n", "1\t\\\\xab6417833912363a\n")]
    [InlineData(1001u, "1\t{\"\\\\\\\\xab6417833912363a\"}\n", "1\t{\"\\\\\\\\xab6417833912363a\"}\n")]
    [InlineData(1001u, "1\t{\"\\\\\\\\x3132332d34352d36373839\"}\n", "1\t\\N\n")]
    [InlineData(PgTypes.Bytea, "1\t\\\\x68656c6c6f20776f726c64\n", "1\t\\\\x68656c6c6f20776f726c64\n")]
    [InlineData(16400u, "1\t(\"{\"\"n\"\": 4111111111111111}\",1)\n", "1\t\\N\n")] // JSON in a record's field (probe MA6)
    public void EncodedValues_HoldingACard_AreNull(uint type, string row, string expected)
    {
        var plan = _masker.GetPlan("SELECT id, blob FROM files", [new("id", 0, 0, PgTypes.Int4), new("blob", 0, 0, type)], null);

        Assert.Equal(expected, Mask(row, plan: plan).Row);
    }

    /// <summary>Text and JSON columns in COPY are read as a SELECT reads them: a float8's exponent form or a bytea's hex of a card is masked whole (probe RA1).</summary>
    [Theory]
    [InlineData(PgTypes.Text, "1\t6.011373127221328e+15\n", "1\t****\n")]
    [InlineData(PgTypes.Json, "1\t{\"b\": \"\\\\\\\\x34313131313131313131313131313131\"}\n", "1\t\"****\"\n")]
    [InlineData(PgTypes.Text, "1\tmass 3.174e+14 kg\n", "1\tmass 3.174e+14 kg\n")]
    public void TextAndJson_HoldingAnExponentOrHexOfACard_AreMaskedWhole(uint type, string row, string expected)
    {
        var plan = _masker.GetPlan("SELECT id, body FROM notes", [new("id", 0, 0, PgTypes.Int4), new("body", 0, 0, type)], null);

        Assert.Equal(expected, Mask(row, plan: plan).Row);
    }

    [Fact]
    public void Header_IsOnlyScanned()
    {
        var (result, _) = Mask("id,full_name,ssn,card_number,profile\n", "FORMAT csv, HEADER", header: true);
        Assert.Equal(CopyRowResult.Unchanged, result);
    }

    /// <summary>A delimiter, quote or escape the client picks splits a value on the wire; the detectors read it as the client will.</summary>
    [Theory]
    [InlineData("1-card 4111\\-1111\\-1111\\-1111-\\N-\\N-\\N\n", "DELIMITER '-'", "1-card ****\\-****\\-****\\-1111-\\N-\\N-\\N\n")]
    [InlineData("1 card\\ 4111\\ 1111\\ 1111\\ 1111 \\N \\N \\N\n", "DELIMITER ' '", "1 card\\ ****-****-****-1111 \\N \\N \\N\n")]
    [InlineData("7,1card 4111111 11111111 11111111 111111111,,,\n", "FORMAT csv, QUOTE '1'", "7,1card ****-****-****-111111111,,,\n")]
    [InlineData("1@ann\\@example.com@\\N@\\N@\\N\n", "DELIMITER '@'", "1@a***\\@example.com@\\N@\\N@\\N\n")]
    public void Detectors_ReadEachValueUnescaped_WhateverTheLayout(string row, string options, string expected) =>
        Assert.Equal(expected, Mask(row, options).Row);

    /// <summary>
    /// Values no detector finds alone, joined by the delimiter into an email, a card or an SSN on
    /// the line the client receives: the values the match spans are masked whole (probe AB1:
    /// split_part(email, '@', 1), split_part(email, '@', 2) with DELIMITER '@'; AE1: a card's
    /// digits as thousands, 6,011,373,… in CSV's own delimiter).
    /// </summary>
    [Theory]
    [InlineData("mary.johnson@example.org\n", "DELIMITER '@'", 2, "****@example.org\n")]
    [InlineData("6011 3731 2722 1328\n", "DELIMITER ' '", 4, "**** **** **** ****\n")]
    [InlineData("6011-3731-2722-1328\n", "FORMAT csv, DELIMITER '-'", 4, "****-****-****-****\n")]
    [InlineData("123-45-6789\n", "DELIMITER '-'", 3, "****-****-****\n")]
    [InlineData("x@mary.johnson@example.org\n", "DELIMITER '@'", 3, "x@****@example.org\n")]
    [InlineData("6,011,373,127,221,328\n", "FORMAT csv", 6, "****,****,****,****,****,****\n")]
    [InlineData("note,6,011,373,127,221,328\n", "FORMAT csv", 7, "note,****,****,****,****,****,****\n")]
    [InlineData("6'011'373'127'221'328\n", "DELIMITER ''''", 6, "****'****'****'****'****'****\n")]
    public void ValuesJoinedByTheDelimiterIntoASecret_AreMaskedWhereTheyJoin(string row, string options, int columns, string expected)
    {
        var plan = _masker.GetPlan("SELECT * FROM pieces", [.. Enumerable.Range(0, columns).Select(i => new ResultField("p" + i, 0, 0, PgTypes.Text))], null);
        Assert.Equal(expected, Mask(row, options, plan: plan).Row);
    }

    /// <summary>Only the values a join spans are masked, in a few passes however wide the row (probe AE2: one by one, 1,500 columns took seconds a row).</summary>
    [Fact]
    public void AJoinAtTheEndOfAWideRow_MasksOnlyItsValues()
    {
        // "!" ends each value: no email starts before the joined one.
        var values = Enumerable.Range(0, 1500).Select(i => "v" + i + "!").ToArray();
        values[^2] = "mary.johnson";
        values[^1] = "example.org";
        var plan = _masker.GetPlan("SELECT * FROM wide", [.. values.Select((_, i) => new ResultField("c" + i, 0, 0, PgTypes.Text))], null);

        var (_, row) = Mask(string.Join('@', values) + "\n", "DELIMITER '@'", plan: plan);

        values[^2] = "****";
        Assert.Equal(string.Join('@', values) + "\n", row);
    }

    /// <summary>A CSV of small numbers reads as a card in thousands one row in 40: numbers are not joined through commas (probe AH2).</summary>
    [Fact]
    public void NumbersInACsv_AreNotReadAsACardInThousands()
    {
        var numbers = _masker.GetPlan("SELECT * FROM nums", [.. Enumerable.Range(0, 5).Select(i => new ResultField("n" + i, 0, 0, PgTypes.Int4))], null);
        var texts = _masker.GetPlan("SELECT * FROM nums", [.. Enumerable.Range(0, 5).Select(i => new ResultField("n" + i, 0, 0, PgTypes.Text))], null);

        Assert.Equal("4,222,222,222,222\n", Mask("4,222,222,222,222\n", "FORMAT csv", plan: numbers).Row);
        Assert.Equal("****,****,****,****,****\n", Mask("4,222,222,222,222\n", "FORMAT csv", plan: texts).Row);
    }

    [Fact]
    public void AnOrdinaryDelimiter_JoinsNothing_AndTheRowIsUnchanged()
    {
        var plan = _masker.GetPlan("SELECT * FROM pieces", [new("a", 0, 0, PgTypes.Text), new("b", 0, 0, PgTypes.Text)], null);
        Assert.Equal(CopyRowResult.Unchanged, Mask("mary.johnson\texample.org\n", plan: plan).Result);
        Assert.Equal(CopyRowResult.Unchanged, Mask("mary.johnson,example.org\n", "FORMAT csv", plan: plan).Result);
        Assert.Equal(CopyRowResult.Unchanged, Mask("1,234\n", "FORMAT csv", plan: plan).Result);
    }

    [Fact]
    public void AMask_StaysInItsColumn()
    {
        var (_, row) = Mask("7" + "1Mary Johnson111mary.johnson@example.org\n", "FORMAT csv, DELIMITER '1'");
        Assert.Equal("7" + "1Mary Johnson111m***@example.org\n", row);
    }

    [Fact]
    public void NothingToMask_IsUnchanged()
    {
        var (result, _) = Mask("4\tbob\t\\N\t\\N\t\\N\n");
        Assert.Equal(CopyRowResult.Unchanged, result);
    }

    [Theory]
    [InlineData("1\tann\t123-45-6789\n", "")]
    [InlineData("1\tann\t123-45-6789\tx\ty\tz\n", "")]
    [InlineData("1,ann,\"123-45-6789,x,y\n", "FORMAT csv")]
    [InlineData("1\tann\t123-45-6789\t\\N\t\\N", "")]
    public void ARowThatDoesNotSplitIntoThePlansColumns_IsMalformed(string row, string options) =>
        Assert.Equal(CopyRowResult.Malformed, Mask(row, options).Result);

    [Fact]
    public void ManyColumns_AreSplitOffTheStack()
    {
        var fields = Enumerable.Range(0, 100).Select(i => new ResultField(i == 70 ? "ssn" : "c" + i, 0, 0, PgTypes.Text)).ToList();
        var plan = _masker.GetPlan("SELECT * FROM wide", fields, null);
        var values = Enumerable.Range(0, 100).Select(i => i == 70 ? "secret" : "v" + i).ToArray();

        var (_, row) = Mask(string.Join('\t', values) + "\n", plan: plan);

        values[70] = "****";
        Assert.Equal(string.Join('\t', values) + "\n", row);
    }
}
