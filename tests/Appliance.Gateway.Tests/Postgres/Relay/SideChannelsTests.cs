using System.Buffers;
using System.Text;
using Appliance.Gateway.Postgres.Relay;
using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;
using Appliance.Wire.Backend;

namespace Appliance.Gateway.Tests.Postgres.Relay;

public sealed class SideChannelsTests
{
    private static readonly Masker Pii = Masker.Compile([new MaskingProfile { Name = "pii", Detectors = [MaskingDetector.UsSsn], Columns = ["ssn"] }]);

    private static byte[] Body(params string[] parts) => Encoding.UTF8.GetBytes(string.Concat(parts));

    private static string? Rewrite(char type, byte[] body, bool withhold)
    {
        var output = new ArrayBufferWriter<byte>();
        return SideChannels.TryRewrite((byte)type, body, Pii, withhold, output)
            ? Encoding.UTF8.GetString(output.WrittenSpan[5..])
            : null;
    }

    [Fact]
    public void AnErrorQuotingAValue_HasItDetectedAlways_AndWithheldForAMaskedColumn()
    {
        var body = Body("SERROR\0VERROR\0C22P02\0Minvalid input syntax for type integer: \"123-45-6789\"\0\0");

        Assert.Contains("\"***-**-6789\"", Rewrite('E', body, withhold: false), StringComparison.Ordinal);
        Assert.Contains("\"****\"", Rewrite('E', body, withhold: true), StringComparison.Ordinal);
    }

    [Fact]
    public void AValuePrintedUnquotedAfterTheMessage_IsWithheld()
    {
        // translate(card_number, '0123456789- ', 'abcdefghijkx')::regoper
        var body = Body("SERROR\0VERROR\0C42883\0Moperator does not exist: ebbbxbbbbxbbbbxbbbb\0\0");

        Assert.Contains("Moperator does not exist: ****\0", Rewrite('E', body, withhold: true), StringComparison.Ordinal);
        Assert.Null(Rewrite('E', body, withhold: false)); // relayed as it is where nothing is withheld
    }

    [Fact]
    public void BytesPrintedInHex_AreWithheld()
    {
        // convert_to(translate(ssn, '0123456789', <letters whose UTF-8 is written in a-f>), 'LATIN1')
        var body = Body("SERROR\0VERROR\0C22P05\0Mcharacter with byte sequence 0xea 0xaa 0xab in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"\0\0");

        var rewritten = Rewrite('E', body, withhold: true);

        Assert.DoesNotContain("xea", rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("xaa", rewritten, StringComparison.Ordinal);
        Assert.Contains("character with byte sequence **** **** ****", rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void ASyntaxError_IsLeftAlone_WhenTheStatementCarriesNoMaskedColumn()
    {
        var body = Body("SERROR\0VERROR\0C42601\0Msyntax error at or near \"SELEKT\"\0P1\0\0");

        Assert.Null(Rewrite('E', body, withhold: false));
    }

    [Fact]
    public void ASyntaxErrorWithAPosition_MayQuoteData_AndIsWithheld_PositionsToo()
    {
        // ('int ' || replace(ssn, '-', ''))::regtype: the value is parsed as a type name while
        // running; padded with repeat(' ', substr(ssn, 1, 3)::int), its position is data too (probe CD).
        var body = Body("SERROR\0VERROR\0C42601\0Msyntax error at or near \"132187920\"\0P137\0p12\0\0");

        var rewritten = Rewrite('E', body, withhold: true);

        Assert.Contains("syntax error at or near \"****\"", rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("132187920", rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("P137", rewritten, StringComparison.Ordinal);
        Assert.DoesNotContain("p12", rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void ASyntaxErrorRaisedWhileRunning_QuotesData_AndIsWithheld()
    {
        // to_tsquery(translate(ssn, …) || ' )('): the same code, no position in the statement.
        var body = Body("SERROR\0VERROR\0C42601\0Msyntax error in tsquery: \"bdc-bi-hjca )(\"\0\0");

        Assert.Contains("syntax error in tsquery: \"****\"", Rewrite('E', body, withhold: true), StringComparison.Ordinal);
    }

    [Fact]
    public void AnUndefinedObjectError_MayQuoteData_AndIsWithheld()
    {
        // SELECT ssn::regclass: the value is quoted as the name of a relation that does not exist.
        var body = Body("SERROR\0VERROR\0C42P01\0Mrelation \"bdc-bi-hjca\" does not exist\0\0");

        Assert.Contains("relation \"****\" does not exist", Rewrite('E', body, withhold: true), StringComparison.Ordinal);
    }

    [Fact]
    public void ANotificationPayload_IsWithheld_OrDetected()
    {
        var body = new byte[] { 0, 0, 0, 42 }.Concat(Body("leak\0", "123456789\0")).ToArray();

        Assert.EndsWith("leak\0****\0", Rewrite('A', body, withhold: true), StringComparison.Ordinal);
        Assert.Null(Rewrite('A', body, withhold: false));
        var parsed = NotificationResponseMessage.Parse(body);
        Assert.Equal(42, parsed.ProcessId);
    }

    [Fact]
    public void AnApplicationNameReport_IsWithheld_OtherParametersPass()
    {
        Assert.EndsWith("application_name\0****\0", Rewrite('S', Body("application_name\0", "123456789\0"), withhold: true), StringComparison.Ordinal);
        Assert.Null(Rewrite('S', Body("TimeZone\0", "UTC\0"), withhold: true));
    }
}
