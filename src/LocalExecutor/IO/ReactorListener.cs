using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.IO.Native;

namespace ThreadPerCore.IO;

/// <summary>A listening socket driven by its executor's reactor: accepts are tried at once, and the caller waits for
/// the next read edge only when the kernel's queue is empty.</summary>
internal sealed unsafe class ReactorListener : ReactorSource
{
    private readonly LocalExecutor _executor;
    private readonly Reactor _reactor;
    private readonly IoOperation _readable;
    private bool _ready = true;
    private bool _closed;

    public ReactorListener(Socket socket, LocalExecutor executor, Reactor reactor)
    {
        Socket = socket;
        _executor = executor;
        _reactor = reactor;
        _readable = new IoOperation(executor, "accept");
        socket.Blocking = false;
        Descriptor = socket.Handle;
        reactor.Register(this);
    }

    public Socket Socket { get; }

    public override nint Descriptor { get; }

    public override ReadinessInterest Interest => ReadinessInterest.Read;

    public bool IsAccepting => _readable.IsBusy;

    /// <summary>Takes one pending connection: a non-blocking, close-on-exec descriptor, or the errno.</summary>
    public bool TryAccept(out nint descriptor, out int errno)
    {
        if (_closed)
        {
            descriptor = -1;
            errno = 0;
            return false;
        }

        if (!_ready)
        {
            descriptor = -1;
            errno = LinuxIo.EAGAIN;
            return false;
        }

        int fd = LinuxIo.Accept4(Descriptor, null, null, LinuxIo.SockNonblock | LinuxIo.SockCloexec);
        if (fd >= 0)
        {
            descriptor = fd;
            errno = 0;
            return true;
        }

        descriptor = -1;
        errno = Marshal.GetLastPInvokeError();
        if (errno == LinuxIo.EAGAIN)
        {
            _ready = false;
        }

        return false;
    }

    public ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        if (_closed)
        {
            return ValueTask.FromException(new ObjectDisposedException(nameof(LocalListener)));
        }

        return new ValueTask(_readable, _readable.Start(cancellationToken));
    }

    public override void OnReadiness(uint events)
    {
        _ready = true;
        if (_readable.IsWaiting && !_readable.CancelIfRequested())
        {
            _readable.Complete(0);
        }
    }

    public void Close(Exception error)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _reactor.Unregister(this);
        _readable.FailIfWaiting(error);
        Socket.Dispose();
    }

    public override void OnExecutorStopped() =>
        Close(new ObjectDisposedException(_executor.Name, $"The executor '{_executor.Name}' stopped; its listeners are closed."));
}
