using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Redis.Sharding;

namespace ThreadPerCore.Redis.Transports;

/// <summary>
/// .NET sockets on the executors: one listening socket per executor on the same port (<c>SO_REUSEPORT</c>; the kernel
/// spreads connections over them), an accept loop on each executor, and every connection served on the executor that
/// accepted it. Socket completions arrive on the runtime's I/O threads and come back to the executor through its
/// <see cref="LocalSynchronizationContext"/>: the two hops per read the reactor transport removes.
/// </summary>
/// <remarks>Where a port cannot be shared (not Linux), one listener on executor 0 hands connections to the executors in
/// turn.</remarks>
internal sealed class SocketsTransport : IServerTransport
{
    private static readonly TimeSpan s_acceptRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly LocalExecutorPool _pool;
    private readonly IShardAccess _shards;
    private readonly ConnectionTracker _tracker;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private int _nextExecutor;

    private SocketsTransport(LocalExecutorPool pool, IShardAccess shards, ConnectionTracker tracker)
    {
        _pool = pool;
        _shards = shards;
        _tracker = tracker;
    }

    /// <inheritdoc />
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>Binds the listeners and starts an accept loop on each executor.</summary>
    public static SocketsTransport Start(LocalExecutorPool pool, IShardAccess shards, IPEndPoint endpoint, ConnectionTracker tracker)
    {
        var transport = new SocketsTransport(pool, shards, tracker);
        try
        {
            bool share = Listeners.CanSharePort && pool.Count > 1;
            Socket first = Listeners.Listen(endpoint, share);
            transport._listeners.Add(first);
            transport.EndPoint = (IPEndPoint)first.LocalEndPoint!;
            for (int i = 1; share && i < pool.Count; i++)
            {
                transport._listeners.Add(Listeners.Listen(transport.EndPoint, sharePort: true));
            }

            for (int i = 0; i < transport._listeners.Count; i++)
            {
                Socket listener = transport._listeners[i];
                transport._acceptLoops.Add(pool[i].Spawn(() => transport.AcceptLoopAsync(listener, handOff: !share && pool.Count > 1)).AsTask());
            }

            return transport;
        }
        catch
        {
            foreach (Socket listener in transport._listeners)
            {
                listener.Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc />
    public async Task StopAcceptingAsync()
    {
        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
    }

    /// <summary>Runs on an executor: accepts, and serves each connection on this executor (or, with
    /// <paramref name="handOff"/>, on the executors in turn).</summary>
    private async Task AcceptLoopAsync(Socket listener, bool handOff)
    {
        CancellationToken stopping = _tracker.Stopping;
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(true); // back on this executor
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException || stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException exception)
            {
                // Out of descriptors (EMFILE), or a connection reset before it was accepted: the listener lives on.
                _shards.Server.Log?.Invoke($"accept failed: {exception.SocketErrorCode} {exception.Message}");
                try
                {
                    await LocalExecutor.Delay(s_acceptRetryDelay, stopping); // do not spin on a full descriptor table
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (handOff)
            {
                LocalExecutor target = _pool[_nextExecutor++ % _pool.Count];
                _ = target.Spawn(() => _tracker.Serve(client, socket => SocketConnection.ServeAsync(socket, _shards, stopping)));
            }
            else
            {
                _tracker.Serve(client, socket => SocketConnection.ServeAsync(socket, _shards, stopping));
            }
        }
    }
}
