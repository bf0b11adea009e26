using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Platform;
using ThreadPerCore.Tests.Platform;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.Tests.Scheduling;

/// <summary>
/// Task-queue shares divide the executor thread's CPU time, not wall time. A busy thread pinned to the executor's CPU
/// takes about half of it; the time the OS gives that thread must be billed to no queue. The CPU each queue really
/// got is counted in fixed units of work, a measure independent of the executor's own accounting.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class CpuTimeChargingTests
{
    /// <summary>How much CPU work the two queues must do together (in the executor's own accounting) per window.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(600);

    private readonly ITestOutputHelper _output;

    public CpuTimeChargingTests(ITestOutputHelper output) => _output = output;

    /// <summary>A thread that spins all the time on the executor's CPU: the time it steals falls on both queues alike,
    /// so this split holds in expectation even with wall-time charging, only noisier; it checks that CPU-time charging
    /// keeps the split exact.</summary>
    [LinuxFact]
    public Task The_split_holds_while_a_thread_spins_on_the_executors_cpu() => MeasureSplitAsync(800, 200, HogMode.Always, tolerance: 0.03);

    /// <summary>The case: the stolen time falls on one queue's slices (here the busy thread spins while the
    /// second queue's work runs, as it would for a queue whose work wakes other threads or makes the GC run). Charged
    /// with wall time, that queue pays for the other thread's CPU and gets far less than its share.</summary>
    [LinuxTheory]
    [InlineData(800, 200)]
    [InlineData(1000, 1000)]
    public Task The_split_holds_when_the_stolen_time_falls_on_one_queues_slices(int first, int second) =>
        MeasureSplitAsync(first, second, HogMode.WhileSecondQueueWorks, tolerance: 0.05);

    private async Task MeasureSplitAsync(int first, int second, HogMode mode, double tolerance)
    {
        ThreadCpuClock.IsCpuTime.Should().BeTrue("Linux has a per-thread CPU clock");
        int cpu = SystemCpus.GetAvailableCpus().Last();
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "charged", Placement = Placement.Fixed(cpu) });
        using var hog = PinnedHog.Start(cpu, mode);
        TaskQueueHandle a = executor.CreateTaskQueue("a", first);
        TaskQueueHandle b = executor.CreateTaskQueue("b", second);
        var units = new long[2];
        using var stop = new CancellationTokenSource();
        LocalTask<int> busyA = executor.Start(a, () => WorkAsync(units, 0, hog.FirstQueueWorks, stop.Token));
        LocalTask<int> busyB = executor.Start(b, () => WorkAsync(units, 1, hog.SecondQueueWorks, stop.Token));

        await Timing.UntilAsync(() => Volatile.Read(ref units[0]) > 0 && Volatile.Read(ref units[1]) > 0, "both queues to run");
        (long A, long B) start = (Volatile.Read(ref units[0]), Volatile.Read(ref units[1]));
        var wall = Stopwatch.StartNew();
        TimeSpan chargedBefore = a.GetStats().CpuTime + b.GetStats().CpuTime;
        await Timing.UntilAsync(() => a.GetStats().CpuTime + b.GetStats().CpuTime - chargedBefore >= Window, "enough charged time");
        (long A, long B) done = (Volatile.Read(ref units[0]) - start.A, Volatile.Read(ref units[1]) - start.B);
        TimeSpan charged = a.GetStats().CpuTime + b.GetStats().CpuTime - chargedBefore;
        wall.Stop();
        await stop.CancelAsync();
        await Task.WhenAll(busyA.AsTask(), busyB.AsTask()).Within("the busy tasks");

        double expected = second / (double)(first + second);
        double actual = done.B / (double)(done.A + done.B);
        _output.WriteLine(
            $"{first}:{second}, busy thread on CPU {cpu} {mode}: work units a={done.A} b={done.B}, b's part {actual:F3} (expected {expected:F3}); " +
            $"charged {charged.TotalMilliseconds:F0} ms over {wall.ElapsedMilliseconds} ms of wall time; the busy thread spun {hog.Spins} times");
        actual.Should().BeApproximately(expected, tolerance, "the shares divide the CPU time the executor thread itself got");
    }

    /// <summary>Does fixed units of CPU work, counting them, and offers to yield between units.</summary>
    private static async LocalTask<int> WorkAsync(long[] units, int index, Action afterUnit, CancellationToken stop)
    {
        int n = 0;
        while (!stop.IsCancellationRequested)
        {
            WorkUnit();
            Volatile.Write(ref units[index], units[index] + 1);
            afterUnit();
            n++;
            await LocalExecutor.YieldIfNeeded();
        }

        return n;
    }

    /// <summary>About 50 µs of arithmetic with a dependency chain: the same CPU cost whenever it runs, however long the
    /// OS keeps the thread off the CPU in the middle of it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong WorkUnit()
    {
        ulong x = 0x9E3779B97F4A7C15;
        for (int i = 0; i < 40_000; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }

        return x;
    }

    private enum HogMode
    {
        /// <summary>Spins without a break.</summary>
        Always,

        /// <summary>Spins while the second queue's work runs: its work wakes the thread, the first queue's calms it.</summary>
        WhileSecondQueueWorks,
    }

    /// <summary>A thread pinned to one CPU that spins until disposed, always or while the second queue works: while it
    /// spins it takes about half of that CPU from any other thread pinned there.</summary>
    private sealed class PinnedHog : IDisposable
    {
        private readonly Thread _thread;
        private readonly HogMode _mode;
        private readonly SemaphoreSlim _woken = new(0, int.MaxValue);
        private int _secondQueueWorks;
        private int _asleep;
        private int _stop;
        private long _spins;

        private PinnedHog(int cpu, HogMode mode)
        {
            _mode = mode;
            using var pinned = new ManualResetEventSlim();
            string? error = null;
            _thread = new Thread(() =>
            {
                ThreadAffinity.TryPinCurrentThread(cpu, out error);
                pinned.Set();
                Spin();
            })
            { IsBackground = true, Name = $"hog-cpu{cpu}" };
            _thread.Start();
            pinned.Wait(Bounded.Timeout).Should().BeTrue("the busy thread starts");
            error.Should().BeNull();
        }

        public long Spins => Volatile.Read(ref _spins);

        public static PinnedHog Start(int cpu, HogMode mode) => new(cpu, mode);

        /// <summary>Called after each unit of the second queue's work: the thread spins from now on.</summary>
        public void SecondQueueWorks()
        {
            if (_mode == HogMode.WhileSecondQueueWorks && Volatile.Read(ref _secondQueueWorks) == 0)
            {
                Volatile.Write(ref _secondQueueWorks, 1);
                if (Interlocked.Exchange(ref _asleep, 0) == 1)
                {
                    _woken.Release();
                }
            }
        }

        /// <summary>Called after each unit of the first queue's work: the thread stops spinning.</summary>
        public void FirstQueueWorks()
        {
            if (Volatile.Read(ref _secondQueueWorks) != 0)
            {
                Volatile.Write(ref _secondQueueWorks, 0);
            }
        }

        public void Dispose()
        {
            Volatile.Write(ref _stop, 1);
            _woken.Release();
            _thread.Join(Bounded.Timeout).Should().BeTrue("the busy thread stops");
            _woken.Dispose();
        }

        private void Spin()
        {
            while (Volatile.Read(ref _stop) == 0)
            {
                if (_mode == HogMode.WhileSecondQueueWorks && Volatile.Read(ref _secondQueueWorks) == 0)
                {
                    // Announce the sleep, then look again, so a wake-up between the look and the wait is not lost.
                    Volatile.Write(ref _asleep, 1);
                    if (Volatile.Read(ref _secondQueueWorks) == 0 || Interlocked.Exchange(ref _asleep, 0) == 0)
                    {
                        _woken.Wait();
                    }

                    continue;
                }

                Thread.SpinWait(100);
                _spins++;
            }
        }
    }
}
