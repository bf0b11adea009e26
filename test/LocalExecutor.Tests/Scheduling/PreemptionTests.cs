using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.Tests.Scheduling;

[Collection(TimingSensitive.Name)]
public sealed class PreemptionTests
{
    private readonly ITestOutputHelper _output;

    public PreemptionTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task NeedsPreempt_is_false_off_executor_threads_and_YieldIfNeeded_completes_there()
    {
        LocalExecutor.NeedsPreempt.Should().BeFalse();
        LocalExecutor.YieldIfNeeded().GetAwaiter().IsCompleted.Should().BeTrue();
        await LocalExecutor.Yield(); // behaves like Task.Yield off the core
    }

    [Fact]
    public async Task Without_latency_queues_YieldIfNeeded_does_not_yield_before_the_time_slice()
    {
        // G8: with a 200 ms slice, a busy task that offers to yield keeps the core until its slice is used up; a
        // callback queued behind it runs only then.
        await using var executor = new LocalExecutor(new LocalExecutorOptions { PreemptTimeSlice = TimeSpan.FromMilliseconds(200) });

        TimeSpan heldFor = await executor.Start(() => HoldAsync(executor)).Within("the busy task");

        _output.WriteLine($"the busy task kept the core for {heldFor.TotalMilliseconds:F1} ms");
        heldFor.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(150));

