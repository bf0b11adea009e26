using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.IO;

/// <summary>
/// A TCP server on a set of executors: one listener and one accept loop per executor (<c>SO_REUSEPORT</c>, so the
/// kernel spreads connections over the cores), and each connection served from start to end on the executor that
/// accepted it, by the handler you give. The shared-nothing shape of Seastar and Glommio servers: a connection's
/// code never leaves its core, and data the core owns needs no lock.
/// </summary>
/// <remarks>
/// <para>The handler gets the connection and a token that fires when the server begins to stop; when the handler
/// returns, the server disposes the connection. An exception from a handler is reported to the executor's
/// <see cref="LocalExecutor.UnhandledException"/>.</para>
/// <para><see cref="StopAsync(TimeSpan)"/> stops accepting at once, lets open connections finish until the deadline,
/// then closes those left (their pending operations fail) and waits for their handlers to end.</para>
/// </remarks>
public sealed class LocalServer : IAsyncDisposable
{
    private readonly CoreServer[] _cores;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeSpan _drainTimeout;
    private Task? _stop;

    private LocalServer(CoreServer[] cores, EndPoint endPoint, TimeSpan drainTimeout)
    {
        _cores = cores;
        EndPoint = endPoint;
        _drainTimeout = drainTimeout;
        foreach (CoreServer core in cores)
        {
            core.Server = this;
        }
    }

    /// <summary>The address the server listens on (with the port the system chose when started on port 0).</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The executors that serve connections, one listener each.</summary>
    public IReadOnlyList<LocalExecutor> Executors => _cores.Select(core => core.Executor).ToArray();

    /// <summary>The listening socket of each core, in the order of <see cref="Executors"/> (for tests).</summary>
    internal IReadOnlyList<LocalListener> Listeners => _cores.Select(core => core.Listener).ToArray();

    /// <summary>Connections open now, on all cores.</summary>
    public int ConnectionCount => _cores.Sum(core => Volatile.Read(ref core.Open));

    /// <summary>Connections accepted since the start, on all cores.</summary>
    public long AcceptedConnections => _cores.Sum(core => Interlocked.Read(ref core.Accepted));

    /// <summary>Connections closed by the stop because they did not finish before the deadline.</summary>
    public int ForcedCloses { get; private set; }

    /// <summary>Fires when the server begins to stop.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Starts a server on every executor of <paramref name="pool"/>.</summary>
    public static Task<LocalServer> StartAsync(LocalExecutorPool pool, EndPoint endPoint, Func<LocalConnection, CancellationToken, Task> handler, LocalServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return StartAsync(pool.Executors, endPoint, handler, options);
    }

    /// <summary>Starts a server on <paramref name="executors"/>: returns once every one of them listens, or throws
    /// after closing the listeners already open (a start is all or nothing).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">An executor could not bind (address in use, not available).</exception>
    public static async Task<LocalServer> StartAsync(IReadOnlyList<LocalExecutor> executors, EndPoint endPoint, Func<LocalConnection, CancellationToken, Task> handler, LocalServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(executors);
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfZero(executors.Count, "executors.Count");
        options = options?.Clone() ?? new LocalServerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DrainTimeout, TimeSpan.Zero, "options.DrainTimeout");

