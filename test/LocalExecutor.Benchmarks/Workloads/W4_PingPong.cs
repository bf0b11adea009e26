using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Nito.AsyncEx;
using ThreadPerCore.Benchmarks.Infrastructure;

namespace ThreadPerCore.Benchmarks.Workloads;

/// <summary>
/// Workload 4: cross-thread wake. The driver thread (CPU 0, outside every peer) and a task on the peer (CPU 1 for
/// the single-threaded peers) pass a token back and forth: the driver sets an <see cref="AsyncSignal"/> the task
/// awaits, the task releases a semaphore the driver waits on. One operation is one round trip; the driver side is
/// the same for every peer, so the difference is how fast each peer wakes its task from another thread. The
/// "RT p50"/"RT p99" columns are percentiles of single round trips; BenchmarkDotNet's Mean/Median are of
/// iteration means.
/// </summary>
[MemoryDiagnoser]
[LatencyColumns]
[BenchmarkCategory("W4")]
public class W4_PingPong
{
    public const int RoundTrips = 10_000;

    /// <summary>The spin used by the <c>_Spin</c> rows (<see cref="LocalExecutorOptions.SpinBeforePark"/>).</summary>
    public static readonly TimeSpan Spin = TimeSpan.FromMicroseconds(50);

    private Peers _peers = null!;
    private LocalExecutor _spinning = null!;
    private AsyncSignal _ping = null!;
    private SemaphoreSlim _pong = null!;
    private LatencyRecorder _recorder = null!;
    private string? _method;
    private bool _mixed;

    [GlobalSetup]
    public void Setup()
    {
        _peers = new Peers();
        _spinning = new LocalExecutor(Cpus.Pinned(Cpus.Worker, Spin, "bench-executor-spin"));
        _ping = new AsyncSignal();
        _pong = new SemaphoreSlim(0);
        _recorder = new LatencyRecorder(capacity: RoundTrips * 64, skip: RoundTrips);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // BenchmarkDotNet's execution validator runs every method once on one instance between one setup and one
        // cleanup; those samples mix all the peers and must not be published under the last method's name.
        if (_method is not null && !_mixed && _recorder.Compute() is LatencyStats stats)
        {
            LatencyResults.Publish(nameof(W4_PingPong), _method, stats);
        }

        _spinning.Dispose();
        _peers.Dispose();
        _pong.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public int ThreadPool() => Drive(nameof(ThreadPool), Task.Run(Responder));

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int AsyncContext() => Drive(nameof(AsyncContext), _peers.AsyncContext.Factory.Run(Responder));

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int VsThreading_Jtf() => Drive(nameof(VsThreading_Jtf), _peers.VsThreading.Start(Responder));

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int ExclusiveScheduler() => Drive(nameof(ExclusiveScheduler), _peers.ExclusiveFactory.StartNew(Responder).Unwrap());

    /// <summary>Plain <c>async Task</c> on the executor: the wake is a Post to its SynchronizationContext.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int Local_SyncContext() => Drive(nameof(Local_SyncContext), _peers.Executor.Spawn(Responder).AsTask());

    /// <summary><c>async LocalTask</c> on the executor: the wake is the raw task's waker.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int Local_LocalTask() => Drive(nameof(Local_LocalTask), _peers.Executor.Start(LocalResponder).AsTask());

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int Local_SyncContext_Spin() => Drive(nameof(Local_SyncContext_Spin), _spinning.Spawn(Responder).AsTask());

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int Local_LocalTask_Spin() => Drive(nameof(Local_LocalTask_Spin), _spinning.Start(LocalResponder).AsTask());

    private int Drive(string method, Task<int> responder)
    {
        _mixed |= _method is not null && _method != method;
        _method = method;
        for (int i = 0; i < RoundTrips; i++)
        {
            long start = Stopwatch.GetTimestamp();
            _ping.Set();
            _pong.Wait();
            _recorder.Add(Stopwatch.GetTimestamp() - start);
        }

        return Check.Equal(responder.GetAwaiter().GetResult(), RoundTrips, method);
    }

    private async Task<int> Responder()
    {
        int rounds = 0;
        for (int i = 0; i < RoundTrips; i++)
        {
            await _ping.WaitAsync();
            rounds++;
            _pong.Release();
        }

        return rounds;
    }

    private async LocalTask<int> LocalResponder()
    {
        int rounds = 0;
        for (int i = 0; i < RoundTrips; i++)
        {
            await _ping.WaitAsync();
            rounds++;
            _pong.Release();
        }

        return rounds;
    }
}
