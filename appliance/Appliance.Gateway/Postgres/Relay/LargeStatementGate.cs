using Appliance.Policy.Buffers;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// How many huge messages (a Query, Parse or Bind over 1 MiB) the gateway handles at once, across all
/// sessions. Judging and recording one decodes and masks its text several times over, about six
/// times its size in memory while it is handled; one person with many sessions sending 60 MB
/// statements in parallel could otherwise take gigabytes. Others wait their turn, already
/// received (their own size, once). Everything smaller passes untouched.
/// </summary>
internal sealed class LargeStatementGate
{
    public const int MinLargeLength = Pool<byte>.MaxPooledLength;

    public const int AtOnce = 4;

    private readonly SemaphoreSlim _slots = new(AtOnce, AtOnce);

    public static bool IsLarge(int length) => length > MinLargeLength;

    /// <summary>Blocks until a slot is free; dispose the result to give it back (once, however often it is disposed).</summary>
    public Slot Enter(int length, CancellationToken cancellationToken)
    {
        _slots.Wait(cancellationToken);
        return new Slot(_slots, length);
    }

    internal sealed class Slot(SemaphoreSlim slots, int length) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            slots.Release();
            if (length >= HugeArrays.CollectAfterLength)
            {
                // What the statement left behind (its decoded and masked texts besides its buffers)
                // is hundreds of megabytes on the large object heap, which the GC would otherwise
                // let grow for several such statements: eight 60 MB statements in a row took the
                // process to 8 GB. The same collection as for a huge buffer given up, once per burst.
                HugeArrays.Released();
            }
        }
    }
}
