using Appliance.Chatops.Commands;

namespace Appliance.Chatops.Tests.Commands;

public sealed class CommandParserTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("help")]
    [InlineData("HELP")]
    [InlineData("help me please")]
    public void Help_Forms(string? text) => Assert.IsType<HelpCommand>(CommandParser.Parse(text));

    [Fact]
    public void Request_WithDurationAndReason()
    {
        var command = Assert.IsType<RequestCommand>(CommandParser.Parse("request db-prod 1h investigating order 4411"));

        Assert.Equal(new RequestCommand("db-prod", "1h", "investigating order 4411"), command);
    }

    [Theory]
    [InlineData("request demo 30s why", "30s")]
    [InlineData("request demo 15m why", "15m")]
    [InlineData("request demo 1h30m why", "1h30m")]
    [InlineData("request demo 2d why", "2d")]
    [InlineData("request demo 1H why", "1h")]
    [InlineData("request demo 1d2h3m4s why", "1d2h3m4s")]
    public void Request_DurationForms(string text, string duration) =>
        Assert.Equal(duration, Assert.IsType<RequestCommand>(CommandParser.Parse(text)).Duration);

    [Fact]
    public void Request_WithoutDuration_ReasonKeepsItsText()
    {
        var command = Assert.IsType<RequestCommand>(CommandParser.Parse("  request   demo   looking  at   order 4411  "));

        Assert.Equal(new RequestCommand("demo", null, "looking  at   order 4411"), command);
    }

    [Fact]
    public void Request_ConnectionOnly()
    {
        Assert.Equal(new RequestCommand("demo", null, null), CommandParser.Parse("request demo"));
        Assert.Equal(new RequestCommand("demo", "2h", null), CommandParser.Parse("request demo 2h"));
    }

    [Fact]
    public void Request_SlackEscapedText_IsUnescapedForTheGateway()
    {
        // Slack sends &, < and > in command text as &amp; &lt; &gt;.
        var command = Assert.IsType<RequestCommand>(CommandParser.Parse("request demo 1h check a &lt; b &amp;&amp; c &gt; d"));

        Assert.Equal("check a < b && c > d", command.Reason);
    }

    [Fact]
    public void Request_WithoutConnection_SaysWhichAndHow()
    {
        var invalid = Assert.IsType<InvalidCommand>(CommandParser.Parse("request"));

        Assert.Contains("Which connection", invalid.Problem, StringComparison.Ordinal);
        Assert.Contains("/hoop request <connection>", invalid.Usage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("request demo 2 hours please", "`2`")]
    [InlineData("request demo 90min why", "`90min`")]
    [InlineData("request demo 1hour why", "`1hour`")]
    [InlineData("request demo 0h why", "`0h`")]
    [InlineData("request demo -1h why", "`-1h`")]
    [InlineData("request demo +30m why", "`+30m`")]
    public void Request_BadDuration_SaysHowToWriteIt(string text, string quoted)
    {
        var invalid = Assert.IsType<InvalidCommand>(CommandParser.Parse(text));

        Assert.Contains(quoted, invalid.Problem, StringComparison.Ordinal);
        Assert.Contains("1h30m", invalid.Problem, StringComparison.Ordinal);
        Assert.Contains("/hoop request", invalid.Usage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("list")]
    [InlineData("LIST")]
    public void List(string text) => Assert.IsType<ListCommand>(CommandParser.Parse(text));

    [Fact]
    public void Status() => Assert.IsType<StatusCommand>(CommandParser.Parse("status"));

    [Theory]
    [InlineData("list everything")]
    [InlineData("status please")]
    public void NoArgumentCommands_WithArguments_AreRefused(string text)
    {
        var invalid = Assert.IsType<InvalidCommand>(CommandParser.Parse(text));

        Assert.Contains("takes no arguments", invalid.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Approve_WithComment()
    {
        Assert.Equal(new DecideCommand(true, "k7m2q9xa", "looks fine"), CommandParser.Parse("approve K7M2Q9XA looks fine"));
        Assert.Equal(new DecideCommand(true, "k7m2q9xa", null), CommandParser.Parse("approve k7m2q9xa"));
    }

    [Fact]
    public void Deny_WithReason() =>
        Assert.Equal(new DecideCommand(false, "k7m2q9xa", "use the replica"), CommandParser.Parse("deny k7m2q9xa use the replica"));

    [Theory]
    [InlineData("approve", "Which request")]
    [InlineData("deny", "Which request")]
    [InlineData("approve 4411", "`4411` is not a request id")]
    [InlineData("deny k7m2-q9x", "`k7m2-q9x` is not a request id")]
    [InlineData("approve k7m2q9xa9", "is not a request id")]
    public void Decide_BadId_SaysWhatAnIdLooksLike(string text, string problem)
    {
        var invalid = Assert.IsType<InvalidCommand>(CommandParser.Parse(text));

        Assert.Contains(problem, invalid.Problem, StringComparison.Ordinal);
        Assert.Contains(text.Split(' ')[0] == "approve" ? "/hoop approve <id>" : "/hoop deny <id>", invalid.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void Done_Forms()
    {
        Assert.Equal(new DoneCommand(null), CommandParser.Parse("done"));
        Assert.Equal(new DoneCommand("k7m2q9xa"), CommandParser.Parse("done k7m2q9xa"));
    }

    [Theory]
    [InlineData("done k7m2q9xa now", "at most an id")]
    [InlineData("done everything", "is not a request id")]
    public void Done_Errors(string text, string problem) =>
        Assert.Contains(problem, Assert.IsType<InvalidCommand>(CommandParser.Parse(text)).Problem, StringComparison.Ordinal);

    [Fact]
    public void Revoke_Forms()
    {
        Assert.Equal(new RevokeCommand("k7m2q9xa", null), CommandParser.Parse("revoke k7m2q9xa"));
        Assert.Equal(new RevokeCommand("k7m2q9xa", "incident over"), CommandParser.Parse("revoke K7M2Q9XA incident over"));
    }

    [Theory]
    [InlineData("revoke", "Which request?")]
    [InlineData("revoke everything now", "is not a request id")]
    public void Revoke_Errors(string text, string problem)
    {
        var invalid = Assert.IsType<InvalidCommand>(CommandParser.Parse(text));
        Assert.Contains(problem, invalid.Problem, StringComparison.Ordinal);
        Assert.Equal(CommandParser.RevokeUsage, invalid.Usage);
    }

    [Fact]
    public void Extend_Forms()
    {
        Assert.Equal(new ExtendCommand("k7m2q9xa", "30m", null), CommandParser.Parse("extend k7m2q9xa 30m"));
        Assert.Equal(new ExtendCommand("k7m2q9xa", "1h", "still digging"), CommandParser.Parse("extend k7m2q9xa 1h still digging"));
    }

    [Theory]
    [InlineData("extend", "Which request")]
    [InlineData("extend k7m2q9xa", "How much longer")]
    [InlineData("extend k7m2q9xa soon", "`soon` is not a duration")]
    [InlineData("extend 30m k7m2q9xa", "`30m` is not a request id")]
    public void Extend_Errors(string text, string problem)
    {
        var invalid = Assert.IsType<InvalidCommand>(CommandParser.Parse(text));

        Assert.Contains(problem, invalid.Problem, StringComparison.Ordinal);
        Assert.Contains("/hoop extend <id> <duration>", invalid.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownVerb_PointsToHelp()
    {
        var invalid = Assert.IsType<InvalidCommand>(CommandParser.Parse("grant me db-prod"));

        Assert.Contains("`grant` is not a /hoop command", invalid.Problem, StringComparison.Ordinal);
        Assert.Contains("/hoop help", invalid.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void QuotedUserText_InErrors_IsEscaped()
    {
        var invalid = Assert.IsType<InvalidCommand>(CommandParser.Parse("<!channel> please"));

        Assert.DoesNotContain("<!channel>", invalid.Problem, StringComparison.Ordinal);
        Assert.Contains("&lt;!channel&gt;", invalid.Problem, StringComparison.Ordinal);
    }
}
