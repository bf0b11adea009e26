using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Diagnostics;

// Each stall here is a blocking wait on an event the test sets only once the watcher has seen what it must see (a
// report, a count, more looks of the clock), so no assertion depends on how fast the machine is.
public sealed class StallDetectionTests
{
    private static LocalExecutor Start(TimeSpan threshold, int reportsPerMinute = 5) => new(new LocalExecutorOptions
    {
        Name = "stalls",
        StallThreshold = threshold,
        StallReportsPerMinute = reportsPerMinute,
    });

    [Fact]
    public async Task A_turn_blocked_for_twice_the_threshold_is_reported_once_with_its_queue_and_method()
    {
        TimeSpan threshold = TimeSpan.FromMilliseconds(50);
        await using LocalExecutor executor = Start(threshold);
        TaskQueueHandle batch = executor.CreateTaskQueue("batch", Shares.Default, Latency.NotImportant);
        var reports = new ConcurrentQueue<ExecutorStalledEventArgs>();
        using var reported = new ManualResetEventSlim();
        executor.Stalled += (_, e) =>
        {
            reports.Enqueue(e);
            reported.Set();
        };
        using var release = new ManualResetEventSlim();

        LocalTask stalling = executor.Start(batch, () => StallingWork.BlockAsync(release));
        reported.Wait(Bounded.Timeout).Should().BeTrue("a turn blocked past the threshold is reported while it runs");

        // Keep the turn blocked until it has lasted twice the threshold and the watcher looked at it several more times:
        // a detector that reported each look, or each threshold, would have reported again by now.
        var held = Stopwatch.StartNew();
        long looks = PreemptClock.Looks;
        SpinWait.SpinUntil(() => PreemptClock.Looks >= looks + 5 && held.Elapsed >= 2 * threshold, Bounded.Timeout).Should().BeTrue();
        release.Set();
        await stalling.Within("the stalled task to finish");
        await executor.Spawn(batch, () => { }).Within("a turn after the stall");

        reports.Should().ContainSingle();
        reports.TryPeek(out ExecutorStalledEventArgs? report).Should().BeTrue();
        report!.Executor.Should().BeSameAs(executor);
        report.TaskQueueName.Should().Be("batch");
        report.WorkType!.Name.Should().Contain("<BlockAsync>", "the type is the async method's state machine");
        report.WorkDescription.Should().Be("async method ThreadPerCore.Tests.Diagnostics.StallingWork.BlockAsync");
        report.Duration.Should().BeGreaterThanOrEqualTo(threshold);
        report.SuppressedReports.Should().Be(0);
        report.ToString().Should().Contain("Executor 'stalls' stalled: async method").And.Contain("in task queue 'batch'");
        executor.GetStats().Stalls.Should().Be(1);
    }

    [Fact]
    public async Task A_spawned_delegate_that_stalls_is_named_by_its_lambda()
    {
        await using LocalExecutor executor = Start(TimeSpan.FromMilliseconds(30));
        var report = new TaskCompletionSource<ExecutorStalledEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.Stalled += (_, e) => report.TrySetResult(e);
        using var release = new ManualResetEventSlim();

        LocalTask<int> stalling = executor.Spawn(() => StallingWork.BlockInLambda(release));
        ExecutorStalledEventArgs e = await report.Task.Within("the stall report");
        release.Set();
        (await stalling.Within("the stalled delegate")).Should().Be(1);

        e.TaskQueueName.Should().Be("default");
        e.WorkDescription.Should().Be("lambda in ThreadPerCore.Tests.Diagnostics.StallDetectionTests.A_spawned_delegate_that_stalls_is_named_by_its_lambda");
        e.WorkType!.DeclaringType.Should().Be<StallDetectionTests>("a lambda's type is its closure class");
    }

    [Fact]
    public async Task A_loop_of_short_turns_reports_nothing_even_when_it_is_busy_longer_than_the_threshold()
    {
        TimeSpan threshold = TimeSpan.FromMilliseconds(250);
        await using LocalExecutor executor = Start(threshold);
        int reports = 0;
        executor.Stalled += (_, _) => Interlocked.Increment(ref reports);

        // Busy for four thresholds in turns of microseconds: stalls are about one turn, not about a busy core.
        long yields = await executor.Spawn(() => StallingWork.YieldForAsync(4 * threshold)).Within("the yield loop");

        yields.Should().BeGreaterThan(100);
        executor.GetStats().Stalls.Should().Be(0);
        Volatile.Read(ref reports).Should().Be(0);
    }

