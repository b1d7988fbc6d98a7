using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

public class MaskerTextTests
{
    private readonly Masker _masker = MaskingTestData.Masker();

    [Theory]
    [InlineData("4111111111111111", "****-****-****-1111")]
    [InlineData("4111111111111111.00", "****-****-****-1111.00")]
    [InlineData("8100000000000002", "****-****-****-0002")]
    [InlineData("4111 1111 1111 1111", "****-****-****-1111")]
    [InlineData("+4111 1111 1111 1111", "+****-****-****-1111")] // grouped as a card, a '+' does not make it a phone number (probe EJ6)
    [InlineData("4111-1111-1111-1111", "****-****-****-1111")]
    [InlineData("5555 5555-5555 4444", "****-****-****-4444")]
    [InlineData("378282246310005", "****-****-****-0005")]
    [InlineData("3782 822463 10005", "****-****-****-0005")]
    [InlineData("4222222222222", "****-****-****-2222")]
    [InlineData("6011000990139424", "****-****-****-9424")]
    [InlineData("$4,111,111,111,111,111.00", "$****-****-****-1111.00")]
    [InlineData("4.111.111.111.111.111,00 EUR", "****-****-****-1111,00 EUR")]
    [InlineData("CHF 4'111'111'111'111'111", "CHF ****-****-****-1111")]
    [InlineData("4 111 111 111 111 111", "****-****-****-1111")]
    [InlineData("{\"m\": \"$6,011,373,127,221,328.00\"}", "{\"m\": \"$****-****-****-1328.00\"}")]
    public void TryMask_ValidCard_KeepsTheLastFour(string card, string masked) =>
        Assert.Equal(masked, _masker.MaskText(card));

    [Fact]
    public void TryMask_NineteenDigitCard_IsMasked()
    {
        var card = MaskingTestData.LuhnNumber("6", 19, new Random(7));
        Assert.Equal("****-****-****-" + card[^4..], _masker.MaskText(card));
    }

    [Theory]
    [InlineData("4111111111111112")]
    [InlineData("41111111111111111111")]
    [InlineData("411111111111111")]
    [InlineData("4111  1111 1111 1111")]
    [InlineData("4111--1111-1111-1111")]
    [InlineData("0000000000000000")]
    [InlineData("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1")]
    [InlineData("2024-01-01 12:34:56.789+00")]
    [InlineData("order 12345 shipped")]
    [InlineData("12.4111111111111111")]
    [InlineData("1675238280000")]
    [InlineData("20230201075800")] // compact timestamps (YYYYMMDDHH24MISS[MS]), Luhn-valid as one in ten are (probe TC3)
    [InlineData("order placed 20260101120000004")]
    [InlineData("2099123123595900")]
    [InlineData("+4915100015838")] // an international phone number, Luhn-valid as one in ten are (probe EH2)
    [InlineData("call +23480301234560 today")]
    [InlineData("7000000000000005")]
    [InlineData("9000000000000001")]
    [InlineData("1000000000000008")]
    [InlineData("8000000000000003")]
    [InlineData("-0.4111111111111111")]
    [InlineData("263.5555555555554444")]
    [InlineData("Plain text, no numbers")]
    [InlineData("$1,234,567,890.12")]
    [InlineData("4,111,111,111,111,112")]
    [InlineData("41,111,111,111,111,111,111")]
    [InlineData("4,111,111,111,1111,111")]
    [InlineData("4,111.111,111.111,111")]
    [InlineData("0.4,111,111,111,111,111")]
    [InlineData("")]
    [InlineData("6f3e29a35278d71c4111111111111111")]
    [InlineData("md5: 4111111111111111abcdef0123456789, sha1: 6f3e29a35278d71c7f1a4111111111111111aBcD")]
    // Lengths no issuer of the prefix gives out: a phone's IMEI, barcodes (probes AU2, AR4).
    [InlineData("IMEI 355260181590838")]
    [InlineData("5901234123457")]
    [InlineData("3000000000007")]
    [InlineData("5555555555554")]
    public void TryMask_NotACard_IsUnchanged(string value) => Assert.Null(_masker.MaskText(value));

