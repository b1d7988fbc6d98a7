using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Appliance.Gateway.Postgres.Loop;

/// <summary>
/// Whether the peer has shut its side of a socket (poll(2)'s POLLRDHUP, Linux), even with bytes
/// still unread before the end: a client that sent Terminate and closed while its statement was
/// held left those bytes, and looked still there (probe AT2).
/// </summary>
internal static class PeerHangUp
{
    private const short ReadHangUp = 0x2000;
    private const short HangUp = 0x010;

    public static bool HasHungUp(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var fd = new PollFd { Fd = (int)socket.Handle, Events = ReadHangUp };
        return poll(ref fd, 1, 0) == 1 && (fd.Revents & (ReadHangUp | HangUp)) != 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int poll(ref PollFd fds, nuint nfds, int timeout);
}