        bool perCore = options.Listener.ReusePort && LocalListener.ReusePortSupported;
        var cores = new List<CoreServer>(executors.Count);
        try
        {
            EndPoint bound = endPoint;
            LocalListener? first = null;
            foreach (LocalExecutor executor in executors)
            {
                EndPoint target = bound;
                LocalListener listener = perCore || first is null
                    ? await executor.Spawn(() => LocalListener.Bind(target, options.Listener))
                    : await executor.Spawn(() => LocalListener.Share(first, executor));
                first ??= listener;
                bound = listener.LocalEndPoint; // later cores bind the port the first one got
                cores.Add(new CoreServer(executor, listener, handler));
            }

            var server = new LocalServer([.. cores], bound, options.DrainTimeout);
            foreach (CoreServer core in cores)
            {
                await core.Executor.Spawn(() => core.Start());
            }

            return server;
        }
        catch
        {
            foreach (CoreServer core in cores)
            {
                core.Listener.Dispose();
            }

            throw;
        }
    }

    /// <summary>Stops: no new connection from now on; open ones get until <paramref name="drainTimeout"/> to finish
    /// (their handlers see <see cref="Stopping"/>), then are closed. Completes when every handler has ended. Calling it
    /// again returns the same stop.</summary>
    public Task StopAsync(TimeSpan drainTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(drainTimeout, TimeSpan.Zero);
        lock (_cores)
        {
            return _stop ??= StopCoreAsync(drainTimeout);
        }
    }

    /// <summary>Stops with <see cref="LocalServerOptions.DrainTimeout"/>.</summary>
    public ValueTask DisposeAsync() => new(StopAsync(_drainTimeout));

    private async Task StopCoreAsync(TimeSpan drainTimeout)
    {
        await _stopping.CancelAsync();
        var drained = new Task[_cores.Length];
        for (int i = 0; i < _cores.Length; i++)
        {
            CoreServer core = _cores[i];
            drained[i] = core.Executor.Spawn(() => core.StopAccepting()).AsTask().ContinueWith(
                static (_, state) => ((CoreServer)state!).Drained, core, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
        }

        Task all = Task.WhenAll(drained);
        if (await Task.WhenAny(all, Task.Delay(drainTimeout)) != all)
        {
            int forced = 0;
            foreach (CoreServer core in _cores)
            {
                forced += await core.Executor.Spawn(() => core.CloseAll());
            }

            ForcedCloses = forced;
        }

        await all;
        _stopping.Dispose();
    }

    /// <summary>One executor's share of the server: its listener, its accept loop and its open connections, all
    /// touched only on that executor's thread (the counters are read by others).</summary>
    private sealed class CoreServer(LocalExecutor executor, LocalListener listener, Func<LocalConnection, CancellationToken, Task> handler)
    {
        private readonly HashSet<LocalConnection> _open = [];
        private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _stopped;

        internal int Open;
        internal long Accepted;

        public LocalExecutor Executor { get; } = executor;

        public LocalListener Listener { get; } = listener;

        public LocalServer Server { get; set; } = null!;

        public Task Drained => _drained.Task;

        public void Start() => _ = AcceptLoopAsync();

        public void StopAccepting()
        {
            _stopped = true;
            Listener.Dispose();
            if (_open.Count == 0)
            {
                _drained.TrySetResult();
            }
        }

        public int CloseAll()
        {
            int count = _open.Count;
            foreach (LocalConnection connection in _open.ToArray())
            {
                connection.Abort();
            }

            return count;
        }

        private async Task AcceptLoopAsync()
        {
            CancellationToken stopping = Server.Stopping;
            TimeSpan retryDelay = TimeSpan.Zero;
            while (!_stopped)
            {
                LocalConnection connection;
                try
                {
                    if (retryDelay > TimeSpan.Zero)
                    {
                        await Executor.Sleep(retryDelay, stopping);
                    }

                    connection = await Listener.AcceptAsync(stopping);
                    retryDelay = TimeSpan.Zero;
                }
                catch (Exception) when (_stopped || stopping.IsCancellationRequested)
                {
                    break;
                }
                catch (ObjectDisposedException)
                {
                    break; // the executor stopped: it closed the listener
                }
                catch (Exception exception)
                {
                    // An accept that failed for one connection (reset while queued, a resource limit) must not end the
                    // server: report it and go on. An error that persists must not spin the core either (nor flood the
                    // handler): retry after a wait that doubles while failures repeat, as descriptor exhaustion does.
                    Executor.ReportUnhandled(exception);
                    retryDelay = retryDelay == TimeSpan.Zero ? LocalListener.FirstRetryDelay : LocalListener.NextRetryDelay(retryDelay);
                    continue;
                }

                _open.Add(connection);
                Volatile.Write(ref Open, _open.Count);
                Interlocked.Increment(ref Accepted);
                _ = ServeAsync(connection, stopping);
            }
        }

        private async Task ServeAsync(LocalConnection connection, CancellationToken stopping)
        {
            try
            {
                await handler(connection, stopping);
            }
            catch (Exception exception) when (!(exception is OperationCanceledException && stopping.IsCancellationRequested) && !connection.IsClosed)
            {
                Executor.ReportUnhandled(exception);
            }
            catch (Exception)
            {
                // Ended by the stop (its token, or its connection closed by the deadline): not a failure.
            }
            finally
            {
                await connection.DisposeAsync();
                _open.Remove(connection);
                Volatile.Write(ref Open, _open.Count);
                if (_stopped && _open.Count == 0)
                {
                    _drained.TrySetResult();
                }
            }
        }
    }
}
