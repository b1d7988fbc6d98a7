using Appliance.Policy.Configuration;

namespace Appliance.Policy.Tests.Configuration;

public sealed class DurationTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 15 * 60)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 2 * 86400)]
    [InlineData(" 1D2H ", 86400 + 7200)]
    public void TryParse_WrittenDuration_IsRead(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("h")]
    [InlineData("0s")]
    [InlineData("30m1h")]
    [InlineData("1h1h")]
    [InlineData("1w")]
    [InlineData("-1h")]
    [InlineData("3651d")]
    [InlineData("1.5h")]
    public void TryParse_NotADuration_IsRefused(string text)
    {
        Assert.False(Duration.TryParse(text, out _));
    }

    [Theory]
    [InlineData(5400, "1h30m")]
    [InlineData(172800, "2d")]
    [InlineData(45, "45s")]
    [InlineData(0, "0s")]
    public void Format_GivesTheShortestForm(int seconds, string expected)
    {
        Assert.Equal(expected, Duration.Format(TimeSpan.FromSeconds(seconds)));
    }
}
