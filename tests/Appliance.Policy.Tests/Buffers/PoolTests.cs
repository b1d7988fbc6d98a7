using Appliance.Policy.Buffers;

namespace Appliance.Policy.Tests.Buffers;

public class PoolTests
{
    [Fact]
    public async Task GivingUpAHugeArray_IsFollowedByACollection()
    {
        // Probe AE: eight 48 MB result rows left the gateway 4 GB large for a minute.
        var before = GC.CollectionCount(2);
        Pool<byte>.Return(Pool<byte>.Rent(HugeArrays.CollectAfterLength));

        for (var i = 0; i < 100 && GC.CollectionCount(2) == before; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(GC.CollectionCount(2) > before, "no gen2 collection followed");
    }

    [Fact]
    public void ArraysOverAMebibyte_AreNotPooled()
    {
        var huge = Pool<byte>.Rent(Pool<byte>.MaxPooledLength + 1);
        Assert.Equal(Pool<byte>.MaxPooledLength + 1, huge.Length);
        Pool<byte>.Return(huge);
        Assert.NotSame(huge, Pool<byte>.Rent(Pool<byte>.MaxPooledLength + 1));
    }
}
