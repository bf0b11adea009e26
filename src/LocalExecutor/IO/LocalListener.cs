using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.IO.Native;

namespace ThreadPerCore.IO;

/// <summary>
/// A TCP listener that belongs to one executor: its accepts complete on the executor's thread, and the connections
/// it accepts belong to the same executor. With <see cref="LocalListenerOptions.ReusePort"/> (the default) several
/// executors bind the same address and the kernel spreads connections over them: one listener per core.
/// </summary>
/// <remarks>When the system runs out of descriptors (<c>EMFILE</c>/<c>ENFILE</c>), accepting backs off on a timer of
/// the executor (10 ms, doubling to 1 s) and retries; the listener stays open and the loop keeps serving the
/// connections it has (<see cref="DescriptorExhaustions"/> counts such episodes).</remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class LocalListener : IDisposable
{
    /// <summary>The first wait before retrying an accept that failed (descriptors exhausted, or any error in a server's loop).</summary>
    internal static TimeSpan FirstRetryDelay => TimeSpan.FromMilliseconds(10);

    /// <summary>The longest wait between retries: the wait doubles from <see cref="FirstRetryDelay"/> up to this.</summary>
    internal static TimeSpan LastRetryDelay => TimeSpan.FromSeconds(1);

    /// <summary>The wait after <paramref name="previous"/>: twice as long, at most <see cref="LastRetryDelay"/>.</summary>
    internal static TimeSpan NextRetryDelay(TimeSpan previous) => previous * 2 < LastRetryDelay ? previous * 2 : LastRetryDelay;

    private static readonly Action<object?> s_closeOnOwner = static self => ((LocalListener)self!).CloseOnOwner();

    private readonly ReactorListener? _driven;
    private readonly LocalListenerOptions _options;
    private readonly bool _ownsSocket;
    private int _closed;
    private bool _accepting;
    private long _exhaustions;

    private LocalListener(LocalExecutor executor, Socket socket, Reactor? reactor, LocalListenerOptions options, bool ownsSocket)
    {
        Executor = executor;
        Socket = socket;
        _options = options;
        _ownsSocket = ownsSocket;
        LocalEndPoint = socket.LocalEndPoint!;
        if (reactor is not null)
        {
            _driven = new ReactorListener(socket, executor, reactor); // registers with the reactor
        }
        else
        {
            executor.DotNetSockets.Add(this);
        }
    }

    /// <summary>The executor whose thread accepts and runs the accepted connections.</summary>
    public LocalExecutor Executor { get; }

    /// <summary>The listening socket, for its options. Do not accept through it directly.</summary>
    public Socket Socket { get; }

    /// <summary>The address it listens on (with the port the system chose when bound to port 0).</summary>
    public EndPoint LocalEndPoint { get; }

    /// <summary>True when the executor's reactor drives it; false on .NET's asynchronous sockets.</summary>
    public bool IsReactorDriven => _driven is not null;

    /// <summary>How many times accepting found the process or system out of descriptors and backed off.</summary>
    public long DescriptorExhaustions => Interlocked.Read(ref _exhaustions);

    /// <summary>Binds and listens on <paramref name="endPoint"/> for the current executor.</summary>
    /// <exception cref="InvalidOperationException">Not called on an executor thread.</exception>
    /// <exception cref="SocketException">The address is in use (without <see cref="LocalListenerOptions.ReusePort"/>) or not available.</exception>
    public static LocalListener Bind(EndPoint endPoint, LocalListenerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        options = options?.Clone() ?? new LocalListenerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Backlog, 1, "options.Backlog");
        LocalExecutor executor = TransportChoice.RequireExecutor("LocalListener.Bind");
        Reactor? reactor = TransportChoice.Resolve(executor, options.Transport);

        Socket socket = CreateListeningSocket(endPoint, options);
        try
        {
            return new LocalListener(executor, socket, reactor, options, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A listener on .NET sockets over a socket another listener owns, for systems without
    /// <c>SO_REUSEPORT</c>: each core accepts from the same queue.</summary>
    internal static LocalListener Share(LocalListener owner, LocalExecutor executor) =>
        new(executor, owner.Socket, null, owner._options, ownsSocket: false);

    internal static bool ReusePortSupported => OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD() || OperatingSystem.IsMacOS();

    /// <summary>Accepts the next connection (owner thread): one already waiting in the kernel's queue at once, else
    /// the next to arrive. The connection belongs to this executor.</summary>
    /// <exception cref="InvalidOperationException">Not on the executor's thread, or another accept is in flight.</exception>
    /// <exception cref="ObjectDisposedException">The listener (or its executor) was closed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public async ValueTask<LocalConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        Executor.VerifyAccess();
        if (_accepting)
        {
            IoErrors.ThrowConcurrent("accept");
        }

        _accepting = true;
        try
        {
            return _driven is null ? await AcceptOnDotNetAsync(cancellationToken) : await AcceptOnReactorAsync(_driven, cancellationToken);
        }
        finally
        {
            _accepting = false;
        }
    }

    /// <summary>Stops listening; a pending accept ends with <see cref="ObjectDisposedException"/>. Connections already
    /// accepted stay open. Any thread.</summary>
    public void Dispose()
    {
        if (Executor.IsOwnerThread || _driven is null)
        {
            CloseOnOwner();
            return;
        }

        try
        {
            Executor.EnqueueForeign(new WorkItem(WorkKind.Control, s_closeOnOwner, this));
        }
        catch (ObjectDisposedException)
        {
            // The executor stopped and closed its listeners.
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"LocalListener {LocalEndPoint} on {Executor.Name} ({(IsReactorDriven ? "reactor" : ".NET sockets")})";

    private async ValueTask<LocalConnection> AcceptOnReactorAsync(ReactorListener driven, CancellationToken cancellationToken)
    {
        TimeSpan backoff = FirstRetryDelay;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfClosed();
            if (driven.TryAccept(out nint descriptor, out int errno))
            {
                return Adopt(descriptor, Executor.Reactor!);
            }

            switch (errno)
            {
                case LinuxIo.EAGAIN:
                    await driven.WaitReadableAsync(cancellationToken);
                    break;
                case LinuxIo.EINTR or LinuxIo.ECONNABORTED:
                    break; // interrupted, or the peer gave up while queued: take the next one
                case LinuxIo.EMFILE or LinuxIo.ENFILE or LinuxIo.ENOBUFS or LinuxIo.ENOMEM:
                    // The connection stays queued in the kernel and no new edge will come for it: retry on a timer
                    // rather than wait for readiness (which would strand it) or retry at once (which would spin).
                    Interlocked.Increment(ref _exhaustions);
                    await Executor.Sleep(backoff, cancellationToken);
                    backoff = NextRetryDelay(backoff);
                    break;
                case 0:
                    ThrowIfClosed();
                    break;
                default:
                    throw IoErrors.FromErrno(errno);
            }
        }
    }

    private async ValueTask<LocalConnection> AcceptOnDotNetAsync(CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        Socket accepted;
        try
        {
            accepted = await Socket.AcceptAsync(cancellationToken);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException && Volatile.Read(ref _closed) != 0)
        {
            ThrowIfClosed(); // closed under the pending accept (by Dispose or the executor's stop), as on the reactor
            throw;
        }

        try
        {
            accepted.NoDelay = _options.NoDelay;
            return new LocalConnection(Executor, accepted, null);
        }
        catch
        {
            accepted.Dispose();
            throw;
        }
    }

    private LocalConnection Adopt(nint descriptor, Reactor reactor)
    {
        var socket = new Socket(new SafeSocketHandle(descriptor, ownsHandle: true));
        try
        {
            if (_options.NoDelay && socket.AddressFamily != AddressFamily.Unix)
            {
                socket.NoDelay = true;
            }

            return new LocalConnection(Executor, socket, reactor);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket CreateListeningSocket(EndPoint endPoint, LocalListenerOptions options)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily != AddressFamily.Unix)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                if (ReusePortSupported)
                {
                    // Set either way: on Unix .NET turns SO_REUSEPORT on along with SO_REUSEADDR, so a listener that
                    // asked for no port sharing would still let any socket of the same user bind its port.
                    SetReusePort(socket, options.ReusePort);
                }
            }

            socket.Bind(endPoint);
            socket.Listen(options.Backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void SetReusePort(Socket socket, bool enabled)
    {
        const int SolSocket = 1;
        const int SoReusePortLinux = 15;
        const int SoReusePortBsd = 0x200;
        int name = OperatingSystem.IsLinux() ? SoReusePortLinux : SoReusePortBsd;
        int level = OperatingSystem.IsLinux() ? SolSocket : 0xffff;
        socket.SetRawSocketOption(level, name, BitConverter.GetBytes(enabled ? 1 : 0));
    }

    private void CloseOnOwner()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (_driven is not null)
        {
            _driven.Close(new ObjectDisposedException(nameof(LocalListener), $"The listener on {LocalEndPoint} was closed."));
        }
        else
        {
            Executor.DotNetSockets.Remove(this);
            if (_ownsSocket)
            {
                Socket.Dispose();
            }
        }
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw new ObjectDisposedException(nameof(LocalListener), $"The listener on {LocalEndPoint} was closed.");
        }
    }
}
