using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

public class MaskerSqlTests
{
    private readonly Masker _masker = MaskingTestData.Masker();

    [Theory]
    [InlineData(@"SELECT E'\x34\x31\x31\x31 1111 1111 1111'", "SELECT '****'")]
    [InlineData(@"SELECT U&'\0034111 1111 1111 1111' AS c", "SELECT '****' AS c")]
    [InlineData(@"SELECT u&'\+000034111 1111 1111 1111'", "SELECT '****'")]
    [InlineData(@"SELECT '\061\062\063-45-6789', 1", "SELECT '****', 1")]
    [InlineData(@"SELECT e'ssn \061\062\063-45-6789' || 'x'", "SELECT '****' || 'x'")]
    public void MaskEscapedLiterals_ALiteralWhoseDecodedValueIsFlagged_IsShownMaskedWhole(string sql, string masked) =>
        Assert.Equal(masked, _masker.MaskEscapedLiterals(sql));

    [Theory]
    [InlineData(@"SELECT E'line\nbreak', '\d+'")]
    [InlineData(@"SELECT U&'d\0061t\+000061'")]
    [InlineData("SELECT 'no backslash 4111 1111 1111 1111'")]
    [InlineData(@"SELECT $$\x34\x31$$, ""\x34""")]
    public void MaskEscapedLiterals_OtherwiseLeavesTheTextAsItIs(string sql) =>
        Assert.Same(sql, _masker.MaskEscapedLiterals(sql));
}
