using System;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using ThreadPerCore.IO.Native;

namespace ThreadPerCore.IO;

/// <summary>Exceptions of the I/O layer, built off the hot paths.</summary>
internal static class IoErrors
{
    /// <summary>The socket's own error, as <see cref="Socket"/> would report it.</summary>
    public static SocketException Socket(SocketError error) => new((int)error);

    /// <summary>An accept that failed with <paramref name="errno"/>.</summary>
    public static SocketException FromErrno(int errno) => errno switch
    {
        LinuxIo.EMFILE or LinuxIo.ENFILE => new SocketException((int)SocketError.TooManyOpenSockets),
        LinuxIo.ENOBUFS or LinuxIo.ENOMEM => new SocketException((int)SocketError.NoBufferSpaceAvailable),
        LinuxIo.ECONNABORTED => new SocketException((int)SocketError.ConnectionAborted),
        _ => new SocketException((int)SocketError.SocketError, System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)),
    };

    [DoesNotReturn]
    public static void ThrowConcurrent(string operation) =>
        throw new InvalidOperationException($"A {operation} is already in progress on this socket; await it before starting another.");

    /// <summary>A socket opened on an executor that stopped taking them (its reactor or its .NET socket set closed).</summary>
    [DoesNotReturn]
    public static void ThrowExecutorStopping(LocalExecutor executor) =>
        throw new ObjectDisposedException(executor.Name, $"The executor '{executor.Name}' is stopping; it opens no new socket.");

    [DoesNotReturn]
    public static void ThrowNotOnExecutor(string what) =>
        throw new InvalidOperationException($"{what} must be called on an executor thread (inside work running on a LocalExecutor).");
}
