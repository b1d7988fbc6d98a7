using System.Buffers;

namespace Appliance.Policy.Buffers;

/// <summary>
/// <see cref="ArrayPool{T}.Shared"/> for the sizes the relay uses all the time; an array for a
/// larger message or statement is allocated and left to the GC instead. The shared pool keeps
/// what it is given, per thread and per core, until a gen2 collection trims it: four 60 MB
/// statements sent at once left gigabytes of such arrays held for minutes.
/// </summary>
internal static class Pool<T>
{
    public const int MaxPooledLength = 1024 * 1024;

    public static T[] Rent(int minimumLength) =>
        minimumLength <= MaxPooledLength ? ArrayPool<T>.Shared.Rent(minimumLength) : GC.AllocateUninitializedArray<T>(minimumLength);

    public static void Return(T[] array)
    {
        if (array.Length <= MaxPooledLength)
        {
            ArrayPool<T>.Shared.Return(array);
        }
        else if (array.Length >= HugeArrays.CollectAfterLength)
        {
            HugeArrays.Released();
        }
    }
}

/// <summary>
/// Arrays of tens of megabytes (a huge result row's buffers, a huge statement's) live on the large
/// object heap, which the GC lets grow over several of them before it collects: eight 48 MB rows
/// left the process 4 GB large for a minute (probe AE). Giving one up schedules a full compacting
/// collection shortly after, once for a burst (the row's input, its masked copy, the output). A
/// background one does not compact that heap and kept the space: 418 MB after one 48 MB row, more
/// after the next; compacted, 264 MB after either (from 166 MB idle). Its pause is small beside
/// the huge row's own handling: a 1-client pgbench's worst latency meanwhile was 0.42 s either way.
/// </summary>
internal static class HugeArrays
{
    public const int CollectAfterLength = 16 * 1024 * 1024;

    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(200);

    private static int _scheduled;

    public static void Released()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            _ = Task.Delay(Delay).ContinueWith(
                static _ =>
                {
                    Volatile.Write(ref _scheduled, 0);
                    System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                },
                TaskScheduler.Default);
        }
    }
}

/// <summary>Writers kept for reuse across calls: one grown past <see cref="Pool{T}.MaxPooledLength"/> by a huge value is not kept.</summary>
internal static class Scratch
{
    /// <summary><paramref name="writer"/>, or null (make a new one next time) when a huge value grew it.</summary>
    public static ArrayBufferWriter<byte>? KeepUnlessGrown(ArrayBufferWriter<byte> writer) =>
        writer.Capacity > Pool<byte>.MaxPooledLength ? null : writer;
}
