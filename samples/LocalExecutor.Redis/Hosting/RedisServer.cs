using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Platform;
using ThreadPerCore.Redis.Sharding;
using ThreadPerCore.Redis.Transports;

namespace ThreadPerCore.Redis.Hosting;

/// <summary>
/// The RESP server: shards, a transport, and a graceful stop. <c>await using var server = await
/// RedisServer.StartAsync(new RedisServerOptions { Port = 0, Transport = RedisTransport.Sockets });</c> then connect
/// any Redis client to <see cref="EndPoint"/>.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly LocalExecutorPool? _pool;
    private readonly IDisposable _shardsLifetime;
    private readonly IServerTransport _transport;
    private readonly ConnectionTracker _tracker;
    private readonly TimeSpan _shutdownTimeout;
    private readonly Lock _stopLock = new();
    private Task? _stopping;

    private RedisServer(RedisTransport transport, ServerContext context, IShardAccess shards, LocalExecutorPool? pool, IServerTransport listener, ConnectionTracker tracker, TimeSpan shutdownTimeout)
    {
        Transport = transport;
        Context = context;
        Shards = shards;
        _pool = pool;
        _shardsLifetime = (IDisposable)shards;
        _transport = listener;
        _tracker = tracker;
        _shutdownTimeout = shutdownTimeout;
    }

    /// <summary>Where the server listens.</summary>
    public IPEndPoint EndPoint => _transport.EndPoint;

    /// <summary>The transport it runs on.</summary>
    public RedisTransport Transport { get; }

    /// <summary>Its settings and counters.</summary>
    public ServerContext Context { get; }

    /// <summary>Its shards.</summary>
    public IShardAccess Shards { get; }

    /// <summary>How many connections are open.</summary>
    public int OpenConnections => _transport is ReactorTransport reactor ? reactor.OpenConnections : _tracker.Count;

    /// <summary>Starts a server: its executors (unless on the thread pool), shards, listeners and accept loops.</summary>
    /// <param name="options">How.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="PlatformNotSupportedException">The reactor transport was asked for and the executors have no
    /// reactor (not Linux).</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The port could not be bound.</exception>
    public static async Task<RedisServer> StartAsync(RedisServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port, "options.Port");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, IPEndPoint.MaxPort, "options.Port");
        ArgumentNullException.ThrowIfNull(options.BindAddress, "options.BindAddress");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBulkLength, 1, "options.MaxBulkLength");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ShutdownTimeout, TimeSpan.Zero, "options.ShutdownTimeout");
        int cores = options.Cores ?? SystemCpus.UsableCpuCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1, "options.Cores");
        var endpoint = new IPEndPoint(options.BindAddress, options.Port);
        string name = options.Transport switch
        {
            RedisTransport.Reactor => "reactor",
            RedisTransport.Sockets => "sockets",
            _ => "threadpool",
        };
        var context = new ServerContext(name, cores, options.MaxBulkLength, options.Log);
        var tracker = new ConnectionTracker();
        if (options.Transport == RedisTransport.ThreadPool)
        {
            var locked = new LockedShards(cores, context, options.Clock);
            try
            {
                ThreadPoolTransport listener = ThreadPoolTransport.Start(locked, endpoint, tracker);
                context.Port = listener.EndPoint.Port;
                return new RedisServer(options.Transport, context, locked, null, listener, tracker, options.ShutdownTimeout);
            }
            catch
            {
                locked.Dispose();
                tracker.Dispose();
                throw;
            }
        }

        PoolPlacement placement = options.Placement
            ?? (cores == SystemCpus.UsableCpuCount ? PoolPlacement.OnePerCpu() : PoolPlacement.Spread(cores));
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = placement, NamePrefix = "redis" });
        context.Executors = pool.Executors;
        var shards = new ExecutorShards(pool, context, options.Clock);
        try
        {
            IServerTransport listener = options.Transport == RedisTransport.Reactor
                ? await ReactorTransport.StartAsync(pool, shards, endpoint, options.ShutdownTimeout).ConfigureAwait(false)
                : SocketsTransport.Start(pool, shards, endpoint, tracker);
            context.Port = listener.EndPoint.Port;
            return new RedisServer(options.Transport, context, shards, pool, listener, tracker, options.ShutdownTimeout);
        }
        catch
        {
            shards.Dispose();
            await pool.DisposeAsync().ConfigureAwait(false);
            tracker.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stops gracefully: stops accepting, lets each connection answer what it received (up to the shutdown timeout),
    /// closes those still open, then stops the shards and executors. Calling it again returns the same task.
    /// </summary>
    /// <returns>Completes when everything stopped.</returns>
    public Task StopAsync()
    {
        lock (_stopLock)
        {
            return _stopping ??= StopCoreAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task StopCoreAsync()
    {
        _tracker.SignalStop();
        await _transport.StopAcceptingAsync().ConfigureAwait(false);
        int closed = await _tracker.DrainAsync(_shutdownTimeout).ConfigureAwait(false);
        if (closed > 0)
        {
            Context.Log?.Invoke($"closed {closed} connection(s) still open after {_shutdownTimeout.TotalSeconds:0.#} s");
        }

        _shardsLifetime.Dispose();
        if (_pool is not null)
        {
            await _pool.DisposeAsync().ConfigureAwait(false);
        }

        _tracker.Dispose();
    }
}
