using System.Collections.Concurrent;

namespace Appliance.Gateway.Postgres.Loop;

/// <summary>Something registered with an <see cref="EventLoop"/>: told on the loop's thread when its sockets are ready.</summary>
internal interface ILoopHandler
{
    void OnEvents(int tag, uint events);
}

/// <summary>
/// One thread waiting on one epoll set for many sessions' sockets, as pgbouncer does: under load
/// a wake-up serves every socket that became ready, where a thread per socket needs a wake-up
/// (a context switch) per message. Registrations and their changes happen on the loop's own
/// thread; other threads hand it work with <see cref="Post"/>.
/// </summary>
internal sealed partial class EventLoop : IDisposable
{
    private const ulong WakeToken = ulong.MaxValue;
    private const int MaxEvents = 256;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly List<(ILoopHandler? Handler, int Tag)> _slots = [];
    private readonly Stack<int> _free = new();
    private readonly List<int> _freedThisRound = [];
    private volatile bool _stopping;

    public EventLoop(string name, int stackSize, ILogger logger)
    {
        _logger = logger;
        _epoll = Epoll.Create();
        _wake = Epoll.CreateEventFd();
        Epoll.Add(_epoll, _wake, Epoll.In, WakeToken);
        _thread = new Thread(Run, stackSize) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public bool OnLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Runs <paramref name="action"/> on the loop's thread, soon.</summary>
    public void Post(Action action)
    {
        _posted.Enqueue(action);
        Epoll.Signal(_wake);
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/>; returns the registration's slot. Loop thread only.</summary>
    public int Register(int fd, uint events, ILoopHandler handler, int tag)
    {
        var slot = _free.Count > 0 ? _free.Pop() : AddSlot();
        _slots[slot] = (handler, tag);
        Epoll.Add(_epoll, fd, events, (ulong)slot);
        return slot;
    }

    public void Update(int fd, int slot, uint events) => Epoll.Modify(_epoll, fd, events, (ulong)slot);

    /// <summary>Stops watching; the slot is reused only after the events already reported are handled.</summary>
    public void Unregister(int fd, int slot)
    {
        try
        {
            Epoll.Delete(_epoll, fd);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already closed: the kernel dropped it from the set.
        }

        _slots[slot] = default;
        _freedThisRound.Add(slot);
    }

    public void Dispose()
    {
        _stopping = true;
        Epoll.Signal(_wake);
        _thread.Join(TimeSpan.FromSeconds(5));
        Epoll.Close(_wake);
        Epoll.Close(_epoll);
    }

    private int AddSlot()
    {
        _slots.Add(default);
        return _slots.Count - 1;
    }

    private void Run()
    {
        var events = new EpollEvent[MaxEvents];
        while (!_stopping)
        {
            var count = Epoll.Wait(_epoll, events);
            for (var i = 0; i < count; i++)
            {
                var ready = events[i];
                if (ready.Token == WakeToken)
                {
                    Epoll.Drain(_wake);
                    continue;
                }

                var (handler, tag) = _slots[(int)ready.Token];
                try
                {
                    handler?.OnEvents(tag, ready.Events);
                }
                catch (Exception e)
                {
                    Log.LoopHandlerFailed(_logger, _thread.Name ?? "loop", e);
                }
            }

            while (_posted.TryDequeue(out var action))
            {
                Dispatch(action);
            }

            foreach (var slot in _freedThisRound)
            {
                _free.Push(slot);
            }

            _freedThisRound.Clear();
        }
    }

    private void Dispatch(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            // A handler's failure is its session's problem; the loop serves the others.
            Log.LoopHandlerFailed(_logger, _thread.Name ?? "loop", e);
        }
    }
}
