using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using ThreadPerCore.IO;

namespace ThreadPerCore.AspNetCore;

/// <summary>
/// One Kestrel endpoint on every executor of the pool: a <see cref="LocalListener"/> per executor on the same address
/// (<c>SO_REUSEPORT</c>, so the kernel spreads connections over the cores), each with an accept loop on its executor
/// that wraps what it accepts as a <see cref="LocalExecutorConnection"/> of that core and hands it to Kestrel's single
/// accept loop through a channel.
/// </summary>
/// <remarks>Where the system cannot share a port (no <c>SO_REUSEPORT</c>), only the first executor listens, so every
/// connection runs on it.</remarks>
internal sealed partial class LocalExecutorConnectionListener : IConnectionListener
{
    private readonly Channel<LocalExecutorConnection> _accepted =
        Channel.CreateUnbounded<LocalExecutorConnection>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly List<(LocalListener Listener, Task Loop)> _cores = [];
    private readonly LocalExecutorTransportOptions _options;
    private readonly ILogger _logger;
    private Task? _unbind;
    private int _warnedNotOnCore;

    private LocalExecutorConnectionListener(EndPoint endPoint, LocalExecutorTransportOptions options, ILogger logger)
    {
        EndPoint = endPoint;
        _options = options;
        _logger = logger;
        ProcessOnCore = options.ProcessConnectionsOnCore;
    }

    /// <inheritdoc />
    public EndPoint EndPoint { get; private set; }

    /// <summary>See <see cref="LocalExecutorTransportOptions.ProcessConnectionsOnCore"/>.</summary>
    public bool ProcessOnCore { get; }

    /// <summary>Binds <paramref name="endPoint"/> on every executor (all or nothing) and starts their accept loops.</summary>
    /// <exception cref="AddressInUseException">The address is taken by another process.</exception>
    public static async Task<LocalExecutorConnectionListener> BindAsync(IReadOnlyList<LocalExecutor> executors, IPEndPoint endPoint, LocalExecutorTransportOptions options, ILogger logger)
    {
        var listener = new LocalExecutorConnectionListener(endPoint, options, logger);
        var listenerOptions = new LocalListenerOptions
        {
            Transport = options.SocketTransport,
            Backlog = options.Backlog,
            NoDelay = options.NoDelay,
            ReusePort = true,
        };
        bool perCore = OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD() || OperatingSystem.IsMacOS();
        var bound = new List<LocalListener>(executors.Count);
        try
        {
            if (perCore)
            {
                ThrowIfPortTaken(endPoint);
            }

            EndPoint target = endPoint;
            for (int core = 0; core < (perCore ? executors.Count : 1); core++)
            {
                EndPoint address = target;
                LocalListener local = await executors[core].Spawn(() => LocalListener.Bind(address, listenerOptions));
                bound.Add(local);
                target = local.LocalEndPoint; // later cores bind the port the first one got (port 0)
            }
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            Close(bound);
            throw new AddressInUseException(exception.Message, exception);
        }
        catch
        {
            Close(bound);
            throw;
        }

        listener.EndPoint = bound[0].LocalEndPoint;
        ConnectionPipeOptions pipeOptions = options.CreatePipeOptions();
        for (int core = 0; core < bound.Count; core++)
        {
            LocalListener local = bound[core];
            int index = core;
            Task loop = executors[core].Spawn(() => listener.AcceptLoopAsync(local, index, pipeOptions)).AsTask();
            listener._cores.Add((local, loop));
        }

        return listener;
    }

