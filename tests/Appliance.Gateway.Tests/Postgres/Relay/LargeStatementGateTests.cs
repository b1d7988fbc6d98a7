using Appliance.Gateway.Postgres.Relay;

namespace Appliance.Gateway.Tests.Postgres.Relay;

public sealed class LargeStatementGateTests
{
    [Fact]
    public void AtMostFourAtOnce_TheFifthWaitsForAFreedSlot()
    {
        var gate = new LargeStatementGate();
        var slots = Enumerable.Range(0, LargeStatementGate.AtOnce).Select(_ => gate.Enter(2_000_000, CancellationToken.None)).ToList();

        using var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.Throws<OperationCanceledException>(() => gate.Enter(2_000_000, shortWait.Token));

        slots[0].Dispose();
        using var fifth = gate.Enter(2_000_000, new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
    }

    [Theory]
    [InlineData(1024 * 1024, false)]
    [InlineData((1024 * 1024) + 1, true)]
    public void OnlyStatementsOverOneMebibyte_AreLarge(int length, bool large) => Assert.Equal(large, LargeStatementGate.IsLarge(length));
}