        static async LocalTask<TimeSpan> HoldAsync(LocalExecutor executor)
        {
            bool markerRan = false;
            executor.Post(() => markerRan = true); // behind this task in the same queue
            var clock = Stopwatch.StartNew();
            while (!markerRan)
            {
                Timing.Spin(TimeSpan.FromMilliseconds(0.05));
                await LocalExecutor.YieldIfNeeded();
            }

            return clock.Elapsed;
        }
    }

    [Fact]
    public async Task A_busy_queue_calling_YieldIfNeeded_lets_a_latency_queue_run_within_its_bound()
    {
        // G7, from the core: a latency-sensitive queue that gets work while a throughput queue is busy runs within
        // about its bound even though the default slice (1 s here) is far longer.
        await using var executor = new LocalExecutor(new LocalExecutorOptions { PreemptTimeSlice = TimeSpan.FromSeconds(1) });
        TaskQueueHandle batch = executor.CreateTaskQueue("batch", Shares.Static(1000), Latency.NotImportant);
        TaskQueueHandle urgent = executor.CreateTaskQueue("urgent", Shares.Static(10), Latency.Matters(TimeSpan.FromMilliseconds(20)));

        TimeSpan[] waits = await executor.Start(batch, () => BusyWhileOthersWaitAsync(executor, urgent)).Within("the busy task");

        _output.WriteLine($"waits of the latency queue: {string.Join(", ", Array.ConvertAll(waits, w => $"{w.TotalMilliseconds:F1} ms"))}");
        waits.Should().OnlyContain(w => w < TimeSpan.FromMilliseconds(500), "a 20 ms bound is far below the 1 s slice");

        static async LocalTask<TimeSpan[]> BusyWhileOthersWaitAsync(LocalExecutor executor, TaskQueueHandle urgent)
        {
            var waits = new TimeSpan[5];
            for (int i = 0; i < waits.Length; i++)
            {
                long queuedAt = Stopwatch.GetTimestamp();
                bool ran = false;
                executor.Post(urgent, () =>
                {
                    waits[i] = Stopwatch.GetElapsedTime(queuedAt);
                    ran = true;
                });
                while (!ran)
                {
                    Timing.Spin(TimeSpan.FromMilliseconds(0.05));
                    await LocalExecutor.YieldIfNeeded();
                }
            }

            return waits;
        }
    }

    [Fact]
    public async Task A_runnable_latency_queue_bounds_the_slice_of_the_queue_picked_before_it()
    {
        // A latency-sensitive queue that is already runnable when another queue is picked bounds that queue's slice to
        // its latency, not the 1 s default. Its continuation is queued in its own slice, so no wake from another thread
        // cuts anything short (the test below).
        await using var executor = new LocalExecutor(new LocalExecutorOptions { PreemptTimeSlice = TimeSpan.FromSeconds(1) });
        TaskQueueHandle batch = executor.CreateTaskQueue("batch", Shares.Static(10), Latency.NotImportant);
        TaskQueueHandle urgent = executor.CreateTaskQueue("urgent", Shares.Static(1000), Latency.Matters(TimeSpan.FromMilliseconds(20)));
        var urgentRuns = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool done = false;
        LocalTask<TimeSpan> urgentTask = executor.Start(urgent, async () =>
        {
            urgentRuns.SetResult();

            // Longer than any slice: whatever bounds the urgent queue's own slice, the loop picks again after this.
            Timing.Spin(TimeSpan.FromMilliseconds(1050));
            long yieldedAt = Stopwatch.GetTimestamp();
            await Task.Yield(); // runnable again at once, in this queue; the busy queue is picked first, being behind
            TimeSpan waited = Stopwatch.GetElapsedTime(yieldedAt);
            Volatile.Write(ref done, true);
            return waited;
        });

        // Queued while the urgent turn runs, so it starts at the urgent queue's virtual runtime: behind it once that turn
        // is charged, and ahead again after one slice of its own (its few shares make each tick cost 100).
        await urgentRuns.Task.Within("the urgent turn to start");
        LocalTask busy = executor.Start(batch, async () =>
        {
            while (!Volatile.Read(ref done))
            {
                Timing.Spin(TimeSpan.FromMilliseconds(0.05));
                await LocalExecutor.YieldIfNeeded();
            }
        });
        TimeSpan wait = await urgentTask.Within("the urgent task");
        await busy.Within("the busy task");

        _output.WriteLine($"the runnable latency queue waited {wait.TotalMilliseconds:F1} ms");
        wait.Should().BeLessThan(TimeSpan.FromMilliseconds(500), "the busy queue's slice lasts about the 20 ms bound, not the 1 s slice");
    }

    [Fact]
    public async Task A_wake_from_another_thread_into_a_latency_queue_cuts_the_slice_short()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { PreemptTimeSlice = TimeSpan.FromSeconds(1) });
        TaskQueueHandle urgent = executor.CreateTaskQueue("urgent", Shares.Static(100), Latency.Matters(TimeSpan.FromMilliseconds(500)));
        using var stop = new CancellationTokenSource();
        var busyStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> busy = executor.Start(() => BusyAsync(busyStarted, stop.Token));
        await busyStarted.Task.Within("the busy task to start");

        var waits = new List<TimeSpan>();
        for (int i = 0; i < 10; i++)
        {
            long sentAt = Stopwatch.GetTimestamp();
            TimeSpan wait = await executor.Spawn(urgent, () => Stopwatch.GetElapsedTime(sentAt)).Within("the urgent spawn");
            waits.Add(wait);
        }

        await stop.CancelAsync();
        await busy.Within("the busy task");
        waits.Sort();
        _output.WriteLine($"foreign wake into a latency queue under load: median {waits[5].TotalMilliseconds:F3} ms, max {waits[^1].TotalMilliseconds:F3} ms; {executor.GetStats().LatencyPreemptions} preemptions");
        waits[5].Should().BeLessThan(TimeSpan.FromMilliseconds(100), "the wake raises the preempt flag; it does not wait for the 500 ms bound or the 1 s slice");
        // Counted per raise of the preempt flag: a wake that finds it already raised (a deadline the slice just passed
        // raises it too) cuts the same slice short and is not counted again, so the count can be below the spawns.
        executor.GetStats().LatencyPreemptions.Should().BePositive("the wakes into the latency queue raised the flag");
    }

    [Fact]
    public async Task A_wake_from_another_thread_into_an_ordinary_queue_waits_at_most_about_a_slice()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { PreemptTimeSlice = TimeSpan.FromMilliseconds(10) });
        using var stop = new CancellationTokenSource();
        var busyStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> busy = executor.Start(() => BusyAsync(busyStarted, stop.Token));
        await busyStarted.Task.Within("the busy task to start");

        var waits = new List<TimeSpan>();
        for (int i = 0; i < 10; i++)
        {
            long sentAt = Stopwatch.GetTimestamp();
            waits.Add(await executor.Spawn(() => Stopwatch.GetElapsedTime(sentAt)).Within("the spawn"));
        }

        await stop.CancelAsync();
        await busy.Within("the busy task");
        waits.Sort();
        _output.WriteLine($"foreign wake into a busy default queue: median {waits[5].TotalMilliseconds:F3} ms, max {waits[^1].TotalMilliseconds:F3} ms");
        waits[5].Should().BeLessThan(TimeSpan.FromMilliseconds(60), "a 10 ms slice bounds the wait (Glommio: ~95 ms)");
    }

    [Fact]
    public async Task Ten_yielding_tasks_run_round_robin_without_double_runs()
    {
        // G5: ten runnable tasks in one queue; each yield goes to the back, so no task runs twice in a row.
        await using var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("ten");

        List<int> order = await executor.Start(queue, () => RunTenAsync()).Within("the ten tasks");

        order.Should().HaveCount(10 * 5);
        for (int i = 0; i < order.Count; i++)
        {
            order[i].Should().Be(i % 10, $"step {i} follows FIFO round-robin");
        }

        static async LocalTask<List<int>> RunTenAsync()
        {
            var order = new List<int>();
            var tasks = new LocalTask<int>[10];
            for (int t = 0; t < tasks.Length; t++)
            {
                int id = t;
                tasks[t] = LocalExecutor.Current!.Start(() => YieldingAsync(id, order));
            }

            foreach (LocalTask<int> task in tasks)
            {
                await task;
            }

            return order;
        }

        static async LocalTask<int> YieldingAsync(int id, List<int> order)
        {
            for (int step = 0; step < 5; step++)
            {
                order.Add(id);
                await LocalExecutor.Yield();
            }

            return id;
        }
    }

    [Fact]
    public async Task Yield_in_Task_returning_methods_goes_to_the_back_of_the_queue_too()
    {
        await using var executor = new LocalExecutor();
        var order = new List<int>();

        await executor.Spawn(async () =>
        {
            Task[] all = new Task[4];
            for (int t = 0; t < all.Length; t++)
            {
                int id = t;
                all[t] = Task.Factory.StartNew(
                    async () =>
                {
                    for (int step = 0; step < 3; step++)
                    {
                        order.Add(id);
                        await LocalExecutor.Yield();
                    }
                },
                    CancellationToken.None,
                    TaskCreationOptions.None,
                    TaskScheduler.Current).Unwrap();
            }

            await Task.WhenAll(all);
        }).Within("the yielding tasks");

        order.Should().Equal(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3);
    }

    [Fact]
    public async Task Yield_and_YieldIfNeeded_allocate_nothing_in_LocalTask_and_Task_methods()
    {
        await using var executor = new LocalExecutor();

        long local = await executor.Start(() => MeasureLocalAsync()).Within("the LocalTask loop");
        long runtime = await executor.Spawn(() => MeasureTaskAsync()).Within("the Task loop");

        _output.WriteLine($"bytes for 10,000 yields: LocalTask method {local}, Task method {runtime}");
        local.Should().BeLessThan(1024);
        runtime.Should().BeLessThan(1024);

        static async LocalTask<long> MeasureLocalAsync()
        {
            await LocalExecutor.Yield(); // warm up
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                await LocalExecutor.Yield();
                await LocalExecutor.YieldIfNeeded();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        static async Task<long> MeasureTaskAsync()
        {
            await LocalExecutor.Yield(); // boxes the state machine once, as every suspended async method does
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                await LocalExecutor.Yield();
                await LocalExecutor.YieldIfNeeded();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }

    [Fact]
    public async Task NeedsPreempt_costs_a_few_nanoseconds()
    {
        await using var executor = new LocalExecutor();
        double nanoseconds = await executor.Spawn(MeasureNeedsPreempt).Within("the measurement");

        _output.WriteLine($"LocalExecutor.NeedsPreempt: {nanoseconds:F2} ns per call");
        // A Debug build runs the library unoptimized (DebuggableAttribute): there only a loose bound makes sense.
        bool optimized = typeof(LocalExecutor).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;
        nanoseconds.Should().BeLessThan(optimized ? 10 : 100, "no system call and no lock, a few loads (generous for a busy VM)");
    }

    /// <summary>Best of three rounds of five million checks, after tiered compilation optimized the loop, as it does for hot user loops.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double MeasureNeedsPreempt()
    {
        const int Calls = 5_000_000;
        int hits = 0;
        double best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Calls; i++)
            {
                if (LocalExecutor.NeedsPreempt)
                {
                    hits++;
                }
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalNanoseconds / Calls);
        }

        GC.KeepAlive(hits);
        return best;
    }

    private static async LocalTask<int> BusyAsync(TaskCompletionSource started, CancellationToken stop)
    {
        started.TrySetResult();
        int steps = 0;
        while (!stop.IsCancellationRequested)
        {
            Timing.Spin(TimeSpan.FromMilliseconds(0.05));
            steps++;
            await LocalExecutor.YieldIfNeeded();
        }

        return steps;
    }
}
