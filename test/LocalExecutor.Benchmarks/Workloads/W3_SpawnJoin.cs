using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using ThreadPerCore.Benchmarks.Infrastructure;

namespace ThreadPerCore.Benchmarks.Workloads;

/// <summary>
/// Workload 3: spawn-and-join. A root method running on the peer starts a million small work items on the peer's
/// own scheduler, in batches of 1,000, and awaits each one; every item returns 1 and the root checks the sum.
/// Reported per item (time and bytes). Batches keep the live set small, so the numbers measure spawning and
/// joining rather than the GC promoting a million live tasks.
/// </summary>
/// <remarks>
/// The doors: the spawn API (<c>executor.Spawn(static s =&gt; ..., state)</c>, one <see cref="LocalTask{T}"/> per item)
/// and the task scheduler (<c>new TaskFactory(executor.Scheduler).StartNew</c>, one <see cref="Task{T}"/> per item).
/// A SynchronizationContext has no join handle (Post returns nothing), so that door has no row here.
/// </remarks>
[MemoryDiagnoser]
[BenchmarkCategory("W3")]
public class W3_SpawnJoin
{
    public const int Items = 1_000_000;
    public const int BatchSize = 1_000;

    private static readonly Payload s_payload = new();
    private static readonly TaskFactory s_poolFactory = new(TaskScheduler.Default);

    private Peers _peers = null!;
    private Task<int>[] _batch = null!;
    private LocalTask<int>[] _localBatch = null!;

    [GlobalSetup]
    public void Setup()
    {
        _peers = new Peers();
        _batch = new Task<int>[BatchSize];
        _localBatch = new LocalTask<int>[BatchSize];
    }

    [GlobalCleanup]
    public void Cleanup() => _peers.Dispose();

    /// <summary><c>Task.Factory.StartNew</c> on <see cref="TaskScheduler.Default"/>, from a pool thread.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public int ThreadPool() =>
        Check.Equal(Task.Run(() => SpawnJoin.TaskRoot(s_poolFactory, _batch)).GetAwaiter().GetResult(), Items, nameof(ThreadPool));

    /// <summary>AsyncContext's own factory (<c>AsyncContext.Factory.StartNew</c>), from inside the context.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    public int AsyncContext() =>
        Check.Equal(
            _peers.RunOnAsyncContext(() => SpawnJoin.TaskRoot(Nito.AsyncEx.AsyncContext.Current!.Factory, _batch)),
            Items,
            nameof(AsyncContext));

    /// <summary>vs-threading has no TaskScheduler; items go to a scheduler over the main thread's SingleThreadedSynchronizationContext.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    public int VsThreading_Jtf() =>
        Check.Equal(_peers.VsThreading.Run(() => SpawnJoin.TaskRoot(new TaskFactory(_peers.VsThreading.Scheduler), _batch)), Items, nameof(VsThreading_Jtf));

    [Benchmark(OperationsPerInvoke = Items)]
    public int ExclusiveScheduler() =>
        Check.Equal(_peers.RunOnExclusive(() => SpawnJoin.TaskRoot(_peers.ExclusiveFactory, _batch)), Items, nameof(ExclusiveScheduler));

    /// <summary><c>new TaskFactory(executor.Scheduler).StartNew</c> from a root running on the executor.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    public int Local_Scheduler() =>
        Check.Equal(_peers.RunOnExecutorScheduler(() => SpawnJoin.TaskRoot(_peers.ExecutorFactory, _batch)), Items, nameof(Local_Scheduler));

    /// <summary><c>executor.Spawn(static s =&gt; ..., state)</c> from a root <c>async LocalTask</c> on the executor.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    public int Local_Spawn() =>
        Check.Equal(_peers.Executor.Start(() => SpawnJoin.LocalRoot(_peers.Executor, _localBatch)).AsTask().GetAwaiter().GetResult(), Items, nameof(Local_Spawn));

    /// <summary>The state every item reads; a class so StartNew's object state does not box.</summary>
    internal sealed class Payload
    {
        public int Unit = 1;
    }

    private static class SpawnJoin
    {
        public static async Task<int> TaskRoot(TaskFactory factory, Task<int>[] batch)
        {
            int sum = 0;
            for (int done = 0; done < Items; done += BatchSize)
            {
                for (int i = 0; i < batch.Length; i++)
                {
                    batch[i] = factory.StartNew(static s => ((Payload)s!).Unit, s_payload);
                }

                for (int i = 0; i < batch.Length; i++)
                {
                    sum += await batch[i];
                    batch[i] = null!;
                }
            }

            return sum;
        }

        public static async LocalTask<int> LocalRoot(LocalExecutor executor, LocalTask<int>[] batch)
        {
            int sum = 0;
            for (int done = 0; done < Items; done += BatchSize)
            {
                for (int i = 0; i < batch.Length; i++)
                {
                    batch[i] = executor.Spawn(static p => p.Unit, s_payload);
                }

                for (int i = 0; i < batch.Length; i++)
                {
                    sum += await batch[i];
                    batch[i] = null!;
                }
            }

            return sum;
        }
    }
}
