using System.Collections.Concurrent;

namespace Appliance.Chatops.Slack.People;

/// <summary>A small cache whose entries expire after a fixed time (on the injected clock).</summary>
internal sealed class TtlCache<TValue>(TimeProvider time, TimeSpan ttl)
{
    private readonly ConcurrentDictionary<string, (TValue Value, DateTimeOffset Until)> _entries = new(StringComparer.Ordinal);

    public bool TryGet(string key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Until > time.GetUtcNow())
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    public void Set(string key, TValue value)
    {
        // Bounded: the workspace's people, not an attacker's list; clearing is rare and cheap.
        if (_entries.Count > 10_000)
        {
            _entries.Clear();
        }

        _entries[key] = (value, time.GetUtcNow() + ttl);
    }
}
