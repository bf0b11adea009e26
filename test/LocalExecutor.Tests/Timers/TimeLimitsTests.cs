using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Timers;

/// <summary>
/// Times at the edge of the range: every time argument saturates to "never" instead of overflowing a deadline into the
/// past, and no timer can keep the loop from returning to its work (and to its stop request).
/// </summary>
public sealed class TimeLimitsTests
{
    [Fact]
    public void Deadlines_saturate_to_never_instead_of_wrapping_into_the_past()
    {
        long now = LocalExecutor.PreciseNow();

        Deadlines.After(now, TimeSpan.MaxValue).Should().Be(Deadlines.Never);
        Deadlines.After(now, Timeout.InfiniteTimeSpan).Should().Be(Deadlines.Never);
        Deadlines.After(Deadlines.Never - 1, 10L).Should().Be(Deadlines.Never);
        Deadlines.After(now, TimeSpan.FromSeconds(1)).Should().BeGreaterThan(now);
        Deadlines.ToTicks(TimeSpan.MaxValue).Should().Be(Deadlines.MaxTicks);
        Deadlines.Saturate(TimeSpan.MaxValue).Should().Be(Deadlines.Longest);
        Deadlines.Longest.Should().BeGreaterThan(TimeSpan.FromDays(365 * 10), "a decade or more still counts as itself");
    }

    [Fact]
    public async Task A_sleep_of_TimeSpan_MaxValue_does_not_end_before_a_short_one_and_Dispose_cancels_it()
    {
        var executor = new LocalExecutor();
        try
        {
            LocalTask forever = executor.Sleep(TimeSpan.MaxValue);
            await executor.Sleep(TimeSpan.FromMilliseconds(20)).Within("a short sleep armed after it");

            forever.IsCompleted.Should().BeFalse("a deadline beyond the clock's range is never, not an overflow into the past");
            executor.GetStats().PendingTimers.Should().Be(1);
        }
        finally
        {
            await executor.DisposeAsync().AsTask().Within("the executor to stop");
        }
    }

    [Fact]
    public async Task WithTimeout_of_TimeSpan_MaxValue_never_times_out()
    {
        await using var executor = new LocalExecutor();
        var source = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> inner = executor.Spawn(async () => await source.Task);

        LocalTask<int> bounded = inner.WithTimeout(TimeSpan.MaxValue);
        await executor.Sleep(TimeSpan.FromMilliseconds(20)).Within("a short sleep armed after it");

        bounded.IsCompleted.Should().BeFalse("the timeout must not expire at once");
        source.SetResult(5);
        (await bounded.Within("the bounded task")).Should().Be(5);
    }

    [Fact]
    public async Task Dynamic_shares_with_a_period_of_TimeSpan_MaxValue_ask_once_and_leave_the_executor_free()
    {
        var executor = new LocalExecutor();
        try
        {
            int asked = 0;
            TaskQueueHandle queue = executor.CreateTaskQueue(
                "steady",
                Shares.Dynamic(() => Interlocked.Increment(ref asked) > 0 ? 500 : 1, TimeSpan.MaxValue),
                Latency.NotImportant);

            (await executor.Spawn(queue, () => 7).Within("work in the queue (a livelocked executor never runs it)")).Should().Be(7);
            await executor.Drain();

            Volatile.Read(ref asked).Should().Be(1, "asked when the shares were applied, and never again");
            queue.CurrentShares.Should().Be(500);
        }
        finally
        {
            await executor.DisposeAsync().AsTask().Within("the executor to stop");
        }
    }

    [Fact]
    public async Task A_timer_that_rearms_itself_in_the_past_cannot_keep_the_loop_from_its_work()
    {
        var executor = new LocalExecutor();
        var timer = new RearmingIntoThePast(executor);
        try
        {
            await executor.OnExecutor(() =>
            {
                timer.Deadline = LocalExecutor.PreciseNow() - 1;
                executor.ArmTimer(timer);
            });

            (await executor.Spawn(() => 3).Within("work beside the timer")).Should().Be(3);
            Volatile.Read(ref timer.Fired).Should().BeGreaterThan(0);
        }
        finally
        {
            timer.Stop = true;
            await executor.DisposeAsync().AsTask().Within("the executor to stop");
        }
    }

    [Fact]
    public async Task A_PreemptTimeSlice_of_TimeSpan_MaxValue_never_asks_for_preemption()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { PreemptTimeSlice = TimeSpan.MaxValue });

        bool needsPreempt = await executor.OnExecutor(() => LocalExecutor.NeedsPreempt);

        needsPreempt.Should().BeFalse("a slice too long to count is endless, not a deadline wrapped into the past");
    }

    [Fact]
    public async Task A_SpinBeforePark_of_TimeSpan_MaxValue_spins_instead_of_parking_and_still_fires_timers_and_stops()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions { SpinBeforePark = TimeSpan.MaxValue });
        try
        {
            await executor.Sleep(TimeSpan.FromMilliseconds(10)).Within("a timer while spinning");
            await executor.Drain();

            executor.GetStats().Parks.Should().Be(0, "an endless spin never parks");
        }
        finally
        {
            await executor.DisposeAsync().AsTask().Within("the spinning executor to stop");
        }
    }

    /// <summary>A timer that, each time it fires, arms itself again at a deadline already passed (as the dynamic-shares
    /// timer did when its deadline overflowed).</summary>
    private sealed class RearmingIntoThePast : TimerEntry
    {
        public int Fired;
        public volatile bool Stop;

        public RearmingIntoThePast(LocalExecutor executor)
            : base(executor)
        {
        }

        public override void OnDue(LocalExecutor executor, long now)
        {
            Fired++;
            if (!Stop)
            {
                Deadline = now - 1;
                executor.ArmOnOwner(this);
            }
        }
    }
}
