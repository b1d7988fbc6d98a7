using Appliance.Wire.Backend;
using Appliance.Wire.Tests.Support;
using Appliance.Wire.Writing;

namespace Appliance.Wire.Tests.Backend;

public class ErrorOrNoticeMessageTests
{
    /// <summary>protocols.md: ErrorResponse S=V=ERROR, C=42501, M="blocked by policy", then ReadyForQuery I.</summary>
    private const string PolicyBlockVector =
        "450000002d534552524f5200564552524f5200433432353031004d626c6f636b656420627920706f6c6963790000" + "5a0000000549";

    [Fact]
    public void ErrorResponse_PolicyBlockThenReadyForQuery_MatchesTheReferenceVector()
    {
        var bytes = PgBytes.Write(o =>
        {
            BackendWriter.WriteErrorResponse(o, ErrorSeverity.Error, SqlStates.InsufficientPrivilege, "blocked by policy");
            BackendWriter.WriteReadyForQuery(o, TransactionStatus.Idle);
        });

        Assert.Equal(PolicyBlockVector, Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void ErrorResponse_ReferenceVector_Parses()
    {
        var bytes = Convert.FromHexString(PolicyBlockVector)[..46];

        var error = ErrorOrNoticeMessage.Parse(PgBytes.Body(bytes, (byte)'E'));

        Assert.Equal("ERROR", PgBytes.Utf8(error.Severity));
        Assert.Equal("ERROR", PgBytes.Utf8(error.SeverityNonLocalized));
        Assert.Equal("42501", PgBytes.Utf8(error.SqlState));
        Assert.Equal("blocked by policy", PgBytes.Utf8(error.Message));
        Assert.True(error.Detail.IsEmpty);
        Assert.False(error.TryGetField(ErrorField.Hint, out _));
    }

    [Fact]
    public void ErrorResponse_WithDetailAndHint_RoundTrips()
    {
        var body = PgBytes.Body(
            o => BackendWriter.WriteErrorResponse(o, ErrorSeverity.Fatal, SqlStates.InvalidPassword, "password authentication failed", "token expired", "ask for a new grant"),
            (byte)'E');

        var error = ErrorOrNoticeMessage.Parse(body);

        Assert.Equal("FATAL", PgBytes.Utf8(error.Severity));
        Assert.Equal("28P01", PgBytes.Utf8(error.SqlState));
        Assert.Equal("token expired", PgBytes.Utf8(error.Detail));
        Assert.Equal("ask for a new grant", PgBytes.Utf8(error.Hint));
    }

    [Fact]
    public void NoticeResponse_RoundTrips_AndEnumeratesFieldsInOrder()
    {
        var body = PgBytes.Body(o => BackendWriter.WriteNoticeResponse(o, ErrorSeverity.Warning, "01000", "masked 3 values"), (byte)'N');

        var codes = new List<char>();
        foreach (var field in ErrorOrNoticeMessage.Parse(body))
        {
            codes.Add((char)field.Code);
        }

        Assert.Equal(['S', 'V', 'C', 'M'], codes);
    }

    [Fact]
    public void ErrorResponse_UnknownFieldCodes_AreKeptAndIgnored()
    {
        var error = ErrorOrNoticeMessage.Parse("Zsomething\0Mhello\0\0"u8);

        Assert.Equal("hello", PgBytes.Utf8(error.Message));
        Assert.Equal("something", PgBytes.Utf8(error.GetField((byte)'Z')));
    }

    [Theory]
    [InlineData("")]
    [InlineData("4d6869")]
    [InlineData("4d686900")]
    [InlineData("4d68690000ff")]
    public void ErrorResponse_Malformed_IsAProtocolViolation(string hex)
    {
        Assert.Throws<PgProtocolException>(() => ErrorOrNoticeMessage.Parse(Convert.FromHexString(hex)));
    }

    [Fact]
    public void WriteErrorResponse_BadSqlState_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => PgBytes.Write(o => BackendWriter.WriteErrorResponse(o, ErrorSeverity.Error, "4250", "x")));
    }
}
