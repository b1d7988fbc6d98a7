namespace Appliance.Gateway.Postgres.Loop;

/// <summary>
/// The event loops plaintext sessions run on: as many as <see cref="PostgresListenerOptions.EventLoops"/> says, started on first use, handed
/// out in turn. Off where epoll does not exist (not Linux) or when
/// <c>APPLIANCE_PG_EVENT_LOOP=0</c> (sessions then run on threads, as TLS sessions always do).
/// </summary>
internal sealed class EventLoops(PostgresListenerOptions options, ILogger<EventLoop> logger) : IDisposable
{
    private readonly Lock _lock = new();
    private EventLoop[]? _loops;
    private int _next;

    public bool Enabled => options.EventLoops > 0 && Epoll.IsSupported;

    public EventLoop Next()
    {
        var loops = _loops ?? Start();
        return loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)loops.Length)];
    }

    public void Dispose()
    {
        foreach (var loop in _loops ?? [])
        {
            loop.Dispose();
        }
    }

    private EventLoop[] Start()
    {
        lock (_lock)
        {
            return _loops ??= [.. Enumerable.Range(0, options.EventLoops).Select(i => new EventLoop($"pg-loop-{i}", options.ThreadStackSize, logger))];
        }
    }
}
