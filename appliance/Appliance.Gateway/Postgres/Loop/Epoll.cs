using System.Runtime.InteropServices;

namespace Appliance.Gateway.Postgres.Loop;

/// <summary>
/// Linux epoll and eventfd (epoll(7), eventfd(2)). <c>struct epoll_event</c> is packed on x86-64
/// (12 bytes) and naturally aligned elsewhere (16 bytes), hence the two layouts.
/// </summary>
internal static partial class Epoll
{
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint Error = 0x008;
    public const uint HangUp = 0x010;

    private const int ControlAdd = 1;
    private const int ControlDelete = 2;
    private const int ControlModify = 3;
    private const int CloseOnExec = 0x80000;
    private const int EventFdNonBlocking = 0x800;
    private const int Interrupted = 4;

    private static readonly bool Packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    public static bool IsSupported => OperatingSystem.IsLinux();

    public static int Create() => Check(Native.epoll_create1(CloseOnExec), "epoll_create1");

    public static void Add(int epoll, int fd, uint events, ulong token) => Control(epoll, ControlAdd, fd, events, token);

    public static void Modify(int epoll, int fd, uint events, ulong token) => Control(epoll, ControlModify, fd, events, token);

    public static void Delete(int epoll, int fd) => Control(epoll, ControlDelete, fd, 0, 0);

    /// <summary>Waits for events; returns how many were written to <paramref name="events"/> (0 when interrupted).</summary>
    public static int Wait(int epoll, EpollEvent[] events)
    {
        int count;
        if (Packed)
        {
            var packed = PackedBuffer(events.Length);
            count = Native.epoll_wait(epoll, ref packed[0], packed.Length, -1);
            for (var i = 0; i < count; i++)
            {
                events[i] = new EpollEvent(packed[i].Events, packed[i].Data);
            }
        }
        else
        {
            var aligned = AlignedBuffer(events.Length);
            count = Native.epoll_wait(epoll, ref aligned[0], aligned.Length, -1);
            for (var i = 0; i < count; i++)
            {
                events[i] = new EpollEvent(aligned[i].Events, aligned[i].Data);
            }
        }

        if (count < 0)
        {
            return Marshal.GetLastPInvokeError() == Interrupted ? 0 : Check(count, "epoll_wait");
        }

        return count;
    }

    public static int CreateEventFd() => Check(Native.eventfd(0, EventFdNonBlocking | CloseOnExec), "eventfd");

    public static void Signal(int eventFd)
    {
        ulong one = 1;
        _ = Native.write(eventFd, ref one, 8);
    }

    public static void Drain(int eventFd)
    {
        _ = Native.read(eventFd, out _, 8);
    }

    public static void Close(int fd) => _ = Native.close(fd);

    private static void Control(int epoll, int operation, int fd, uint events, ulong token)
    {
        var result = Packed
            ? Native.epoll_ctl(epoll, operation, fd, new PackedEvent { Events = events, Data = token })
            : Native.epoll_ctl(epoll, operation, fd, new AlignedEvent { Events = events, Data = token });
        Check(result, "epoll_ctl");
    }

    private static int Check(int result, string call)
    {
        if (result < 0)
        {
            throw new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError(), $"{call} failed");
        }

        return result;
    }

    [ThreadStatic]
    private static PackedEvent[]? _packed;

    [ThreadStatic]
    private static AlignedEvent[]? _aligned;

    private static PackedEvent[] PackedBuffer(int length) => _packed is { } b && b.Length == length ? b : _packed = new PackedEvent[length];

    private static AlignedEvent[] AlignedBuffer(int length) => _aligned is { } b && b.Length == length ? b : _aligned = new AlignedEvent[length];

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct PackedEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct AlignedEvent
    {
        public uint Events;
        public ulong Data;
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int epoll_create1(int flags);

        [DllImport("libc", SetLastError = true, EntryPoint = "epoll_ctl")]
        public static extern int epoll_ctl(int epfd, int op, int fd, in PackedEvent ev);

        [DllImport("libc", SetLastError = true, EntryPoint = "epoll_ctl")]
        public static extern int epoll_ctl(int epfd, int op, int fd, in AlignedEvent ev);

        // The first element by reference: pinned and passed as a pointer, where an array parameter
        // goes through the array marshaller on every wait.
        [DllImport("libc", SetLastError = true, EntryPoint = "epoll_wait")]
        public static extern int epoll_wait(int epfd, ref PackedEvent events, int maxevents, int timeout);

        [DllImport("libc", SetLastError = true, EntryPoint = "epoll_wait")]
        public static extern int epoll_wait(int epfd, ref AlignedEvent events, int maxevents, int timeout);

        [DllImport("libc", SetLastError = true)]
        public static extern int eventfd(uint initval, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern nint write(int fd, ref ulong value, nint count);

        [DllImport("libc", SetLastError = true)]
        public static extern nint read(int fd, out ulong value, nint count);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}

/// <summary>One readiness report: which events, for which registration.</summary>
internal readonly record struct EpollEvent(uint Events, ulong Token);
