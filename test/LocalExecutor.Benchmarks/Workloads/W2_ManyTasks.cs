using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using ThreadPerCore.Benchmarks.Infrastructure;

namespace ThreadPerCore.Benchmarks.Workloads;

/// <summary>
/// Workload 2: 100,000 concurrent async tasks, each awaiting <c>Task.Yield()</c> ten times. A root method on the
/// peer starts them all, then awaits each; reported per yield (1,000,000 per invocation) with the GC counts. The
/// arrays that hold the tasks are allocated once in setup so they do not count.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("W2")]
public class W2_ManyTasks
{
    public const int Tasks = 100_000;
    public const int YieldsPerTask = 10;
    public const int TotalYields = Tasks * YieldsPerTask;

    private Peers _peers = null!;
    private Task<int>[] _tasks = null!;
    private LocalTask<int>[] _localTasks = null!;

    [GlobalSetup]
    public void Setup()
    {
        _peers = new Peers();
        _tasks = new Task<int>[Tasks];
        _localTasks = new LocalTask<int>[Tasks];
    }

    [GlobalCleanup]
    public void Cleanup() => _peers.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = TotalYields)]
    public int ThreadPool() => Check.Equal(Task.Run(() => ManyTasks.TaskRoot(_tasks)).GetAwaiter().GetResult(), TotalYields, nameof(ThreadPool));

    [Benchmark(OperationsPerInvoke = TotalYields)]
    public int AsyncContext() => Check.Equal(_peers.RunOnAsyncContext(() => ManyTasks.TaskRoot(_tasks)), TotalYields, nameof(AsyncContext));

    [Benchmark(OperationsPerInvoke = TotalYields)]
    public int VsThreading_Jtf() => Check.Equal(_peers.VsThreading.Run(() => ManyTasks.TaskRoot(_tasks)), TotalYields, nameof(VsThreading_Jtf));

    [Benchmark(OperationsPerInvoke = TotalYields)]
    public int ExclusiveScheduler() => Check.Equal(_peers.RunOnExclusive(() => ManyTasks.TaskRoot(_tasks)), TotalYields, nameof(ExclusiveScheduler));

    [Benchmark(OperationsPerInvoke = TotalYields)]
    public int Local_SyncContext() =>
        Check.Equal(_peers.Executor.Spawn(() => ManyTasks.TaskRoot(_tasks)).AsTask().GetAwaiter().GetResult(), TotalYields, nameof(Local_SyncContext));

    /// <summary>Root started by <c>new TaskFactory(executor.Scheduler)</c>; awaits go through the SynchronizationContext (see W1).</summary>
    [Benchmark(OperationsPerInvoke = TotalYields)]
    public int Local_Scheduler() => Check.Equal(_peers.RunOnExecutorScheduler(() => ManyTasks.TaskRoot(_tasks)), TotalYields, nameof(Local_Scheduler));

    [Benchmark(OperationsPerInvoke = TotalYields)]
    public int Local_LocalTask() =>
        Check.Equal(_peers.Executor.Start(() => ManyTasks.LocalRoot(_localTasks)).AsTask().GetAwaiter().GetResult(), TotalYields, nameof(Local_LocalTask));

    [Benchmark(OperationsPerInvoke = TotalYields)]
    public int Local_PinnedTask()
    {
        Task<int> root;
        using (_peers.Executor.EnterScope())
        {
            root = ManyTasks.PinnedRoot(_tasks);
        }

        return Check.Equal(root.GetAwaiter().GetResult(), TotalYields, nameof(Local_PinnedTask));
    }
}

internal static class ManyTasks
{
    public static async Task<int> TaskRoot(Task<int>[] tasks)
    {
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = TaskChild();
        }

        int yields = 0;
        for (int i = 0; i < tasks.Length; i++)
        {
            yields += await tasks[i];
            tasks[i] = null!;
        }

        return yields;
    }

    public static async LocalTask<int> LocalRoot(LocalTask<int>[] tasks)
    {
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = LocalChild();
        }

        int yields = 0;
        for (int i = 0; i < tasks.Length; i++)
        {
            yields += await tasks[i];
            tasks[i] = null!;
        }

        return yields;
    }

    [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder<>))]
    public static async Task<int> PinnedRoot(Task<int>[] tasks)
    {
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = PinnedChild();
        }

        int yields = 0;
        for (int i = 0; i < tasks.Length; i++)
        {
            yields += await tasks[i];
            tasks[i] = null!;
        }

        return yields;
    }

    private static async Task<int> TaskChild()
    {
        int resumed = 0;
        for (int i = 0; i < W2_ManyTasks.YieldsPerTask; i++)
        {
            await Task.Yield();
            resumed++;
        }

        return resumed;
    }

    private static async LocalTask<int> LocalChild()
    {
        int resumed = 0;
        for (int i = 0; i < W2_ManyTasks.YieldsPerTask; i++)
        {
            await Task.Yield();
            resumed++;
        }

        return resumed;
    }

    [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder<>))]
    private static async Task<int> PinnedChild()
    {
        int resumed = 0;
        for (int i = 0; i < W2_ManyTasks.YieldsPerTask; i++)
        {
            await Task.Yield();
            resumed++;
        }

        return resumed;
    }
}
