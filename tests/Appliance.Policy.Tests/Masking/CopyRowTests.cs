using System.Buffers;
using System.Text;
using Appliance.Policy.Masking;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Masking;

public class CopyRowTests
{
    /// <summary>The layout of <c>COPY t TO STDOUT</c> with these options (none: text).</summary>
    internal static CopyToStdout Layout(string options = "") =>
        CopyToStdoutParser.Parse($"COPY t TO STDOUT {(options.Length == 0 ? "" : $"({options})")}")!;

    /// <summary>Each field as written, with "NULL" for a field that stands for NULL; null when the row does not split.</summary>
    private static string[]? Split(string row, string options = "", int capacity = 16)
    {
        var bytes = Encoding.UTF8.GetBytes(row);
        var fields = new CopyField[capacity];
        var count = CopyRow.Split(bytes, Layout(options), fields);
        return count < 0 ? null : [.. fields[..count].Select(f => f.IsNull ? "NULL" : Encoding.UTF8.GetString(bytes[f.Start..f.End]))];
    }

    [Theory]
    [InlineData("1\tann\t123-45-6789\n", new[] { "1", "ann", "123-45-6789" })]
    [InlineData("1\t\\N\t\n", new[] { "1", "NULL", "" })]
    [InlineData("a\\tb\tc\\\\\td\\\te\n", new[] { "a\\tb", "c\\\\", "d\\\te" })]
    [InlineData("line\\nbreak\\r\t\\\\N\n", new[] { "line\\nbreak\\r", "\\\\N" })]
    [InlineData("\n", new[] { "" })]
    public void Split_Text(string row, string[] expected) =>
        Assert.Equal(expected, Split(row));

    [Theory]
    [InlineData("1|x\\|y|none\n", "DELIMITER '|', NULL 'none'", new[] { "1", "x\\|y", "NULL" })]
    [InlineData("1,\"a,b\",,\"\"\n", "FORMAT csv", new[] { "1", "\"a,b\"", "NULL", "\"\"" })]
    [InlineData("\"say \"\"hi\"\"\",\"two\nlines\"\n", "FORMAT csv", new[] { "\"say \"\"hi\"\"\"", "\"two\nlines\"" })]
    [InlineData("1;'it\\'s';\\N;'\\\\'\n", "FORMAT csv, DELIMITER ';', QUOTE '''', ESCAPE E'\\\\', NULL E'\\\\N'", new[] { "1", "'it\\'s'", "NULL", "'\\\\'" })]
    [InlineData("x,\n", "FORMAT csv", new[] { "x", "NULL" })]
    public void Split_CustomLayoutsAndCsv(string row, string options, string[] expected) =>
        Assert.Equal(expected, Split(row, options));

    [Theory]
    [InlineData("1\t2", "")]
    [InlineData("1\t2\\\n", "")]
    [InlineData("1\nx\t2\n", "")]
    [InlineData("1,\"open\n", "FORMAT csv")]
    [InlineData("1,\"closed\"x\n", "FORMAT csv")]
    [InlineData("1,a\"b\n", "FORMAT csv")]
    [InlineData("", "")]
    public void Split_WhatCopyNeverWrites_IsNotARow(string row, string options) =>
        Assert.Null(Split(row, options));

    [Fact]
    public void Split_MoreFieldsThanRoom_IsNotARow()
    {
        Assert.Null(Split("1\t2\t3\n", capacity: 2));
        Assert.Equal(new[] { "1", "2" }, Split("1\t2\n", capacity: 2));
    }

    [Theory]
    [InlineData("****", "", "****")]
    [InlineData("****", "DELIMITER '*'", "\\*\\*\\*\\*")]
    [InlineData("a\\b\tc\nd", "", "a\\\\b\\tc\\nd")]
    [InlineData("\"****\"", "FORMAT csv", "\"\"\"****\"\"\"")]
    [InlineData("****", "FORMAT csv", "****")]
    [InlineData("****", "FORMAT csv, NULL '****'", "\"****\"")]
    [InlineData("a;b", "FORMAT csv, DELIMITER ';'", "\"a;b\"")]
    [InlineData("it's \\", "FORMAT csv, QUOTE '''', ESCAPE E'\\\\'", "'it\\'s \\\\'")]
    public void WriteValue_AsCopyWritesIt(string value, string options, string expected)
    {
        var output = new ArrayBufferWriter<byte>();
        CopyRow.WriteValue(Encoding.UTF8.GetBytes(value), Layout(options), output, quoted: false);
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("****", "FORMAT csv", "\"****\"")]
    [InlineData("****", "", "****")]
    public void WriteValue_InPlaceOfAQuotedValue_IsQuotedInCsv(string value, string options, string expected)
    {
        var output = new ArrayBufferWriter<byte>();
        CopyRow.WriteValue(Encoding.UTF8.GetBytes(value), Layout(options), output, quoted: true);
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
