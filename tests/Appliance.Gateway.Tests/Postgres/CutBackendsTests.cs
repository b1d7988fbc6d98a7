using System.Collections.Concurrent;
using Appliance.Gateway.Postgres.Upstream;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Gateway.Tests.Postgres;

/// <summary>
/// The ends of cut sessions' backends run on the gateway's own workers: cancels before the logins
/// that terminate (a cancel should not wait behind other sessions' logins), and all of them before
/// the gateway's stop returns.
/// </summary>
public sealed class CutBackendsTests
{
    [Fact]
    public void QueuedCancels_RunBeforeQueuedTerminates()
    {
        var order = new ConcurrentQueue<string>();
        var gates = Enumerable.Range(0, 4).Select(_ => new ManualResetEventSlim()).ToArray();
        var busy = new CountdownEvent(4);
        using var backends = new CutBackends(NullLogger<CutBackends>.Instance);
        // Four ends that hold the four workers until their gate opens.
        backends.Enqueue(Hold(gates[0], busy), Hold(gates[1], busy));
        backends.Enqueue(Hold(gates[2], busy), Hold(gates[3], busy));
        Assert.True(busy.Wait(TimeSpan.FromSeconds(10)));
        for (var i = 1; i <= 3; i++)
        {
            var session = i;
            backends.Enqueue(() => order.Enqueue($"cancel {session}"), () => order.Enqueue($"terminate {session}"));
        }

        // One worker freed: it takes what is queued one by one.
        gates[0].Set();
        SpinWait.SpinUntil(() => order.Count == 6, TimeSpan.FromSeconds(10));
        foreach (var gate in gates)
        {
            gate.Set();
        }

        Assert.Equal(["cancel 1", "cancel 2", "cancel 3", "terminate 1", "terminate 2", "terminate 3"], order);
    }

    [Fact]
    public void TheStop_FinishesWhatIsQueued_AndLaterEndsRunOnTheCaller()
    {
        var ran = new ConcurrentQueue<string>();
        var backends = new CutBackends(NullLogger<CutBackends>.Instance);
        for (var i = 0; i < 20; i++)
        {
            backends.Enqueue(() => { Thread.Sleep(5); ran.Enqueue("cancel"); }, () => { Thread.Sleep(5); ran.Enqueue("terminate"); });
        }

        backends.Dispose();
        var countAtStop = ran.Count;
        var caller = Environment.CurrentManagedThreadId;
        var ranOn = -1;
        backends.Enqueue(() => ranOn = Environment.CurrentManagedThreadId, () => ran.Enqueue("late"));

        Assert.Equal(40, countAtStop);
        Assert.Equal(caller, ranOn);
        Assert.Equal("late", ran.Last());
    }

    [Fact]
    public void AnEndThatThrows_DoesNotStopTheWorkers()
    {
        var ran = new ConcurrentQueue<int>();
        var backends = new CutBackends(NullLogger<CutBackends>.Instance);
        for (var i = 0; i < 8; i++)
        {
            var session = i;
            backends.Enqueue(() => throw new InvalidOperationException("unexpected"), () => ran.Enqueue(session));
        }

        backends.Dispose();

        Assert.Equal(8, ran.Count);
    }

    private static Action Hold(ManualResetEventSlim gate, CountdownEvent busy) => () =>
    {
        busy.Signal();
        gate.Wait(TimeSpan.FromSeconds(30));
    };
}
