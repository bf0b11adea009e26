using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Nito.AsyncEx;
using ThreadPerCore.Benchmarks.Infrastructure;

namespace ThreadPerCore.Benchmarks.Workloads;

/// <summary>
/// Workload 6: start an executor and stop it (its thread created, running, then joined). Reported per
/// start+stop. The baseline is a bare <c>new Thread(...).Start(); Join()</c>: the floor for anything that owns a thread.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("W6")]
public class W6_StartStop
{
    public const int Cycles = 100;

    private static readonly LocalExecutorOptions s_unbound = new() { Name = "bench-startstop" };

    [GlobalSetup]
    public void Setup() => Cpus.PinDriver();

    [Benchmark(Baseline = true, OperationsPerInvoke = Cycles)]
    public int Thread_StartJoin()
    {
        int ran = 0;
        for (int i = 0; i < Cycles; i++)
        {
            var thread = new Thread(() => Interlocked.Increment(ref ran));
            thread.Start();
            thread.Join();
        }

        return Check.Equal(ran, Cycles, nameof(Thread_StartJoin));
    }

    [Benchmark(OperationsPerInvoke = Cycles)]
    public int Local_Unbound()
    {
        int stopped = 0;
        for (int i = 0; i < Cycles; i++)
        {
            var executor = new LocalExecutor(s_unbound);
            executor.Dispose();
            stopped += executor.Completion.IsCompletedSuccessfully ? 1 : 0;
        }

        return Check.Equal(stopped, Cycles, nameof(Local_Unbound));
    }

    /// <summary>Pinned to CPU 1: the new thread also pins itself before the constructor returns.</summary>
    [Benchmark(OperationsPerInvoke = Cycles)]
    public int Local_Pinned()
    {
        int stopped = 0;
        LocalExecutorOptions options = Cpus.Pinned(Cpus.Worker, name: "bench-startstop");
        for (int i = 0; i < Cycles; i++)
        {
            var executor = new LocalExecutor(options);
            executor.Dispose();
            stopped += executor.Completion.IsCompletedSuccessfully ? 1 : 0;
        }

        return Check.Equal(stopped, Cycles, nameof(Local_Pinned));
    }

    /// <summary><c>new AsyncContextThread()</c> then <c>Dispose()</c> (JoinAsync + wait), unpinned.</summary>
    [Benchmark(OperationsPerInvoke = Cycles)]
    public int AsyncContext()
    {
        int stopped = 0;
        for (int i = 0; i < Cycles; i++)
        {
            var thread = new AsyncContextThread();
            Task joined = thread.JoinAsync();
            joined.GetAwaiter().GetResult();
            stopped += joined.IsCompletedSuccessfully ? 1 : 0;
        }

        return Check.Equal(stopped, Cycles, nameof(AsyncContext));
    }

    /// <summary>A pinned thread pumping a SingleThreadedSynchronizationContext with a JoinableTaskContext, then stopped.</summary>
    [Benchmark(OperationsPerInvoke = Cycles)]
    public int VsThreading_Jtf()
    {
        int stopped = 0;
        for (int i = 0; i < Cycles; i++)
        {
            var main = new VsThreadingMainThread(Cpus.Worker);
            main.Dispose();
            stopped++;
        }

        return Check.Equal(stopped, Cycles, nameof(VsThreading_Jtf));
    }

    /// <summary>No thread of its own: a new pair, Complete, wait for Completion.</summary>
    [Benchmark(OperationsPerInvoke = Cycles)]
    public int ExclusiveScheduler()
    {
        int stopped = 0;
        for (int i = 0; i < Cycles; i++)
        {
            var pair = new ConcurrentExclusiveSchedulerPair();
            pair.Complete();
            pair.Completion.GetAwaiter().GetResult();
            stopped += pair.Completion.IsCompletedSuccessfully ? 1 : 0;
        }

        return Check.Equal(stopped, Cycles, nameof(ExclusiveScheduler));
    }
}
