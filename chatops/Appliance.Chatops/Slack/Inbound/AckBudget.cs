namespace Appliance.Chatops.Slack.Inbound;

/// <summary>Waits for work only as long as Slack's 3-second acknowledgement deadline allows.</summary>
internal static class AckBudget
{
    /// <summary>True when <paramref name="work"/> finished within <paramref name="budget"/>.</summary>
    public static async Task<bool> FinishesWithinAsync(Task work, TimeSpan budget, TimeProvider time)
    {
        if (work.IsCompleted)
        {
            return true;
        }

        using var cts = new CancellationTokenSource();
        var timer = Task.Delay(budget, time, cts.Token);
        var first = await Task.WhenAny(work, timer);
        await cts.CancelAsync();
        return first == work;
    }
}
