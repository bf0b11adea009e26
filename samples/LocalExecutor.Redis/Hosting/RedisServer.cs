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

    /// <summary>The transport it runs on: never <see cref="RedisTransport.Auto"/>, which is resolved at the start.</summary>
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
    /// <exception cref="PlatformNotSupportedException"><see cref="RedisTransport.Reactor"/> was asked for and an
    /// executor has no reactor (not Linux, or <see cref="RedisServerOptions.EnableReactor"/> off); the message says
    /// why. <see cref="RedisTransport.Auto"/> serves on .NET sockets there instead.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The port could not be bound.</exception>
    public static async Task<RedisServer> StartAsync(RedisServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port, "options.Port");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, IPEndPoint.MaxPort, "options.Port");
        ArgumentNullException.ThrowIfNull(options.BindAddress, "options.BindAddress");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBulkLength, 1, "options.MaxBulkLength");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ShutdownTimeout, TimeSpan.Zero, "options.ShutdownTimeout");
        if (!Enum.IsDefined(options.Transport))
        {
            throw new ArgumentOutOfRangeException("options.Transport", options.Transport, "Not a RedisTransport value.");
        }

        int cores = options.Cores ?? SystemCpus.UsableCpuCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1, "options.Cores");
        var endpoint = new IPEndPoint(options.BindAddress, options.Port);
        var tracker = new ConnectionTracker();
        if (options.Transport == RedisTransport.ThreadPool)
        {
            var context = new ServerContext("threadpool", cores, options.MaxBulkLength, options.Log);
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
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = placement, NamePrefix = "redis", EnableReactor = options.EnableReactor });
        ExecutorShards? shards = null;
        try
        {
            RedisTransport transport = ChooseTransport(options.Transport, pool, options.Log);
            var context = new ServerContext(transport == RedisTransport.Reactor ? "reactor" : "sockets", cores, options.MaxBulkLength, options.Log)
            {
                Executors = pool.Executors,
            };
            shards = new ExecutorShards(pool, context, options.Clock);
            IServerTransport listener = transport == RedisTransport.Reactor
                ? await ReactorTransport.StartAsync(pool, shards, endpoint, options.ShutdownTimeout).ConfigureAwait(false)
                : SocketsTransport.Start(pool, shards, endpoint, tracker);
            context.Port = listener.EndPoint.Port;
            return new RedisServer(transport, context, shards, pool, listener, tracker, options.ShutdownTimeout);
        }
        catch
        {
            shards?.Dispose();
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

    /// <summary>Resolves <see cref="RedisTransport.Auto"/> against the executors, and refuses
    /// <see cref="RedisTransport.Reactor"/> on executors without a reactor, naming the option and the reason.</summary>
    /// <exception cref="PlatformNotSupportedException">The reactor was demanded and an executor has none.</exception>
    private static RedisTransport ChooseTransport(RedisTransport requested, LocalExecutorPool pool, Action<string>? log)
    {
        LocalExecutor? without = null;
        foreach (LocalExecutor executor in pool.Executors)
        {
            if (!executor.HasReactor)
            {
                without = executor;
                break;
            }
        }

        switch (requested)
        {
            case RedisTransport.Reactor when without is not null:
                throw new PlatformNotSupportedException(
                    $"--transport reactor: executor '{without.Name}' has no reactor ({without.ReactorUnavailableReason}). " +
                    "Leave --transport out to serve on .NET sockets where there is no reactor, or ask for --transport sockets.");
            case RedisTransport.Auto when without is not null:
                log?.Invoke($"executor '{without.Name}' has no reactor ({without.ReactorUnavailableReason}): serving on .NET sockets");
                return RedisTransport.Sockets;
            case RedisTransport.Auto:
                return RedisTransport.Reactor;
            case RedisTransport.Reactor or RedisTransport.Sockets:
                return requested;
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, "Not a RedisTransport value.");
        }
    }

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