    [Fact]
    public async Task Reports_beyond_the_rate_limit_are_counted_but_not_raised()
    {
        await using LocalExecutor executor = Start(TimeSpan.FromMilliseconds(30), reportsPerMinute: 2);
        var reports = new ConcurrentQueue<ExecutorStalledEventArgs>();
        using var reportedTwice = new CountdownEvent(2);
        executor.Stalled += (_, e) =>
        {
            reports.Enqueue(e);
            reportedTwice.Signal();
        };

        for (int stall = 1; stall <= 3; stall++)
        {
            using var release = new ManualResetEventSlim();
            LocalTask<int> stalling = executor.Spawn(() => StallingWork.BlockInLambda(release));
            int expected = stall;
            SpinWait.SpinUntil(() => executor.GetStats().Stalls == expected, Bounded.Timeout)
                .Should().BeTrue($"stall {stall} is counted while it runs");
            release.Set();
            await stalling.Within($"stall {stall} to end");
        }

        reportedTwice.Wait(Bounded.Timeout).Should().BeTrue("the first two stalls are reported");
        await executor.Drain();
        executor.GetStats().Stalls.Should().Be(3);
        reports.Should().HaveCount(2, "two reports a minute are allowed; the third stall is only counted");
    }

    [Fact]
    public async Task An_infinite_threshold_turns_detection_off()
    {
        await using LocalExecutor executor = Start(Timeout.InfiniteTimeSpan);
        int reports = 0;
        executor.Stalled += (_, _) => Interlocked.Increment(ref reports);
        using var release = new ManualResetEventSlim();
        using var blocking = new ManualResetEventSlim();

        LocalTask<int> stalling = executor.Spawn(() =>
        {
            blocking.Set();
            return StallingWork.BlockInLambda(release);
        });
        blocking.Wait(Bounded.Timeout).Should().BeTrue();
        var held = Stopwatch.StartNew();
        long looks = PreemptClock.Looks;
        SpinWait.SpinUntil(() => PreemptClock.Looks >= looks + 5 && held.Elapsed >= TimeSpan.FromMilliseconds(100), Bounded.Timeout).Should().BeTrue();
        release.Set();
        await stalling.Within("the blocked delegate");

        executor.GetStats().Stalls.Should().Be(0);
        Volatile.Read(ref reports).Should().Be(0);
    }

    /// <summary>A timer fires in a turn of its own, between items: that turn must open and close like any other, or
    /// the watcher would take the turns after it for the pauses between turns.</summary>
    [Fact]
    public async Task A_turn_that_stalls_after_a_timer_fired_is_still_reported()
    {
        await using LocalExecutor executor = Start(TimeSpan.FromMilliseconds(50));
        using var reported = new ManualResetEventSlim();
        executor.Stalled += (_, _) => reported.Set();
        using var release = new ManualResetEventSlim();

        LocalTask stalling = executor.Start(() => StallingWork.BlockAfterASleepAsync(executor, release));
        bool seen = reported.Wait(TimeSpan.FromSeconds(10));
        release.Set();
        await stalling.Within("the stalled task to finish");

        seen.Should().BeTrue("the turn blocked after the sleep's timer fired is reported while it runs");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_threshold_that_is_neither_positive_nor_infinite_is_refused(int milliseconds)
    {
        Action start = () => new LocalExecutor(new LocalExecutorOptions { StallThreshold = TimeSpan.FromMilliseconds(milliseconds) }).Dispose();
        start.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("options.StallThreshold");
    }

    [Fact]
    public void A_negative_report_limit_is_refused()
    {
        Action start = () => new LocalExecutor(new LocalExecutorOptions { StallReportsPerMinute = -1 }).Dispose();
        start.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("options.StallReportsPerMinute");
    }
}

/// <summary>Work that stalls its executor on purpose, with names the reports must show.</summary>
internal static class StallingWork
{
    public static async LocalTask BlockAsync(ManualResetEventSlim release)
    {
        await LocalExecutor.Yield(); // the stall happens in a later poll, not in the first
        release.Wait(Bounded.Timeout);
    }

    public static async LocalTask BlockAfterASleepAsync(LocalExecutor executor, ManualResetEventSlim release)
    {
        await executor.Sleep(TimeSpan.FromMilliseconds(1));
        release.Wait(Bounded.Timeout);
    }

    public static int BlockInLambda(ManualResetEventSlim release) => release.Wait(Bounded.Timeout) ? 1 : 0;

    public static async LocalTask<long> YieldForAsync(TimeSpan busy)
    {
        var watch = Stopwatch.StartNew();
        long yields = 0;
        while (watch.Elapsed < busy)
        {
            await LocalExecutor.Yield();
            yields++;
        }

        return yields;
    }
}
