using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ThreadPerCore.AspNetCore.Tests.Support;

/// <summary>What the kernel holds of a TCP connection's data (Linux): bytes sent but not yet acknowledged by the peer,
/// and bytes received but not yet read. With both, a test can tell what a server holds in its own memory from what sits in
/// socket buffers.</summary>
internal static partial class SocketQueues
{
    private const nuint SiocOutq = 0x5411; // TIOCOUTQ: unacknowledged bytes in the send queue
    private const nuint SiocInq = 0x541B;  // FIONREAD: bytes ready to read

    /// <summary>Bytes in <paramref name="socket"/>'s send queue that the peer has not acknowledged.</summary>
    public static int Unacknowledged(Socket socket) => Query(socket, SiocOutq);

    /// <summary>Bytes received on <paramref name="socket"/> and not yet read.</summary>
    public static int Unread(Socket socket) => Query(socket, SiocInq);

    private static int Query(Socket socket, nuint request)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The socket queue sizes are read with Linux's ioctls.");
        }

        if (Ioctl(socket.SafeHandle, request, out int bytes) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        return bytes;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(SafeHandle fd, nuint request, out int value);
}
