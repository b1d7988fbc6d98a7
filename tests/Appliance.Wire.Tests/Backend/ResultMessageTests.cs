using Appliance.Wire.Backend;
using Appliance.Wire.Primitives;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Backend;

public class ResultMessageTests
{
    [Fact]
    public void RowDescription_RoundTrip_KeepsEveryFieldAttribute()
    {
        RowField[] fields =
        [
            new("id", 16384, 1, PgTypeOids.Int4, 4, -1, PgFormat.Binary),
            new("card_number", 16384, 3, PgTypeOids.Varchar, -1, 23, PgFormat.Text),
            RowField.Text("?column?"),
        ];

        var message = RowDescriptionMessage.Parse(PgBytes.Body(o => BackendWriter.WriteRowDescription(o, fields), (byte)'T'));

        Assert.Equal(3, message.FieldCount);
        var parsed = new List<RowField>();
        foreach (var field in message)
        {
            parsed.Add(new RowField(
                PgBytes.Utf8(field.Name), field.TableOid, field.ColumnAttributeNumber, field.TypeOid,
                field.TypeSize, field.TypeModifier, field.Format));
        }

        Assert.Equal(fields, parsed);
    }

    [Theory]
    [InlineData("ffff", "negative count")]
    [InlineData("0001", "count exceeding the body")]
    [InlineData("000161", "name without NUL")]
    [InlineData("000161000000000000000000000000000000000000", "field cut short")]
    [InlineData("00016100000000000000000000000000000000000002", "unknown format")]
    [InlineData("000161000000000000000000000000000000000000000a", "trailing byte")]
    public void RowDescription_Malformed_IsAProtocolViolation(string hex, string why)
    {
        var error = Assert.Throws<PgProtocolException>(() => RowDescriptionMessage.Parse(Convert.FromHexString(hex)));

        Assert.True(error.Message.Contains("RowDescription", StringComparison.Ordinal), why);
    }

    [Fact]
    public void DataRow_RoundTrip_KeepsValuesAndNulls()
    {
        var body = PgBytes.Body(o => BackendWriter.WriteDataRow(o, ["1", null, "", "4111 1111 1111 1111"]), (byte)'D');

        var row = DataRowMessage.Parse(body);

        Assert.Equal(4, row.ColumnCount);
        var values = new List<string?>();
        foreach (var value in row.Columns)
        {
            values.Add(value.IsNull ? null : PgBytes.Utf8(value.Bytes));
        }

        Assert.Equal(["1", null, "", "4111 1111 1111 1111"], values);
    }

    [Fact]
    public void DataRow_BinaryValuesWriter_MatchesTheTextWriterForTheSameBytes()
    {
        ReadOnlyMemory<byte>?[] raw = ["a"u8.ToArray(), null];

        Assert.Equal(
            PgBytes.Write(o => BackendWriter.WriteDataRow(o, ["a", null])),
            PgBytes.Write(o => BackendWriter.WriteDataRow(o, raw)));
    }

    [Theory]
    [InlineData("ffff", "negative column count")]
    [InlineData("0002ffffffff", "count exceeding the values")]
    [InlineData("0001fffffffe", "value length below -1")]
    [InlineData("000100000005616263", "value running past the end")]
    [InlineData("0001ffffffff00", "trailing byte")]
    [InlineData("00", "cut in the count")]
    public void DataRow_Malformed_IsAProtocolViolation(string hex, string why)
    {
        var error = Assert.Throws<PgProtocolException>(() => DataRowMessage.Parse(Convert.FromHexString(hex)));

        Assert.True(error.Message.Contains("DataRow", StringComparison.Ordinal), why);
    }

    [Theory]
    [InlineData("SELECT 3", true, 3ul)]
    [InlineData("INSERT 0 12", true, 12ul)]
    [InlineData("UPDATE 0", true, 0ul)]
    [InlineData("DELETE 18446744073709551615", true, ulong.MaxValue)]
    [InlineData("MERGE 5", true, 5ul)]
    [InlineData("FETCH 100", true, 100ul)]
    [InlineData("MOVE 2", true, 2ul)]
    [InlineData("COPY 7", true, 7ul)]
    [InlineData("CREATE TABLE", false, 0ul)]
    [InlineData("SET", false, 0ul)]
    [InlineData("INSERT 0", false, 0ul)]
    [InlineData("SELECT x", false, 0ul)]
    [InlineData("SELECT 3 4", false, 0ul)]
    [InlineData("SELECT -1", false, 0ul)]
    [InlineData("SELECT ", false, 0ul)]
    public void CommandComplete_RowCount_FollowsTheTagRules(string tag, bool hasCount, ulong rows)
    {
        var message = CommandCompleteMessage.Parse(PgBytes.Body(o => BackendWriter.WriteCommandComplete(o, tag), (byte)'C'));

        Assert.Equal(tag, PgBytes.Utf8(message.Tag));
        Assert.Equal(hasCount, message.TryGetRowCount(out var parsed));
        Assert.Equal(rows, parsed);
    }

    [Fact]
    public void CommandComplete_Command_IsTheFirstWord()
    {
        Assert.Equal("CREATE", PgBytes.Utf8(CommandCompleteMessage.Parse("CREATE TABLE\0"u8).Command));
        Assert.Equal("BEGIN", PgBytes.Utf8(CommandCompleteMessage.Parse("BEGIN\0"u8).Command));
    }

    [Fact]
    public void ParameterDescription_RoundTrip()
    {
        var message = ParameterDescriptionMessage.Parse(PgBytes.Body(o => BackendWriter.WriteParameterDescription(o, [23, 25, 0]), (byte)'t'));

        Assert.Equal(3, message.ParameterTypes.Count);
        Assert.Equal(25u, message.ParameterTypes[1]);
        Assert.Throws<PgProtocolException>(() => ParameterDescriptionMessage.Parse(Convert.FromHexString("000200000017")));
    }

    [Fact]
    public void EmptyBackendMessages_HaveTheirTypeBytes()
    {
        Assert.Equal(PgBytes.Message('I'), PgBytes.Write(BackendWriter.WriteEmptyQueryResponse));
        Assert.Equal(PgBytes.Message('1'), PgBytes.Write(BackendWriter.WriteParseComplete));
        Assert.Equal(PgBytes.Message('2'), PgBytes.Write(BackendWriter.WriteBindComplete));
        Assert.Equal(PgBytes.Message('3'), PgBytes.Write(BackendWriter.WriteCloseComplete));
        Assert.Equal(PgBytes.Message('n'), PgBytes.Write(BackendWriter.WriteNoData));
        Assert.Equal(PgBytes.Message('s'), PgBytes.Write(BackendWriter.WritePortalSuspended));
    }
}