    /// <inheritdoc />
    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_accepted.Reader.TryRead(out LocalExecutorConnection? connection))
            {
                return connection;
            }
        }

        return null; // unbound
    }

    /// <inheritdoc />
    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        lock (_cores)
        {
            _unbind ??= UnbindCoreAsync();
        }

        return new ValueTask(_unbind.WaitAsync(cancellationToken));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);

        // Connections accepted but never taken by Kestrel: nobody else will close them.
        while (_accepted.Reader.TryRead(out LocalExecutorConnection? connection))
        {
            connection.Abort(new ConnectionAbortedException("The listener was disposed before the connection was dispatched."));
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A connection's Kestrel pipeline ended: warn once when its processing never came to the core, which means
    /// the hop middleware is missing from the endpoint (see <see cref="ListenOptionsLocalExecutorExtensions"/>).</summary>
    internal void OnConnectionDisposed(LocalExecutorConnection connection)
    {
        if (ProcessOnCore && !connection.RanOnCore && Interlocked.Exchange(ref _warnedNotOnCore, 1) == 0)
        {
            LogNotOnCore(_logger, EndPoint);
        }
    }

    /// <summary>
    /// <c>SO_REUSEPORT</c> lets any process of the same user bind a port that is already listened on, and then the kernel
    /// quietly splits connections between the two servers. A second instance of an app must fail as it does on Kestrel's
    /// Sockets transport: a socket without the option cannot bind a port someone listens on, so try one first.
    /// </summary>
    private static void ThrowIfPortTaken(IPEndPoint endPoint)
    {
        if (endPoint.Port == 0)
        {
            return; // the system picks a free port
        }

        using var probe = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);

        // SO_REUSEADDR alone, so connections in TIME_WAIT do not count (SocketOptionName.ReuseAddress would also set
        // SO_REUSEPORT on Linux, and the probe would share the port like the listeners do).
        const int SolSocket = 1;
        const int SoReuseAddr = 2;
        if (OperatingSystem.IsLinux())
        {
            probe.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        }

        probe.Bind(endPoint); // throws AddressAlreadyInUse when another socket listens there
    }

    private static void Close(List<LocalListener> listeners)
    {
        foreach (LocalListener listener in listeners)
        {
            listener.Dispose();
        }
    }

    private async Task UnbindCoreAsync()
    {
        foreach ((LocalListener listener, _) in _cores)
        {
            listener.Dispose(); // ends its accept loop on its executor
        }

        foreach ((_, Task loop) in _cores)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The executor stopped first and cancelled the loop's task: the listener is closed either way.
            }
        }

        _accepted.Writer.TryComplete();
    }

    private async Task AcceptLoopAsync(LocalListener listener, int core, ConnectionPipeOptions pipeOptions)
    {
        while (true)
        {
            LocalConnection accepted;
            try
            {
                accepted = await listener.AcceptAsync();
            }
            catch (ObjectDisposedException)
            {
                return; // unbound, or the executor is stopping
            }
            catch (SocketException exception)
            {
                // One connection failed while queued (reset, resource limit): the endpoint keeps listening.
                LogAcceptFailed(_logger, exception, EndPoint);
                continue;
            }
            catch (Exception exception)
            {
                // Not a failure of one connection: this core stops accepting (the others go on), and says so.
                LogAcceptLoopEnded(_logger, exception, EndPoint, core);
                return;
            }

            LocalExecutorConnection connection;
            try
            {
                connection = new LocalExecutorConnection(accepted, core, pipeOptions, this);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Reset before we could read its endpoints.
                accepted.Abort();
                LogAcceptFailed(_logger, exception, EndPoint);
                continue;
            }

            if (!_accepted.Writer.TryWrite(connection))
            {
                accepted.Abort(); // unbound meanwhile
                return;
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "A connection on {EndPoint} was processed on the thread pool, not on its core: the LocalExecutor hop is missing from this endpoint's connection pipeline (ConfigureEndpointDefaults was probably replaced after UseLocalExecutorTransport). Call listenOptions.UseLocalExecutorCores() first in the endpoint's configuration.")]
    private static partial void LogNotOnCore(ILogger logger, EndPoint endPoint);

    [LoggerMessage(3, LogLevel.Error, "Core {Core} stopped accepting connections on {EndPoint}; the other cores keep listening.")]
    private static partial void LogAcceptLoopEnded(ILogger logger, Exception exception, EndPoint endPoint, int core);

    [LoggerMessage(2, LogLevel.Debug, "Accepting a connection on {EndPoint} failed; the endpoint keeps listening.")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception, EndPoint endPoint);
}
