using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ThreadPerCore.Hosting;

/// <summary>
/// Owns the hosted pool. It starts the pool in <see cref="StartingAsync"/>, before any hosted service's
/// <c>StartAsync</c>, so services may use it whatever their registration order (resolving the pool earlier starts it
/// then); and drains it in <see cref="StoppedAsync"/>, after every hosted service's <c>StopAsync</c> (the web server's
/// included), so work they finish while stopping still has its shards; both within the host's shutdown token.
/// </summary>
internal sealed class LocalExecutorPoolService : IHostedLifecycleService
{
    private readonly Lazy<LocalExecutorPool> _pool;
    private readonly ILogger _logger;
    private readonly PoolEventLogger _events;

    public LocalExecutorPoolService(
        IOptions<LocalExecutorPoolOptions> options, PoolFactory factory, ILogger<LocalExecutorPool> logger, IHostApplicationLifetime? lifetime = null)
    {
        _logger = logger;
        _events = new PoolEventLogger(logger, lifetime);
        _pool = new Lazy<LocalExecutorPool>(() => Start(options.Value, factory), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The pool, started on first use; a failed start throws the pool's exception, every time.</summary>
    public LocalExecutorPool Pool => _pool.Value;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _ = Pool;
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (!_pool.IsValueCreated)
        {
            return; // never started (or failed to): nothing runs
        }

        LocalExecutorPool pool = _pool.Value;
        _events.OnPoolStopping();
        PoolLog.Stopping(_logger, pool.Count);
        var clock = Stopwatch.StartNew();
        try
        {
            // The drain runs until the host's token fires; then each shard cancels what is left, which takes one turn
            // of its loop. A shard whose thread is blocked cannot even do that, so the wait ends a grace period later.
            Task<ShutdownReport> shutdown = pool.ShutdownAsync(cancellationToken);
            ShutdownReport report;
            try
            {
                report = await shutdown.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                report = await shutdown.WaitAsync(CancelGrace, CancellationToken.None).ConfigureAwait(false);
            }

            PoolLog.Stopped(_logger, clock.ElapsedMilliseconds, report);
            if (report.CancelledTasks > 0)
            {
                PoolLog.CancelledAtStop(_logger, report.CancelledTasks, string.Join(", ", report.CancelledTaskTypes.Select(t => $"{t.Key} x{t.Value}")));
            }
        }
        catch (TimeoutException)
        {
            // The host gave up waiting and a shard did not even cancel its work; the executors keep stopping on their
            // own threads (background threads, which do not keep the process alive), as a BackgroundService that
            // outlives the timeout does.
            string running = string.Join(", ", pool.Executors.Where(e => !e.Completion.IsCompleted).Select(e => e.Name));
            PoolLog.StopTimedOut(_logger, clock.ElapsedMilliseconds, running);
        }
        catch (Exception exception)
        {
            PoolLog.StopFailed(_logger, exception);
            throw;
        }
    }

    /// <summary>How long a stop waits, after the host's token fired, for the shards to cancel what is left.</summary>
    private static readonly TimeSpan CancelGrace = TimeSpan.FromMilliseconds(500);

    private LocalExecutorPool Start(LocalExecutorPoolOptions options, PoolFactory factory)
    {
        var clock = Stopwatch.StartNew();
        LocalExecutorPool pool;
        try
        {
            pool = factory(options);
        }
        catch (Exception exception)
        {
            PoolLog.StartFailed(_logger, exception);
            throw;
        }

        _events.Attach(pool);
        string shards = string.Join(", ", pool.Executors.Select(e => e.Placement.Cpu is int cpu ? $"{e.Name} on CPU {cpu}" : $"{e.Name} unbound"));
        PoolLog.Started(_logger, clock.ElapsedMilliseconds, pool.Count, pool.Placement, shards);
        return pool;
    }
}
