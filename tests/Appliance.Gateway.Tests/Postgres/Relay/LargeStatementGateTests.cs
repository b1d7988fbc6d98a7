using Appliance.Gateway.Postgres.Relay;

namespace Appliance.Gateway.Tests.Postgres.Relay;

public sealed class LargeStatementGateTests
{
    [Fact]
    public void AtMostFourAtOnce_TheFifthWaitsForAFreedSlot_AndASlotIsFreedOnce()
    {
        var gate = new LargeStatementGate();
        var slots = Enumerable.Range(0, LargeStatementGate.AtOnce).Select(_ => gate.Enter(2_000_000, CancellationToken.None)).ToList();

        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            Assert.Throws<OperationCanceledException>(() => gate.Enter(2_000_000, shortWait.Token));
        }

        // Given back early (a review hold) and again at the end of the message: one slot, not two.
        slots[0].Dispose();
        slots[0].Dispose();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        slots.Add(gate.Enter(2_000_000, wait.Token));
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            Assert.Throws<OperationCanceledException>(() => gate.Enter(2_000_000, shortWait.Token));
        }

        slots.ForEach(slot => slot.Dispose());
    }

    [Theory]
    [InlineData(1024 * 1024, false)]
    [InlineData((1024 * 1024) + 1, true)]
    public void OnlyStatementsOverOneMebibyte_AreLarge(int length, bool large) => Assert.Equal(large, LargeStatementGate.IsLarge(length));
}
