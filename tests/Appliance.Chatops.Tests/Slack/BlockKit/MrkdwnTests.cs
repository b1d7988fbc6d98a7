using Appliance.Chatops.Slack.BlockKit;

namespace Appliance.Chatops.Tests.Slack.BlockKit;

public sealed class MrkdwnTests
{
    [Theory]
    [InlineData("<!channel>", "&lt;!channel&gt;")]
    [InlineData("<http://evil|click>", "&lt;http://evil|click&gt;")]
    [InlineData("a & b", "a &amp; b")]
    [InlineData("&lt;", "&amp;lt;")]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Escape_TheThreeControlCharacters(string? input, string expected) => Assert.Equal(expected, Mrkdwn.Escape(input));

    [Fact]
    public void Unescape_UndoesSlackCommandEscaping_Once()
    {
        Assert.Equal("<!channel> & <x>", Mrkdwn.Unescape("&lt;!channel&gt; &amp; &lt;x&gt;"));
        // &amp;lt; is a literal "&lt;" the user typed: it must come back as that text, not as "<".
        Assert.Equal("&lt;", Mrkdwn.Unescape("&amp;lt;"));
    }

    [Fact]
    public void Code_CannotBeClosedByABacktick() =>
        Assert.Equal("`a'&lt;b&gt;'`", Mrkdwn.Code("a`<b>`"));

    [Fact]
    public void Bold_CannotBeClosedByAnAsterisk() =>
        Assert.DoesNotContain('*', Mrkdwn.Bold("x* *y").Trim('*'));

    [Fact]
    public void CodeBlock_TruncatesLongStatements()
    {
        var block = Mrkdwn.CodeBlock(new string('x', 10_000));

        Assert.True(block.Length < Mrkdwn.MaxSectionText);
        Assert.EndsWith("… (7500 more characters)```", block, StringComparison.Ordinal);
    }

    /// <summary>No run of backticks, five included, leaves a fence behind that closes the block (probe EP1).</summary>
    [Theory]
    [InlineData("SELECT 1 -- ```")]
    [InlineData("SELECT 1 -- `````\n*Allowed by carol*")]
    public void CodeBlock_NoBacktickRunClosesIt(string sql)
    {
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(Mrkdwn.CodeBlock(sql), "```"));
        Assert.All(Mrkdwn.CodeBlocks(sql, 10)!, block => Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(block, "```")));
    }
}
