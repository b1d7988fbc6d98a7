using System.Text;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Sql;

public class CopyToStdoutParserTests
{
    private static CopyToStdout Parse(string sql) => CopyToStdoutParser.Parse(sql) ?? throw new Xunit.Sdk.XunitException($"not read: {sql}");

    [Theory]
    [InlineData("COPY customers TO STDOUT", "SELECT * FROM customers")]
    [InlineData("copy  customers to stdout;", "SELECT * FROM customers")]
    [InlineData("COPY public.customers (id, ssn) TO STDOUT", "SELECT id, ssn FROM public.customers")]
    [InlineData("COPY \"My Schema\".\"Order\" (\"Id\", note) TO STDOUT", "SELECT \"Id\", note FROM \"My Schema\".\"Order\"")]
    [InlineData("/* dump */ COPY -- the table\n orders(id,note) TO STDOUT ;;", "SELECT id, note FROM orders")]
    [InlineData("COPY ONLY orders TO STDOUT", "SELECT * FROM ONLY orders")]
    [InlineData("COPY (SELECT full_name, ssn FROM customers) TO STDOUT", "SELECT full_name, ssn FROM customers")]
    [InlineData("COPY ( SELECT 'a)' AS x, (1) FROM t /* ) */ ) TO STDOUT", " SELECT 'a)' AS x, (1) FROM t /* ) */ ")]
    [InlineData("COPY (DELETE FROM t RETURNING *) TO STDOUT", "DELETE FROM t RETURNING *")]
    public void Parse_TheQuery_HasTheCopysColumns(string sql, string probe) =>
        Assert.Equal(probe, Parse(sql).ProbeQuery);

    [Fact]
    public void Parse_Defaults_AreTextWithTabsAndBackslashN()
    {
        var copy = Parse("COPY t TO STDOUT");
        Assert.Equal(CopyFormat.Text, copy.Format);
        Assert.Equal((byte)'\t', copy.Delimiter);
        Assert.Equal("\\N", Encoding.UTF8.GetString(copy.Null));
        Assert.False(copy.Header);
    }

    /// <summary>
    /// A NULL string holding a backslash reads two ways (standard_conforming_strings on or off):
    /// the COPY is followed, and no field is taken for NULL (probe DS1: psycopg2's copy_to was refused).
    /// </summary>
    [Theory]
    [InlineData("COPY \"orders\" TO stdout WITH DELIMITER AS '\t' NULL AS '\\N'", "\\N")]
    [InlineData("COPY t TO STDOUT (NULL 'a\\b')", "a\\b")]
    public void Parse_ANullStringReadTwoWays_MarksNoFieldNull(string sql, string nullText)
    {
        var copy = Parse(sql);

        Assert.Equal((byte)'\t', copy.Delimiter);
        Assert.Equal(nullText, Encoding.UTF8.GetString(copy.Null));
        Assert.True(copy.NullReadsTwoWays);
        Assert.False(copy.IsNull(copy.Null));
        Assert.False(Parse("COPY t TO STDOUT (NULL '-')").NullReadsTwoWays);
        Assert.True(Parse("COPY t TO STDOUT").IsNull("\\N"u8));
    }

    [Theory]
    [InlineData("COPY t TO STDOUT WITH (FORMAT csv, HEADER)")]
    [InlineData("COPY t TO STDOUT (format 'csv', header true)")]
    [InlineData("COPY t TO STDOUT WITH (FORMAT \"csv\", HEADER on, QUOTE '\"')")]
    [InlineData("COPY t TO STDOUT WITH CSV HEADER")]
    [InlineData("COPY t TO STDOUT CSV HEADER FORCE QUOTE *")]
    [InlineData("COPY t TO STDOUT (FORMAT csv, HEADER 1, FORCE_QUOTE (a, \"B\"))")]
    [InlineData("COPY t TO STDOUT (FORMAT csv, HEADER 'yes')")]
    public void Parse_Csv_WithDefaultsAndAHeader(string sql)
    {
        var copy = Parse(sql);
        Assert.Equal(CopyFormat.Csv, copy.Format);
        Assert.Equal((byte)',', copy.Delimiter);
        Assert.Equal((byte)'"', copy.Quote);
        Assert.Equal((byte)'"', copy.Escape);
        Assert.Empty(copy.Null);
        Assert.True(copy.Header);
    }

    [Theory]
    [InlineData("COPY t TO STDOUT (FORMAT csv, HEADER 'no')")]
    [InlineData("COPY t TO STDOUT (FORMAT csv, HEADER off)")]
    [InlineData("COPY t TO STDOUT (FORMAT csv, HEADER f)")]
    public void Parse_HeaderOff_InAnyBooleanSpelling(string sql) => Assert.False(Parse(sql).Header);

