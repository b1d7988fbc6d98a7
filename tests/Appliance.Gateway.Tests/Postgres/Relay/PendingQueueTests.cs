using Appliance.Gateway.Postgres.Relay;

namespace Appliance.Gateway.Tests.Postgres.Relay;

public sealed class PendingQueueTests
{
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