    [Theory]
    [InlineData("{\"card\":\"4111111111111111\",\"n\":1}", "{\"card\":\"****-****-****-1111\",\"n\":1}")]
    [InlineData("x4111111111111111y", "x****-****-****-1111y")]
    [InlineData("card4111111111111111", "card****-****-****-1111")]
    [InlineData("4111111111111111fax", "****-****-****-1111fax")]
    [InlineData("ssn 123-45-6789a", "ssn ***-**-6789a")]
    [InlineData("ab4111111111111111cdef", "ab****-****-****-1111cdef")]
    [InlineData("6f3e29a35278d71c7f4111111111111111", "6f3e29a35278d71c7f****-****-****-1111")]
    [InlineData("6f3e29a35278d71x4111111111111111", "6f3e29a35278d71x****-****-****-1111")]
    [InlineData("'x' || 4111111111111111 || 'y'", "'x' || ****-****-****-1111 || 'y'")]
    [InlineData("{4111111111111111,5555555555554444}", "{****-****-****-1111,****-****-****-4444}")]
    [InlineData("4111111111111111, 5555555555554444", "****-****-****-1111, ****-****-****-4444")]
    [InlineData("4111111111111111 5555555555554444", "****-****-****-1111 ****-****-****-4444")]
    [InlineData("(1,\"4111 1111 1111 1111\",t)", "(1,\"****-****-****-1111\",t)")]
    [InlineData("Qty 2 4111 1111 1111 1111.", "Qty 2 ****-****-****-1111.")]
    [InlineData("4111111111111111.00", "****-****-****-1111.00")]
    [InlineData("8100000000000002", "****-****-****-0002")]
    public void TryMask_CardAnywhereInTheText_IsMasked(string value, string masked) =>
        Assert.Equal(masked, _masker.MaskText(value));

    [Theory]
    [InlineData("123-45-6789", "***-**-6789")]
    [InlineData("ssn: 123-45-6789.", "ssn: ***-**-6789.")]
    [InlineData("{\"ssn\":\"078-05-1120\"}", "{\"ssn\":\"***-**-1120\"}")]
    // Written with spaces, as forms and notes write it (probe AN1).
    [InlineData("Verified caller SSN 132 18 7920", "Verified caller SSN ***-**-7920")]
    [InlineData("123 45 6789", "***-**-6789")]
    // Next to other numbers too, as the dashed form is: alone only, " 0" appended unmasked it (probe AU1).
    [InlineData("SSNs: 123 45 6789 234 56 7890", "SSNs: ***-**-6789 ***-**-7890")]
    [InlineData("123 45 6789 0", "***-**-6789 0")]
    public void TryMask_Ssn_KeepsTheSerial(string value, string masked) => Assert.Equal(masked, _masker.MaskText(value));

    [Theory]
    [InlineData("123456789")]
    [InlineData("000-12-3456")]
    [InlineData("666-12-3456")]
    [InlineData("900-12-3456")]
    [InlineData("123-00-4567")]
    [InlineData("123-45-0000")]
    [InlineData("123-45 6789")]
    [InlineData("666 12 3456")]
    [InlineData("2024-01-15")]
    public void TryMask_NotAnSsn_IsUnchanged(string value) => Assert.Null(_masker.MaskText(value));

    [Theory]
    [InlineData("alice@example.com", "a***@example.com")]
    [InlineData("mail bob.smith+tag@mail.example.org. now", "mail b***@mail.example.org. now")]
    [InlineData("{\"email\":\"carol_99@x-y.co.uk\"}", "{\"email\":\"c***@x-y.co.uk\"}")]
    [InlineData("żaneta@example.pl", "ż***@example.pl")]
    [InlineData("a@example.com", "a***@example.com")]
    [InlineData("{a@b.io,c@d.io}", "{a***@b.io,c***@d.io}")]
    [InlineData("a@x.6011373127221328.com", "a***@x.****-****-****-1328.com")]
    [InlineData("jane.doe@example.com-078-05-1120", "j***@example.com-***-**-1120")]
    [InlineData("a@mail2.example.com", "a***@mail2.example.com")]
    public void TryMask_Email_KeepsFirstCharacterAndDomain(string value, string masked) => Assert.Equal(masked, _masker.MaskText(value));

    [Theory]
    [InlineData("user@localhost")]
    [InlineData("a@b.c")]
    [InlineData("@example.com")]
    [InlineData("price @ 10.00")]
    [InlineData("x@1.23")]
    public void TryMask_NotAnEmail_IsUnchanged(string value) => Assert.Null(_masker.MaskText(value));

    [Fact]
    public void TryMask_CustomPattern_StarsEachCharacter() =>
        Assert.Equal("badge **********, ok", _masker.MaskText("badge EMP-123456, ok"));

    [Fact]
    public void TryMask_PatternAndDetectorInOneValue_BothApply() =>
        Assert.Equal("********** a***@example.com ****-****-****-1111", _masker.MaskText("EMP-000001 alice@example.com 4111111111111111"));

    [Fact]
    public void TryMask_PatternAfterMultiByteText_KeepsTheTextExact() =>
        Assert.Equal("Zürich ✓ **********", _masker.MaskText("Zürich ✓ EMP-654321"));

    [Fact]
    public void TryMask_OnlyTheConfiguredDetectors_Apply()
    {
        var emailOnly = Masker.Compile([new MaskingProfile { Name = "e", Detectors = [MaskingDetector.Email] }]);
        Assert.Null(emailOnly.MaskText("4111111111111111 123-45-6789"));
        Assert.Equal("a***@example.com", emailOnly.MaskText("alice@example.com"));
    }

    [Fact]
    public void TryMask_NoProfiles_ChangesNothing()
    {
        var none = Masker.Compile([]);
        Assert.True(none.IsEmpty);
        Assert.Null(none.MaskText("4111111111111111 alice@example.com"));
    }

