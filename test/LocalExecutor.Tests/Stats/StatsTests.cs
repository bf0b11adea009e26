using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Tests.Scheduling;
using Xunit;

namespace ThreadPerCore.Tests.Stats;

public sealed class StatsTests
{
    [Fact]
    public async Task Executor_stats_count_tasks_parks_and_wakes_from_other_threads()
    {
        await using var executor = new LocalExecutor();
        ExecutorStats before = executor.GetStats();

        for (int i = 0; i < 20; i++)
        {
            await executor.Spawn(() => i).Within("a spawn"); // each one finds the executor asleep
        }

        // An item is counted when it returns to the loop, just after its task completed and released this thread: a
        // snapshot taken at once could miss the last one (the CI run saw 19). The marker runs after that count.
        await executor.Drain();
        ExecutorStats after = executor.GetStats();
        (after.TasksRun - before.TasksRun).Should().BeGreaterThanOrEqualTo(20);
        (after.SchedulerRuns - before.SchedulerRuns).Should().BeGreaterThanOrEqualTo(1);
        (after.ForeignWakeups - before.ForeignWakeups).Should().BeGreaterThanOrEqualTo(1);
        (after.Parks - before.Parks).Should().BeGreaterThanOrEqualTo(1);
        after.ParkedTime.Should().BeGreaterThan(before.ParkedTime);
        after.TaskQueueCount.Should().Be(1);
    }

    [Fact]
    public async Task Busy_time_and_queue_cpu_time_grow_with_work_and_selection_is_counted()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("worker", 300);
        TaskQueueStats queueBefore = queue.GetStats();
        ExecutorStats before = executor.GetStats();

        await executor.Spawn(queue, () => Timing.SpinCpu(TimeSpan.FromMilliseconds(100))).Within("100 ms of work");
        await executor.Spawn(() => 0).Within("a later item"); // CPU time is charged when a slice ends: this runs after it

        TaskQueueStats queueAfter = queue.GetStats();
        ExecutorStats after = executor.GetStats();
        (queueAfter.CpuTime - queueBefore.CpuTime).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90));
        (queueAfter.TimesSelected - queueBefore.TimesSelected).Should().BeGreaterThanOrEqualTo(1);
        (queueAfter.ItemsRun - queueBefore.ItemsRun).Should().Be(1);
        queueAfter.CurrentShares.Should().Be(300);
        queueAfter.Name.Should().Be("worker");
        (after.BusyTime - before.BusyTime).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90));
        after.TaskQueueCount.Should().Be(2);
        executor.GetTaskQueueStats().Should().HaveCount(2).And.Contain(s => s.Name == "worker");
    }

    [Fact]
    public async Task Shares_changed_from_another_thread_show_in_the_queue_stats()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("tunable", 100);

        executor.SetShares(queue, 600);

        await Timing.UntilAsync(() => queue.GetStats().CurrentShares == 600, "the new shares");
    }

    [Fact]
    public async Task Stats_are_readable_while_the_core_is_busy_and_show_waiting_work()
    {
        await using var executor = new LocalExecutor();
        using var release = new ManualResetEventSlim();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask blocker = executor.Spawn(() =>
        {
            running.SetResult();
            release.Wait(Bounded.Timeout); // holds the core: nothing else runs, the inbox is not drained
        });
        await running.Task.Within("the blocking item");

        var spawned = new LocalTask<int>[10];
        for (int i = 0; i < spawned.Length; i++)
        {
            int n = i;
            spawned[i] = executor.Spawn(() => n);
        }

        ExecutorStats busy = executor.GetStats(); // returns at once although the core is blocked
        release.Set();
        await blocker.Within("the blocker");
        foreach (LocalTask<int> task in spawned)
        {
            await task.Within("a queued spawn");
        }

        (busy.InboxLength + busy.QueueLength).Should().Be(10);
        executor.GetStats().InboxLength.Should().Be(0);
        executor.GetStats().QueueLength.Should().Be(0);
    }

    [Fact]
    public async Task Parked_and_spin_time_never_exceed_the_time_that_passed_and_cross_thread_items_are_counted_once()
    {
        var clock = Stopwatch.StartNew();
        await using var executor = new LocalExecutor(new LocalExecutorOptions { SpinBeforePark = TimeSpan.FromMilliseconds(1) });
        ExecutorStats before = executor.GetStats();
        const int posts = 10;
        using var ran = new CountdownEvent(posts);

        for (int i = 0; i < posts; i++)
        {
            executor.Post(() => ran.Signal()); // from this thread: each one crosses the inbox
        }

        ran.Wait(Bounded.Timeout).Should().BeTrue("the posts ran");
        await executor.Spawn(() => 0).Within("a spawn that finds the executor parked or spinning");
        ExecutorStats after = executor.GetStats();
        TimeSpan elapsed = clock.Elapsed;

        // Whether it parked or spun in this short life depends on timing (growth is checked above); what cannot
        // depend on it is that neither adds up to more than the time that passed.
        after.ParkedTime.Should().BeLessThanOrEqualTo(elapsed, "parked time is a part of the executor's life");
        after.SpinTime.Should().BeLessThanOrEqualTo(elapsed, "so is spin time");
        (after.CrossThreadWorkItems - before.CrossThreadWorkItems).Should().Be(posts + 1, "the posts and the spawn, each applied from the inbox once");
    }

    [Fact]
    public async Task Spinning_before_parking_is_counted_apart_from_busy_and_parked_time()
    {
        // G11/G12: spin time is neither busy time nor parked time.
        await using var executor = new LocalExecutor(new LocalExecutorOptions { SpinBeforePark = TimeSpan.FromMilliseconds(50) });

        await executor.Spawn(() => 0).Within("a spawn");
        await Timing.UntilAsync(() => executor.GetStats().SpinTime >= TimeSpan.FromMilliseconds(45), "a full spin before parking");
        await Timing.UntilAsync(() => executor.GetStats().Parks >= 1, "the park after the spin");

        ExecutorStats stats = executor.GetStats();
        stats.BusyTime.Should().BeLessThan(TimeSpan.FromMilliseconds(45), "spinning is not work");
    }
}
