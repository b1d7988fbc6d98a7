using System.Collections.Concurrent;

namespace Appliance.Gateway.Identity;

/// <summary>
/// Slows password guessing on the PostgreSQL listener: after <see cref="MaxFailures"/> failures
/// within <see cref="Window"/> against one user name from one client address, or
/// <see cref="MaxFailuresPerAddress"/> from one address (a spray over many names), further
/// attempts from that address are refused without checking until the window has passed. The
/// address allows more: people behind one NAT share it. A user name is never limited across
/// addresses: anyone could then lock its owner out by failing five times a minute (probe AC),
/// and the passwords are random tokens, which no guessing from many addresses can find.
/// </summary>
internal sealed class AuthFailureLimiter(TimeProvider time)
{
    public const int MaxFailures = 5;
    public const int MaxFailuresPerAddress = 30;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new();

    /// <summary>When the caller may try again, or null if it may try now.</summary>
    public TimeSpan? RetryAfter(string clientAddress, string user)
    {
        var now = time.GetUtcNow();
        var byClient = Blocked("ip:" + clientAddress, MaxFailuresPerAddress, now);
        var byUser = Blocked(UserKey(clientAddress, user), MaxFailures, now);
        // Not "a > b ? a : b": a comparison with a null (not blocked) is false, which let an
        // address past its limit whenever the user name was not blocked too.
        return (byClient, byUser) switch
        {
            ({ } c, { } u) => c > u ? c : u,
            _ => byClient ?? byUser,
        };
    }

    public void RecordFailure(string clientAddress, string user)
    {
        var now = time.GetUtcNow();
        Add("ip:" + clientAddress, now);
        Add(UserKey(clientAddress, user), now);
        if (_failures.Count > 100_000)
        {
            _failures.Clear(); // Bounded memory under a spray of random names: forget, don't fall over.
        }
    }

    private static string UserKey(string clientAddress, string user) => $"user:{user.ToLowerInvariant()} ip:{clientAddress}";

    private void Add(string key, DateTimeOffset now)
    {
        var queue = _failures.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            Trim(queue, now);
            queue.Enqueue(now);
        }
    }

    private TimeSpan? Blocked(string key, int maxFailures, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var queue))
        {
            return null;
        }

        lock (queue)
        {
            Trim(queue, now);
            return queue.Count >= maxFailures ? queue.Peek() + Window - now : null;
        }
    }

    private static void Trim(Queue<DateTimeOffset> queue, DateTimeOffset now)
    {
        while (queue.Count > 0 && queue.Peek() + Window <= now)
        {
            queue.Dequeue();
        }
    }
}