    [Theory]
    [InlineData("COPY t TO STDOUT WITH (FORMAT csv, DELIMITER ';', NULL 'n/a', QUOTE '''', ESCAPE E'\\\\', HEADER false)")]
    [InlineData("COPY t TO STDOUT WITH DELIMITER AS ';' NULL AS 'n/a' CSV QUOTE AS '''' ESCAPE AS E'\\\\'")]
    [InlineData("COPY t TO STDOUT DELIMITER ';' CSV NULL $$n/a$$ QUOTE '''' ESCAPE E'\\\\'")]
    public void Parse_CsvOptions_InEitherSyntax(string sql)
    {
        var copy = Parse(sql);
        Assert.Equal(CopyFormat.Csv, copy.Format);
        Assert.Equal((byte)';', copy.Delimiter);
        Assert.Equal((byte)'\'', copy.Quote);
        Assert.Equal((byte)'\\', copy.Escape);
        Assert.Equal("n/a", Encoding.UTF8.GetString(copy.Null));
        Assert.False(copy.Header);
    }

    [Theory]
    [InlineData("COPY t TO STDOUT (DELIMITER E'|', NULL '')", '|', "")]
    [InlineData("COPY t TO STDOUT WITH DELIMITER E'\\x01' NULL 'none'", '\x01', "none")]
    [InlineData("COPY t TO STDOUT (FORMAT text, HEADER)", '\t', "\\N")]
    public void Parse_TextOptions(string sql, char delimiter, string nullText)
    {
        var copy = Parse(sql);
        Assert.Equal(CopyFormat.Text, copy.Format);
        Assert.Equal((byte)delimiter, copy.Delimiter);
        Assert.Equal(nullText, Encoding.UTF8.GetString(copy.Null));
    }

    [Theory]
    [InlineData("COPY t TO STDOUT (FORMAT binary)")]
    [InlineData("COPY t TO STDOUT WITH BINARY")]
    [InlineData("COPY BINARY t TO STDOUT")]
    public void Parse_Binary_IsReadAsBinary(string sql) =>
        Assert.Equal(CopyFormat.Binary, Parse(sql).Format);

    [Theory]
    [InlineData("SELECT 1")]
    [InlineData("COPY t FROM STDIN")]
    [InlineData("COPY t TO '/tmp/t.csv'")]
    [InlineData("COPY t TO PROGRAM 'cat'")]
    [InlineData("COPY t TO STDOUT; SELECT 1")]
    [InlineData("SELECT 1; COPY t TO STDOUT")]
    [InlineData("COPY t TO STDOUT (ENCODING 'LATIN1')")]
    [InlineData("COPY t TO STDOUT WITH ENCODING 'LATIN1'")]
    [InlineData("COPY t TO STDOUT (FORMAT csv, FORMAT text)")]
    [InlineData("COPY t TO STDOUT (DELIMITER ',', DELIMITER ';')")]
    [InlineData("COPY t TO STDOUT (FORMAT xml)")]
    [InlineData("COPY t TO STDOUT (HEADER match)")]
    [InlineData("COPY t TO STDOUT (DELIMITER)")]
    [InlineData("COPY t TO STDOUT (DELIMITER ';;')")]
    [InlineData("COPY t TO STDOUT (DELIMITER 'é')")]
    [InlineData("COPY t TO STDOUT (QUOTE '''')")]
    [InlineData("COPY t TO STDOUT (FORMAT csv, FORCE_NOT_NULL (a))")]
    [InlineData("COPY t TO STDOUT (FORMAT csv, DELIMITER '\"')")]
    [InlineData("COPY t TO STDOUT (DELIMITER 'a')")]
    [InlineData("COPY t TO STDOUT (NULL U&'\\0041')")]
    [InlineData("COPY t TO STDOUT (FORMAT csv")]
    [InlineData("COPY t TO STDOUT WITH CSV FREEZE")]
    [InlineData("COPY t TO STDOUT USING DELIMITERS ','")]
    [InlineData("COPY t (a, ) TO STDOUT")]
    [InlineData("COPY () TO STDOUT")]
    [InlineData("COPY (SELECT 1 TO STDOUT")]
    [InlineData("COPY t TO STDOUT WHERE a > 1")]
    [InlineData("COPY t TO STDOUT (NULL 'x''")]
    [InlineData("COPY t TO STDOUT /* never closed")]
    [InlineData("COPY t TO STDOUT (FORMAT csv, ESCAPE '\\')")]
    public void Parse_AnythingElse_IsNotRead(string sql) =>
        Assert.Null(CopyToStdoutParser.Parse(sql));
}
