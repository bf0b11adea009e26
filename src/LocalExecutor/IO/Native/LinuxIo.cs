using System.Runtime.InteropServices;

namespace ThreadPerCore.IO.Native;

/// <summary>The Linux system calls the reactor makes itself: epoll, eventfd, and non-blocking accept. Everything else
/// about sockets goes through <see cref="System.Net.Sockets.Socket"/>, which calls the kernel directly for a
/// non-blocking socket and never involves the runtime's own epoll engine.</summary>
internal static unsafe partial class LinuxIo
{
    private const string LibC = "libc";

    public const int EpollCloexec = 0x80000;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 1u << 31;

    public const int EfdCloexec = 0x80000;
    public const int EfdNonblock = 0x800;

    public const int SockNonblock = 0x800;
    public const int SockCloexec = 0x80000;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOBUFS = 105;
    public const int ENOMEM = 12;
    public const int ECONNABORTED = 103;

    /// <summary><c>struct epoll_event</c> is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes):
    /// the reactor reads events through these offsets rather than a managed struct.</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Offset of <c>epoll_event.data</c>.</summary>
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(LibC, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    /// <summary><c>epoll_ctl</c> with the event built in place (<paramref name="eventBuffer"/> has
    /// <see cref="EpollEventSize"/> bytes).</summary>
    [LibraryImport(LibC, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, byte* eventBuffer);

    [LibraryImport(LibC, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(LibC, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);

    [LibraryImport(LibC, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(LibC, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary><c>accept4</c>: takes a pending connection without the peer address (the socket wrapper asks for it
    /// when needed), non-blocking and close-on-exec from birth.</summary>
    [LibraryImport(LibC, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(nint fd, void* address, void* addressLength, int flags);

    /// <summary>Writes an <c>epoll_event</c> into <paramref name="buffer"/>.</summary>
    public static void WriteEvent(byte* buffer, uint events, ulong data)
    {
        *(uint*)buffer = events;
        *(ulong*)(buffer + EpollDataOffset) = data; // unaligned on x86-64, which is fine there
    }

    public static uint ReadEvents(byte* events, int index) => *(uint*)(events + (index * EpollEventSize));

    public static ulong ReadData(byte* events, int index) => *(ulong*)(events + (index * EpollEventSize) + EpollDataOffset);
}
