using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Scheduling;

/// <summary>
/// Which queue the loop runs next, for how long, and what it is charged, checked on the scheduler's own state rather
/// than by measuring shares over time (<see cref="SharesTests"/> does that, alone on the machine): each test sets
/// virtual runtimes on the core, between slices, so the choice it checks is decided before anything runs.
/// </summary>
public sealed class QueueSelectionTests
{
    /// <summary>A virtual-runtime lead far larger than any slice a test's few items could be charged.</summary>
    private const long Lead = 1_000_000_000_000;

    [Fact]
    public async Task An_executor_with_several_queues_parks_once_they_are_all_empty()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "queues-idle" });
        TaskQueueHandle batch = executor.CreateTaskQueue("batch", 100);
        await executor.Spawn(batch, () => { }).Within("work in the second queue");

        SpinWait.SpinUntil(() => !executor.IsAwakeForClock, TimeSpan.FromSeconds(10)).Should()
            .BeTrue("with every queue empty the loop sleeps instead of selecting an empty queue again and again");
    }

    [Fact]
    public async Task The_runnable_queue_with_the_least_virtual_runtime_runs_first()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "queues-least" });
        TaskQueueHandle ahead = executor.CreateTaskQueue("ahead", 100);
        TaskQueueHandle behind = executor.CreateTaskQueue("behind", 100);
        var order = new List<string>();

        (LocalTask First, LocalTask Second) queued = await executor.Spawn(() =>
        {
            // Queued first, so a scheduler that took the first runnable queue, or the greatest vruntime, runs it first.
            LocalTask first = executor.Spawn(ahead, () => order.Add("ahead"));
            LocalTask second = executor.Spawn(behind, () => order.Add("behind"));
            ahead.Queue.VRuntime = behind.Queue.VRuntime + Lead;
            return (first, second);
        }).Within("the queueing item");
        await Task.WhenAll(queued.First.AsTask(), queued.Second.AsTask()).Within("both queues' work");

        order.Should().Equal("behind", "ahead");
    }

    [Fact]
    public async Task A_slice_lasts_the_smallest_latency_bound_among_the_runnable_queues()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions
        {
            Name = "queues-slice",
            PreemptTimeSlice = TimeSpan.FromSeconds(1), // far longer than the bound, so a slice of that length is wrong
        });
        TaskQueueHandle batch = executor.CreateTaskQueue("batch", Shares.Default, Latency.NotImportant);
        TaskQueueHandle requests = executor.CreateTaskQueue("requests", Shares.Default, Latency.Matters(TimeSpan.FromMilliseconds(20)));
        long bound = requests.Queue.LatencyTicks;

        (LocalTask<long> Batch, LocalTask<long> Requests) slices = await executor.Spawn(() =>
        {
            LocalTask<long> inBatch = executor.Spawn(batch, SliceLength);
            LocalTask<long> inRequests = executor.Spawn(requests, SliceLength);
            requests.Queue.VRuntime = batch.Queue.VRuntime + Lead; // the batch runs first, with the requests waiting
            return (inBatch, inRequests);
        }).Within("the queueing item");

        (await slices.Batch.Within("the batch item")).Should().Be(bound, "a runnable latency-sensitive queue bounds every slice");
        (await slices.Requests.Within("the requests item")).Should().Be(bound, "its own slice too");

        long SliceLength() => executor.SliceDeadlineForClock - executor.SliceStartForTests;
    }

    [Fact]
    public async Task A_queue_that_wakes_starts_at_the_least_runnable_virtual_runtime()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "queues-wake" });
        TaskQueueHandle busy = executor.CreateTaskQueue("busy", 100);
        TaskQueueHandle idle = executor.CreateTaskQueue("idle", 100);

        LocalTask[] ran = await executor.Spawn(() =>
        {
            LocalTask work = executor.Spawn(busy, () => { });
            busy.Queue.VRuntime = Lead; // as if it had run alone for a long time
            return new[] { work };
        }).Within("the queueing item");
        await ran[0].Within("the busy queue's slice");

        long woken = await executor.Spawn(idle, () => idle.Queue.VRuntime).Within("the idle queue's first item");

        woken.Should().BeGreaterThanOrEqualTo(Lead, "idle time earns no credit: it would otherwise run alone until it caught up");
    }

    [Fact]
    public async Task Virtual_runtimes_are_shifted_down_keeping_their_differences_and_idle_queues_below_stop_at_zero()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "queues-rebase" });
        TaskQueueHandle running = executor.CreateTaskQueue("running", 100);
        TaskQueueHandle above = executor.CreateTaskQueue("above", 100);
        TaskQueueHandle below = executor.CreateTaskQueue("below", 100);
        const long Start = LocalExecutor.VRuntimeRebaseThreshold + 1;
        const long Difference = 5_000;

        LocalTask[] ran = await executor.Spawn(() =>
        {
            LocalTask work = executor.Spawn(running, () => { });
            running.Queue.VRuntime = Start; // past the threshold: the slice that runs it shifts every queue down
            above.Queue.VRuntime = Start + Difference;
            below.Queue.VRuntime = 7;
            return new[] { work };
        }).Within("the queueing item");
        await ran[0].Within("the slice past the threshold");

        (long Running, long Above, long Below) after = await executor.Spawn(() =>
            (running.Queue.VRuntime, above.Queue.VRuntime, below.Queue.VRuntime)).Within("a read after the slice");

        after.Above.Should().Be(Difference, "the shift is the least runnable vruntime, so differences above it stay");
        after.Below.Should().Be(0, "a queue below the shift is clamped at zero");
        after.Running.Should().BeInRange(0, Start / 2, "the running queue is left with its last slice's charge");
    }

    [Fact]
    public async Task A_slice_is_charged_the_CPU_time_of_its_own_work_only()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "queues-charge" });
        TaskQueueHandle queue = executor.CreateTaskQueue("charged", 100);

        // The thread's CPU clock is well past zero after this: a slice charged from zero would pay for it.
        await executor.Spawn(() => Timing.SpinCpu(TimeSpan.FromMilliseconds(200))).Within("work before the queue's");
        TimeSpan before = queue.GetStats().CpuTime;

        // Blocked off the CPU: the OS gives the time to other threads, and a wall-clock charge would bill it here.
        await executor.Spawn(queue, () => Thread.Sleep(200)).Within("a blocking item");
        await executor.Spawn(() => { }).Within("an item after the blocking slice");
        TimeSpan blocked = queue.GetStats().CpuTime - before;

        await executor.Spawn(queue, () => Timing.SpinCpu(TimeSpan.FromMilliseconds(100))).Within("a busy item");
        await executor.Spawn(() => { }).Within("an item after the busy slice");
        TimeSpan busy = queue.GetStats().CpuTime - before - blocked;

        blocked.Should().BeLessThan(TimeSpan.FromMilliseconds(100), "200 ms blocked cost the thread almost no CPU time");
        busy.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(95)).And.BeLessThan(TimeSpan.FromMilliseconds(200),
            "the busy item burned 100 ms of the thread's CPU time, and its slice nothing before it");
    }
}
