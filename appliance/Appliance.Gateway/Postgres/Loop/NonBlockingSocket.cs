using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Appliance.Gateway.Postgres.Loop;

/// <summary>
/// recv(2) and send(2) on a loop's non-blocking sockets, straight to libc: Socket.Receive and
/// Socket.Send check the blocking mode, translate errors and go through a native shim on every
/// call, and an event loop makes four of them per relayed statement. The socket's handle is
/// referenced for the call, as Socket does, so a descriptor closed meanwhile by another thread
/// is never read from after its number is reused.
/// </summary>
internal static class NonBlockingSocket
{
    private const int DontWait = 0x40;
    private const int NoSignal = 0x4000;
    private const int Interrupted = 4;
    private const int TryAgain = 11;

    /// <summary>Bytes received, 0 at end of stream, -1 when nothing is there yet.</summary>
    /// <exception cref="SocketException">The connection failed.</exception>
    public static int Receive(Socket socket, Span<byte> buffer) =>
        Call(socket, ref MemoryMarshal.GetReference(buffer), buffer.Length, receive: true);

    /// <summary>Bytes the socket took, -1 when it takes none now.</summary>
    /// <exception cref="SocketException">The connection failed.</exception>
    public static int Send(Socket socket, ReadOnlySpan<byte> buffer) =>
        Call(socket, ref MemoryMarshal.GetReference(buffer), buffer.Length, receive: false);

    private static int Call(Socket socket, ref byte buffer, int length, bool receive)
    {
        var handle = socket.SafeHandle;
        var referenced = false;
        try
        {
            handle.DangerousAddRef(ref referenced);
            var fd = (int)handle.DangerousGetHandle();
            while (true)
            {
                var result = receive
                    ? Native.recv(fd, ref buffer, length, DontWait)
                    : Native.send(fd, ref buffer, length, DontWait | NoSignal);
                if (result >= 0)
                {
                    return (int)result;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == TryAgain)
                {
                    return -1;
                }

                if (errno != Interrupted)
                {
                    throw new SocketException(ToSocketError(errno));
                }
            }
        }
        finally
        {
            if (referenced)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The errno values a connected stream socket reports, as <see cref="SocketError"/> numbers.</summary>
    private static int ToSocketError(int errno) => errno switch
    {
        104 => (int)SocketError.ConnectionReset,
        32 => (int)SocketError.Shutdown,
        110 => (int)SocketError.TimedOut,
        107 => (int)SocketError.NotConnected,
        103 => (int)SocketError.ConnectionAborted,
        _ => (int)SocketError.SocketError,
    };

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern nint recv(int fd, ref byte buffer, nint length, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern nint send(int fd, ref byte buffer, nint length, int flags);
    }
}