    [Fact]
    public void TryMask_PatternTimeout_MasksTheWholeValue()
    {
        var slow = Masker.Compile(
            [new MaskingProfile { Name = "slow", Patterns = [new MaskingPattern { Name = "evil", Regex = @"^(\w+\s?)+$" }] }],
            new MaskerOptions { PatternTimeout = TimeSpan.FromMilliseconds(1) });
        Assert.Equal("****", slow.MaskText(new string('a', 64) + "!"));
        Assert.Equal(1, slow.PatternTimeouts);
    }

    [Fact]
    public void Detects_ReportsWithoutWriting()
    {
        Assert.True(_masker.Detects("1\tx\t4111111111111111\n"u8));
        Assert.True(_masker.Detects("EMP-123456"u8));
        Assert.False(_masker.Detects("1\tx\t42\n"u8));
    }

    [Fact]
    public void Mask_String_ForTheAuditLog()
    {
        Assert.Equal("card ****-****-****-1111 of a***@example.com", _masker.Mask("card 4111111111111111 of alice@example.com"));
        const string clean = "SELECT * FROM orders WHERE id = 42";
        Assert.Same(clean, _masker.Mask(clean));
    }

    [Fact]
    public void TryMask_RandomTextWithEmbeddedCards_NeverLeaksTheDigits()
    {
        var random = new Random(20261126);
        const string filler = "abcXYZ ,;:{}[]\"'()|-_.@#/\\\n\tżé✓";
        for (var iteration = 0; iteration < 2000; iteration++)
        {
            // A card as issued: its lead and a length its issuer gives out (Visa 13, 16 or 19, Amex 15,
            // Diners 14 to 19, JCB, Discover, Mastercard's 2-series 16 to 19; no issuer's start with 20).
            var (lead, lengths) = random.Next(6) switch
            {
                0 => ("4", new[] { 13, 16, 19 }),
                1 => (random.Next(2) == 0 ? "34" : "37", new[] { 15 }),
                2 => ("36", new[] { 14, 16, 19 }),
                3 => ("35", new[] { 16, 17, 18, 19 }),
                4 => ("6011", new[] { 16, 17, 18, 19 }),
                _ => ("2" + (char)('2' + random.Next(6)), new[] { 16, 17, 18, 19 }),
            };
            var card = MaskingTestData.LuhnNumber(lead, lengths[random.Next(lengths.Length)], random);
            var written = random.Next(3) switch
            {
                0 => card,
                1 => string.Join(' ', card.Chunk(4).Select(c => new string(c))),
                _ => string.Join('-', card.Chunk(4).Select(c => new string(c))),
            };
            var text = Filler(random, filler) + written + Filler(random, filler) + (random.Next(2) == 0 ? "" : "n" + random.Next(1000) + "x");
            var masked = _masker.MaskText(text);
            Assert.NotNull(masked);
            Assert.DoesNotContain(card, masked.Replace(" ", "").Replace("-", ""), StringComparison.Ordinal);
            Assert.DoesNotContain(written, masked, StringComparison.Ordinal);
        }
    }

    private static string Filler(Random random, string alphabet)
    {
        var length = random.Next(0, 12);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        // A filler ending or starting in '-' or ' ' next to a digit group could join a following digit run.
        return new string(chars).Trim(' ', '-') + "_";
    }

    /// <summary>Separators and digits that only look like ASCII ones hide nothing (probe EM-4): the value is masked whole.</summary>
    [Theory]
    [InlineData("card 4111\u00A01111\u00A01111\u00A01111 on file")]
    [InlineData("ssn 123\u201345\u20136789")]
    [InlineData("4111\u200B1111\u200B1111\u200B1111")]
    [InlineData("\uFF14\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11\uFF11")]
    [InlineData("mail ann\uFF20example.com")]
    [InlineData("\uFF14\uFF11\uFF11\uFF11\u3000\uFF11\uFF11\uFF11\uFF11\u3000\uFF11\uFF11\uFF11\uFF11\u3000\uFF11\uFF11\uFF11\uFF11")] // ideographic spaces (probe EN4)
    [InlineData("4111\uFEFF1111\u20631111\u034F1111")]
    [InlineData("ssn 123\uFE6345\u20436789")]
    [InlineData("\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661")] // Arabic-Indic digits
    [InlineData("ann\uFE6Bexample\uFF0Ecom")]
    public void Lookalikes_AreReadAsAscii_AndTheValueMaskedWhole(string text) =>
        Assert.Equal("****", _masker.Mask(System.Text.RegularExpressions.Regex.Unescape(text)));

    [Theory]
    [InlineData("Zoë\u00A0Müller — order 4411")]
    [InlineData("1\u00A0234,56\u00A0€")]
    public void Lookalikes_WithNothingToMask_AreLeftAlone(string text) =>
        Assert.Equal(System.Text.RegularExpressions.Regex.Unescape(text), _masker.Mask(System.Text.RegularExpressions.Regex.Unescape(text)));
}
