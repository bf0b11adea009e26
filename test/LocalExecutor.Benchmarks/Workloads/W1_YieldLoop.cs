using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using ThreadPerCore.Benchmarks.Infrastructure;

namespace ThreadPerCore.Benchmarks.Workloads;

/// <summary>
/// Workload 1: one async method awaiting <c>Task.Yield()</c> a million times. Reported per yield (time and bytes).
/// Every single-threaded peer also checks that each continuation came back to its thread.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("W1")]
public class W1_YieldLoop
{
    public const int Yields = 1_000_000;

    private Peers _peers = null!;

    [GlobalSetup]
    public void Setup() => _peers = new Peers();

    [GlobalCleanup]
    public void Cleanup() => _peers.Dispose();

    /// <summary>No context: <c>Task.Run</c>; each yield goes through the pool's global queue.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Yields)]
    public int ThreadPool() =>
        Check.Equal(Task.Run(() => YieldLoops.TaskLoop(Yields, sameThread: false)).GetAwaiter().GetResult(), Yields, nameof(ThreadPool));

    [Benchmark(OperationsPerInvoke = Yields)]
    public int AsyncContext() =>
        Check.Equal(_peers.RunOnAsyncContext(() => YieldLoops.TaskLoop(Yields, sameThread: true)), Yields, nameof(AsyncContext));

    [Benchmark(OperationsPerInvoke = Yields)]
    public int VsThreading_Jtf() =>
        Check.Equal(_peers.VsThreading.Run(() => YieldLoops.TaskLoop(Yields, sameThread: true)), Yields, nameof(VsThreading_Jtf));

    [Benchmark(OperationsPerInvoke = Yields)]
    public int ExclusiveScheduler() =>
        Check.Equal(_peers.RunOnExclusive(() => YieldLoops.TaskLoop(Yields, sameThread: false)), Yields, nameof(ExclusiveScheduler));

    /// <summary>Plain <c>async Task</c> code on the executor; each yield is a Post to its SynchronizationContext.</summary>
    [Benchmark(OperationsPerInvoke = Yields)]
    public int Local_SyncContext() =>
        Check.Equal(_peers.Executor.Spawn(() => YieldLoops.TaskLoop(Yields, sameThread: true)).AsTask().GetAwaiter().GetResult(), Yields, nameof(Local_SyncContext));

    /// <summary>
    /// Started with <c>new TaskFactory(executor.Scheduler)</c>. The executor installs its SynchronizationContext on
    /// its thread, and <c>await</c> prefers a SynchronizationContext to a TaskScheduler, so the yields themselves take
    /// the same path as <see cref="Local_SyncContext"/>; this row shows the door costs nothing extra.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Yields)]
    public int Local_Scheduler() =>
        Check.Equal(_peers.RunOnExecutorScheduler(() => YieldLoops.TaskLoop(Yields, sameThread: true)), Yields, nameof(Local_Scheduler));

    /// <summary><c>async LocalTask&lt;int&gt;</c>: the state machine is the raw task; a yield re-queues it in place.</summary>
    [Benchmark(OperationsPerInvoke = Yields)]
    public int Local_LocalTask() =>
        Check.Equal(_peers.Executor.Start(() => YieldLoops.LocalLoop(Yields)).AsTask().GetAwaiter().GetResult(), Yields, nameof(Local_LocalTask));

    /// <summary>A <c>Task&lt;int&gt;</c> method decorated with <c>[AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder&lt;&gt;))]</c>.</summary>
    [Benchmark(OperationsPerInvoke = Yields)]
    public int Local_PinnedTask()
    {
        Task<int> loop;
        using (_peers.Executor.EnterScope())
        {
            loop = YieldLoops.PinnedLoop(Yields);
        }

        return Check.Equal(loop.GetAwaiter().GetResult(), Yields, nameof(Local_PinnedTask));
    }
}

/// <summary>The same loop written for each kind of async method.</summary>
internal static class YieldLoops
{
    public static async Task<int> TaskLoop(int yields, bool sameThread)
    {
        int thread = Environment.CurrentManagedThreadId;
        int resumed = 0;
        int hops = 0;
        for (int i = 0; i < yields; i++)
        {
            await Task.Yield();
            resumed++;
            hops += Environment.CurrentManagedThreadId == thread ? 0 : 1;
        }

        Check.True(!sameThread || hops == 0, $"{hops} continuations left the single-threaded context");
        return resumed;
    }

    public static async LocalTask<int> LocalLoop(int yields)
    {
        int thread = Environment.CurrentManagedThreadId;
        int resumed = 0;
        int hops = 0;
        for (int i = 0; i < yields; i++)
        {
            await Task.Yield();
            resumed++;
            hops += Environment.CurrentManagedThreadId == thread ? 0 : 1;
        }

        Check.True(hops == 0, $"{hops} continuations left the executor");
        return resumed;
    }

    [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder<>))]
    public static async Task<int> PinnedLoop(int yields)
    {
        int thread = Environment.CurrentManagedThreadId;
        int resumed = 0;
        int hops = 0;
        for (int i = 0; i < yields; i++)
        {
            await Task.Yield();
            resumed++;
            hops += Environment.CurrentManagedThreadId == thread ? 0 : 1;
        }

        Check.True(hops == 0, $"{hops} continuations left the executor");
        return resumed;
    }
}
