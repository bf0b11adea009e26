using System;
using System.Buffers;
using System.Diagnostics;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.IO;

/// <summary>
/// A TCP connection that belongs to one executor: its receives and sends complete on the executor's thread. On an
/// executor with a reactor (<see cref="LocalExecutor.HasReactor"/>) the socket is driven by it: each operation tries
/// the system call at once and waits only when the kernel would block, readiness resumes the waiting code on the
/// core without any other thread, and a warm connection allocates nothing per operation. Elsewhere (or with
/// <see cref="SocketTransport.DotNetSockets"/>) the same API runs on .NET's asynchronous sockets.
/// </summary>
/// <remarks>
/// <para>Operations must be started on the executor's thread; one receive and one send may be in flight at a time.
/// Use it directly (<see cref="ReceiveAsync"/>, <see cref="SendAsync"/>), as a pipe (<see cref="Pipe"/>), or as a
/// <see cref="Stream"/> (<see cref="GetStream"/>); the pipe, once taken, owns the socket's reads and writes.</para>
/// <para>Dispose it when done: the executor closes connections still open when it stops, failing their pending
/// operations with <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class LocalConnection : IAsyncDisposable, IDisposable
{
    private static readonly Action<object?> s_closeOnOwner = static self => ((LocalConnection)self!).CloseOnOwner(abort: false);
    private static readonly Action<object?> s_abortOnOwner = static self => ((LocalConnection)self!).CloseOnOwner(abort: true);

    private readonly ReactorSocket? _driven;
    private ConnectionPipe? _pipe;
    private CancellationTokenSource? _ended;
    private int _closed;
    private int _closing;
    private int _endSignalled;
    private bool _executorStopped;

    /// <exception cref="ObjectDisposedException">The executor is stopping; it opens no new socket (the caller closes
    /// <paramref name="socket"/>).</exception>
    internal LocalConnection(LocalExecutor executor, Socket socket, Reactor? reactor)
    {
        Executor = executor;
        Socket = socket;
        if (reactor is not null)
        {
            _driven = new ReactorSocket(socket, executor, reactor); // registers with the reactor
        }
        else
        {
            executor.DotNetSockets.Add(this);
        }
    }

    /// <summary>The executor whose thread runs this connection's operations.</summary>
    public LocalExecutor Executor { get; }

    /// <summary>The underlying socket, for its options and endpoints. Do not receive or send through it directly.</summary>
    public Socket Socket { get; }

    /// <summary>True when the executor's reactor drives the socket; false on .NET's asynchronous sockets.</summary>
    public bool IsReactorDriven => _driven is not null;

    /// <summary>The local endpoint.</summary>
    public EndPoint? LocalEndPoint => Socket.LocalEndPoint;

    /// <summary>The peer's endpoint.</summary>
    public EndPoint? RemoteEndPoint => Socket.RemoteEndPoint;

    /// <summary>The pool the connection's pipes take their buffers from (<see cref="ConnectionPipeOptions.Pool"/> when
    /// the pipe was created with one; else the executor's own pool of 4 KiB blocks on the reactor, or
    /// <see cref="MemoryPool{T}.Shared"/>). Code that writes into the pipes, such as a protocol layer renting its own
    /// scratch buffers, can rent from it to share the core's blocks; renting off the core allocates a fresh block.</summary>
    public MemoryPool<byte> MemoryPool => _pipe?.Pool ?? ConnectionPipe.DefaultPool(this);

    /// <summary>
    /// Fires when the connection ends: the peer finished sending or reset it (the pipe's receive side saw it), sending
    /// failed, or it was closed or aborted here. With a <see cref="Pipe"/>, callbacks run on the executor's thread when
    /// the end is seen there (a close from another thread is handed to the executor first). This is what a server
    /// watches to abandon a request whose client went away (Kestrel's <c>ConnectionClosed</c>).
    /// </summary>
    public CancellationToken Ended
    {
        get
        {
            if (Volatile.Read(ref _endSignalled) != 0)
            {
                return new CancellationToken(canceled: true);
            }

            CancellationTokenSource? source = Volatile.Read(ref _ended);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _ended, created, null) ?? created;
                if (source != created)
                {
                    created.Dispose();
                }
                else if (Volatile.Read(ref _endSignalled) != 0)
                {
                    source.Cancel(); // the end was signalled between the check and the publication
                }
            }

            return source.Token;
        }
    }

    /// <summary>
    /// The connection as a pair of pipes whose reader and writer continuations run on the executor (the shape Kestrel
    /// and most .NET protocol code consume). Taking it starts two loops on the executor that move bytes between the
    /// socket and the pipes; from then on the pipe owns the socket's reads and writes. Completing
    /// <see cref="IDuplexPipe.Output"/> sends what is buffered and then shuts down the sending side.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not called on the executor's thread, or a direct operation is in flight.</exception>
    public IDuplexPipe Pipe => _pipe ??= CreatePipe(null);

    /// <summary>Takes the connection as pipes (see <see cref="Pipe"/>) with the given pipe options (buffer limits,
    /// memory pool); the schedulers are always the executor's.</summary>
    public IDuplexPipe GetPipe(ConnectionPipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_pipe is not null)
        {
            throw new InvalidOperationException("The connection's pipe was already created.");
        }

        return _pipe = CreatePipe(options);
    }

    /// <summary>A <see cref="Stream"/> over this connection (asynchronous reads and writes only: a blocking read would
    /// stall the core). Disposing the stream disposes the connection when <paramref name="ownsConnection"/>.</summary>
    public Stream GetStream(bool ownsConnection = true) => new LocalConnectionStream(this, ownsConnection);

    /// <summary>Connects to <paramref name="remoteEndPoint"/> from the current executor's thread.</summary>
    /// <exception cref="InvalidOperationException">Not called on an executor thread.</exception>
    /// <exception cref="SocketException">The connection was refused or failed; the error is the system's.</exception>
    public static async ValueTask<LocalConnection> ConnectAsync(EndPoint remoteEndPoint, LocalSocketOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        options ??= new LocalSocketOptions();
        LocalExecutor executor = TransportChoice.RequireExecutor("LocalConnection.ConnectAsync");
        Reactor? reactor = TransportChoice.Resolve(executor, options.Transport);

        EndPoint target = remoteEndPoint;
        if (remoteEndPoint is DnsEndPoint dns)
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(dns.Host, cancellationToken);
            if (addresses.Length == 0)
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }

            target = new IPEndPoint(addresses[0], dns.Port);
        }

        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (target.AddressFamily != AddressFamily.Unix)
            {
                socket.NoDelay = options.NoDelay;
            }

            if (reactor is null)
            {
                await socket.ConnectAsync(target, cancellationToken);
                try
                {
                    return new LocalConnection(executor, socket, null);
                }
                catch
                {
                    socket.Dispose(); // connected, so the filter below would not close it
                    throw;
                }
            }

            socket.Blocking = false;
            bool connected;
            try
            {
                socket.Connect(target);
                connected = true;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                connected = false;
            }

            var connection = new LocalConnection(executor, socket, reactor);
            if (!connected)
            {
                try
                {
                    await connection._driven!.WaitConnectedAsync(cancellationToken);
                }
                catch
                {
                    connection.CloseOnOwner(abort: true);
                    throw;
                }
            }

            return connection;
        }
        catch when (!socket.Connected)
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Receives into <paramref name="buffer"/>: what is there now, or, when nothing is, the next data to arrive.
    /// Returns the number of bytes received; 0 means the peer finished sending (or, for an empty buffer, that data is
    /// ready to be read).
    /// </summary>
    /// <exception cref="InvalidOperationException">Not on the executor's thread, another receive is in flight, or the
    /// pipe owns the connection.</exception>
    /// <exception cref="ObjectDisposedException">The connection (or its executor) was closed.</exception>
    /// <exception cref="SocketException">The socket failed (for example <see cref="SocketError.ConnectionReset"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before data arrived.</exception>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        VerifyDirectUse();
        return ReceiveCoreAsync(buffer, cancellationToken);
    }

    /// <summary>Sends all of <paramref name="buffer"/>; completes when the kernel took the last byte.</summary>
    /// <exception cref="InvalidOperationException">Not on the executor's thread, another send is in flight, or the pipe
    /// owns the connection.</exception>
    /// <exception cref="ObjectDisposedException">The connection (or its executor) was closed.</exception>
    /// <exception cref="SocketException">The socket failed; a peer that went away gives <see cref="SocketError.ConnectionReset"/>
    /// or <see cref="SocketError.Shutdown"/> (a broken pipe), never a signal.</exception>
    /// <remarks>A send cancelled by <paramref name="cancellationToken"/> may have sent part of the buffer: close the
    /// connection after it.</remarks>
    public ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        VerifyDirectUse();
        return SendCoreAsync(buffer, cancellationToken);
    }

    /// <summary>Shuts down the sending side: the peer reads the end of the stream once the data sent so far has arrived.
    /// Receiving goes on.</summary>
    public void ShutdownSend()
    {
        VerifyOwner();
        if (_driven is { IsSending: true })
        {
            throw new InvalidOperationException("A send is in flight; await it before shutting down the sending side.");
        }

        Socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Closes the connection at once with a reset (no graceful end of stream, unsent pipe data dropped);
    /// pending operations end with <see cref="ObjectDisposedException"/>. Any thread.</summary>
    public void Abort() => Close(abort: true);

    /// <summary>
    /// Closes the connection gracefully; data already sent is still delivered. With a <see cref="Pipe"/>, what the
    /// application wrote is sent to the end first (input stops at once), then the socket closes: a peer that never
    /// reads keeps it open, so bound it with <see cref="Abort"/>. Pending direct operations end with
    /// <see cref="ObjectDisposedException"/>. Any thread: from another thread the close is handed to the executor.
    /// </summary>
    public void Dispose() => Close(abort: false);

    /// <summary>Closes as <see cref="Dispose"/> does and completes once the socket is closed (with a pipe: once its
    /// output was sent).</summary>
    public async ValueTask DisposeAsync()
    {
        Dispose();
        if (_pipe is { } pipe)
        {
            await pipe.Sent.ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"LocalConnection {LocalEndPointText()} <-> {RemoteEndPointText()} on {Executor.Name} ({(IsReactorDriven ? "reactor" : ".NET sockets")})";

    internal bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Receive system calls the reactor-driven socket made (0 on .NET sockets); owner thread. With
    /// <see cref="ReceiveWaits"/>, what shows that a receive tries the call first and waits only on <c>EAGAIN</c>.</summary>
    internal long ReceiveCalls => _driven?.ReceiveCalls ?? 0;

    /// <summary>Receives (and waits for data) that suspended until the next read edge (0 on .NET sockets); owner thread.</summary>
    internal long ReceiveWaits => _driven?.ReceiveWaits ?? 0;

    /// <summary>Fires <see cref="Ended"/> once (the pipe's loops and the close call it).</summary>
    internal void SignalEnded()
    {
        if (Interlocked.Exchange(ref _endSignalled, 1) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _ended) is { } source)
        {
            try
            {
                source.Cancel();
            }
            catch (AggregateException exception)
            {
                Executor.ReportUnhandled(exception); // a callback threw: the connection still ends
            }
        }
    }

    internal ValueTask<int> ReceiveCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        VerifyOwner();
        if (IsClosed)
        {
            return ValueTask.FromException<int>(Disposed());
        }

        return _driven is { } driven
            ? driven.ReceiveAsync(buffer, cancellationToken)
            : ReceiveOnDotNetAsync(buffer, cancellationToken);
    }

    /// <summary>Waits until data (or the end of the stream) can be read, holding no buffer meanwhile: on the reactor by
    /// readiness alone; on .NET sockets by a zero-byte receive.</summary>
    internal ValueTask WaitForDataAsync(CancellationToken cancellationToken = default)
    {
        VerifyOwner();
        if (IsClosed)
        {
            return ValueTask.FromException(Disposed());
        }

        if (_driven is { } driven)
        {
            return driven.WaitReadableAsync(cancellationToken);
        }

        ValueTask<int> zeroByte = ReceiveOnDotNetAsync(Memory<byte>.Empty, cancellationToken);
        return zeroByte.IsCompletedSuccessfully ? default : AwaitZeroByte(zeroByte);

        static async ValueTask AwaitZeroByte(ValueTask<int> receive) => await receive.ConfigureAwait(true);
    }

    internal ValueTask SendCoreAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        VerifyOwner();
        if (IsClosed)
        {
            return ValueTask.FromException(Disposed());
        }

        return _driven is { } driven ? driven.SendAsync(buffer, cancellationToken) : SendAllOnDotNetAsync(buffer, cancellationToken);
    }

    /// <summary>A receive on .NET's sockets; one that the close of this connection aborts ends with
    /// <see cref="ObjectDisposedException"/>, as on the reactor, not with the runtime's <c>OperationAborted</c>.</summary>
    private ValueTask<int> ReceiveOnDotNetAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ValueTask<int> receive = Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        return receive.IsCompletedSuccessfully ? receive : AwaitReceive(receive);

        async ValueTask<int> AwaitReceive(ValueTask<int> pending)
        {
            try
            {
                return await pending;
            }
            catch (SocketException) when (IsClosed)
            {
                throw Disposed();
            }
        }
    }

    private async ValueTask SendAllOnDotNetAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                int sent = await Socket.SendAsync(buffer, SocketFlags.None, cancellationToken);
                buffer = buffer[sent..];
            }
        }
        catch (SocketException) when (IsClosed)
        {
            throw Disposed(); // aborted by the close of this connection, as on the reactor
        }
    }

    private void Close(bool abort)
    {
        if (Executor.IsOwnerThread || _driven is null)
        {
            CloseOnOwner(abort);
            return;
        }

        if (IsClosed || (!abort && Volatile.Read(ref _closing) != 0))
        {
            return;
        }

        try
        {
            Executor.EnqueueForeign(new WorkItem(WorkKind.Control, abort ? s_abortOnOwner : s_closeOnOwner, this));
        }
        catch (ObjectDisposedException)
        {
            // The executor stopped: it closed its sockets as it did.
        }
    }

    private void CloseOnOwner(bool abort)
    {
        if (_pipe is { } pipe && !abort && !IsClosed)
        {
            if (Interlocked.Exchange(ref _closing, 1) == 0)
            {
                pipe.CloseWhenSent(() => CloseSocket(abort: false));
            }

            return;
        }

        CloseSocket(abort);
    }

    /// <summary>The executor stops (.NET sockets only; the reactor closes its own): the socket closes, pending
    /// operations fail with <see cref="ObjectDisposedException"/> saying so. Any thread.</summary>
    internal void CloseForExecutorStop()
    {
        _executorStopped = true;
        CloseSocket(abort: false);
    }

    private void CloseSocket(bool abort)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _pipe?.OnConnectionClosing();
        SignalEnded();
        if (_driven is { } driven)
        {
            driven.Close(Disposed(), abort);
        }
        else
        {
            if (abort)
            {
                try
                {
                    Socket.LingerState = new LingerOption(true, 0);
                }
                catch (SocketException)
                {
                    // Already reset by the peer.
                }
            }

            Socket.Dispose();
            Executor.DotNetSockets.Remove(this);
        }
    }

    private ConnectionPipe CreatePipe(ConnectionPipeOptions? options)
    {
        VerifyOwner();
        if (_driven is { IsReceiving: true } or { IsSending: true })
        {
            throw new InvalidOperationException("A receive or send is in flight; the pipe can only take over an idle connection.");
        }

        return new ConnectionPipe(this, options ?? ConnectionPipeOptions.Default);
    }

    private void VerifyDirectUse()
    {
        if (_pipe is not null)
        {
            throw new InvalidOperationException("The connection's pipe owns its reads and writes; use Pipe.Input and Pipe.Output.");
        }
    }

    private void VerifyOwner()
    {
        if (!Executor.IsOwnerThread)
        {
            ThrowHelper.ThrowWrongThread(Executor);
        }
    }

    private ObjectDisposedException Disposed() => _executorStopped
        ? new(Executor.Name, $"The executor '{Executor.Name}' stopped; its sockets are closed.")
        : new(nameof(LocalConnection), $"The connection {RemoteEndPointText()} on executor '{Executor.Name}' was closed.");

    private string LocalEndPointText()
    {
        try
        {
            return Socket.LocalEndPoint?.ToString() ?? "?";
        }
        catch (ObjectDisposedException)
        {
            return "closed";
        }
    }

    private string RemoteEndPointText()
    {
        try
        {
            return Socket.RemoteEndPoint?.ToString() ?? "?";
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            return "closed";
        }
    }
}
