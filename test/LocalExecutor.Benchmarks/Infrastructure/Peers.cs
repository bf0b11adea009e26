using System;
using System.Threading;
using System.Threading.Tasks;
using Nito.AsyncEx;

namespace ThreadPerCore.Benchmarks.Infrastructure;

/// <summary>
/// The peers of one benchmark run, created in [GlobalSetup] and disposed in [GlobalCleanup]: a pinned executor,
/// an AsyncContextThread and a vs-threading main thread (both pinned to the executor's CPU, so the comparison is
/// about the mechanism and not about pinning), and a ConcurrentExclusiveSchedulerPair on the thread pool.
/// </summary>
internal sealed class Peers : IDisposable
{
    public Peers(TimeSpan spinBeforePark = default)
    {
        Cpus.PinDriver();
        Executor = new LocalExecutor(Cpus.Pinned(Cpus.Worker, spinBeforePark, "bench-executor"));
        ExecutorFactory = new TaskFactory(Executor.Scheduler);

        AsyncContext = new AsyncContextThread();
        int worker = Cpus.Worker;
        AsyncContextThreadId = AsyncContext.Factory.Run(() =>
        {
            Cpus.PinCurrentThread(worker);
            return Environment.CurrentManagedThreadId;
        }).GetAwaiter().GetResult();

        VsThreading = new VsThreadingMainThread(Cpus.Worker);

        Pair = new ConcurrentExclusiveSchedulerPair();
        ExclusiveFactory = new TaskFactory(Pair.ExclusiveScheduler);

        Check.True(Executor.Placement.Cpu == Cpus.Worker || !OperatingSystem.IsLinux(), "the executor is not pinned");
    }

    public LocalExecutor Executor { get; }

    /// <summary><c>new TaskFactory(executor.Scheduler)</c>: the task-scheduler door.</summary>
    public TaskFactory ExecutorFactory { get; }

    public AsyncContextThread AsyncContext { get; }

    public int AsyncContextThreadId { get; }

    public VsThreadingMainThread VsThreading { get; }

    public ConcurrentExclusiveSchedulerPair Pair { get; }

    public TaskFactory ExclusiveFactory { get; }

    /// <summary>Runs <paramref name="body"/> on the AsyncContextThread and blocks until it is done.</summary>
    public T RunOnAsyncContext<T>(Func<Task<T>> body) => AsyncContext.Factory.Run(body).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="body"/> on the exclusive scheduler and blocks until it is done.</summary>
    public T RunOnExclusive<T>(Func<Task<T>> body) => ExclusiveFactory.StartNew(body).Unwrap().GetAwaiter().GetResult();

    /// <summary>The task-scheduler door: the body is started by <c>new TaskFactory(executor.Scheduler)</c>.</summary>
    public T RunOnExecutorScheduler<T>(Func<Task<T>> body) => ExecutorFactory.StartNew(body).Unwrap().GetAwaiter().GetResult();

    public void Dispose()
    {
        Executor.Dispose();
        AsyncContext.Dispose();
        VsThreading.Dispose();
        Pair.Complete();
        Pair.Completion.GetAwaiter().GetResult();
    }
}
