using Appliance.Gateway.Postgres.Relay;

namespace Appliance.Gateway.Tests.Postgres.Relay;

public sealed class PendingQueueTests
{
    /// <summary>At a session's end, a refusal queued before the batch's Sync says the batch rolls back (probe LB1).</summary>
    [Fact]
    public void FirstOf_FindsTheFirstOfTheKindsAsked_AfterWrapAround()
    {
        var queue = new PendingQueue();
        for (var i = 0; i < 5; i++)
        {
            queue.Enqueue(new PendingEntry { Kind = PendingKind.Bind });
            queue.Dequeue();
        }

        queue.Enqueue(new PendingEntry { Kind = PendingKind.Execute });
        queue.Enqueue(new PendingEntry { Kind = PendingKind.InjectedError });
        queue.Enqueue(new PendingEntry { Kind = PendingKind.Sync });

        Assert.Equal(PendingKind.InjectedError, queue.FirstOf([PendingKind.InjectedError, PendingKind.Sync]));
        Assert.Equal(PendingKind.Sync, queue.FirstOf([PendingKind.Sync, PendingKind.Query]));
        Assert.Null(queue.FirstOf([PendingKind.Query]));
    }

    [Fact]
    public void Entries_ComeOutInOrder_AcrossWrapAroundAndGrowth()
    {
        var queue = new PendingQueue();
        var next = 0;
        var expected = 0;
        for (var round = 0; round < 50; round++)
        {
            for (var i = 0; i < round * 3; i++)
            {
                queue.Enqueue(new PendingEntry { Kind = PendingKind.Execute, Local = BitConverter.GetBytes(next++) });
            }

            for (var i = 0; i < round * 2 && !queue.IsEmpty; i++)
            {
                Assert.Equal(expected++, BitConverter.ToInt32(queue.Head.Local));
                queue.Dequeue();
            }
        }

        Assert.Equal(next - expected, queue.Count);
        while (!queue.IsEmpty)
        {
            Assert.Equal(expected++, BitConverter.ToInt32(queue.Head.Local));
            queue.Dequeue();
        }

        Assert.Equal(next, expected);
    }
}
