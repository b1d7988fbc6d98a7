using System.Collections.Concurrent;

namespace Appliance.Chatops.Security;

/// <summary>
/// Keys seen within a time window, forgotten after it: replayed Slack signatures and
/// redelivered Socket Mode envelopes. Bounded so a flood cannot grow it without limit.
/// </summary>
internal sealed class RecentKeys(TimeProvider time, TimeSpan window, int capacity = 100_000)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    /// <summary>True the first time <paramref name="key"/> is offered within the window.</summary>
    public bool TryAdd(string key)
    {
        var now = time.GetUtcNow();
        if (_seen.Count >= capacity)
        {
            Prune(now);
        }

        if (_seen.TryAdd(key, now + window))
        {
            return true;
        }

        // Seen before: a replay, unless the earlier sighting has aged out.
        if (_seen.TryGetValue(key, out var until) && until <= now && _seen.TryUpdate(key, now + window, until))
        {
            return true;
        }

        return false;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, until) in _seen)
        {
            if (until <= now)
            {
                _seen.TryRemove(key, out _);
            }
        }

        // Still full of live keys: drop the oldest half rather than refuse everyone.
        if (_seen.Count >= capacity)
        {
            foreach (var (key, _) in _seen.OrderBy(kv => kv.Value).Take(capacity / 2))
            {
                _seen.TryRemove(key, out _);
            }
        }
    }
}
