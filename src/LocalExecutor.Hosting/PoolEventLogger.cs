using System;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ThreadPerCore.Hosting;

/// <summary>
/// Turns the events of a started pool's executors into log entries. A shard whose executor stops on an unhandled
/// exception (<see cref="UnhandledExceptionPolicy.StopExecutor"/>) while the host runs stops the host, as a failed
/// <c>BackgroundService</c> does by default: the application has lost the state and the work of that shard.
/// </summary>
internal sealed class PoolEventLogger(ILogger logger, IHostApplicationLifetime? lifetime)
{
    private volatile bool _stopping;

    /// <summary>Subscribes to every executor of <paramref name="pool"/>.</summary>
    public void Attach(LocalExecutorPool pool)
    {
        for (int shard = 0; shard < pool.Count; shard++)
        {
            LocalExecutor executor = pool[shard];
            int number = shard;
            executor.UnhandledException += (_, e) => LogUnhandledException(e.Executor, number, e.Exception);
            executor.Stalled += (_, e) => PoolLog.Stall(logger, e.Executor.Name, number, e.ToString());
            executor.LateWork += (_, e) => PoolLog.LateWork(logger, e.Executor.Name, number, e.Kind, e.Description, e.RunsOnThreadPool ? "run on the thread pool" : "not run");
            _ = executor.Completion.ContinueWith(
                completion => OnShardStopped(executor, number, completion),
                System.Threading.CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>From now on, executors stop because the host stops them.</summary>
    public void OnPoolStopping() => _stopping = true;

    private void LogUnhandledException(LocalExecutor executor, int shard, Exception exception) =>
        PoolLog.UnhandledException(logger, executor.Name, shard, exception);

    private void OnShardStopped(LocalExecutor executor, int shard, Task completion)
    {
        if (_stopping)
        {
            return;
        }

        PoolLog.ShardFailed(logger, executor.Name, shard, completion.Exception!.InnerException ?? completion.Exception);
        lifetime?.StopApplication();
    }
}
