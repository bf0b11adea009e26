using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Tests.Scheduling;
using Xunit;

namespace ThreadPerCore.Tests.Timers;

public sealed class TimerTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)] // parks on a semaphore: the timed park times out with nobody to notify it
    public async Task Sleep_completes_on_the_core_no_earlier_than_its_delay(bool reactor)
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { EnableReactor = reactor });

        (TimeSpan elapsed, bool onCore) = await executor.Start(() => SleepAsync()).Within("the sleep");

        elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(50));
        onCore.Should().BeTrue();
        executor.GetStats().TimersFired.Should().BeGreaterThanOrEqualTo(1);

        static async LocalTask<(TimeSpan, bool)> SleepAsync()
        {
            var clock = Stopwatch.StartNew();
            await LocalExecutor.Delay(TimeSpan.FromMilliseconds(50));
            return (clock.Elapsed, LocalExecutor.Current is not null);
        }
    }

    [Fact]
    public async Task Sleep_from_another_thread_is_armed_through_the_inbox()
    {
        await using var executor = new LocalExecutor();
        var clock = Stopwatch.StartNew();

        await executor.Sleep(TimeSpan.FromMilliseconds(30)).Within("the sleep");

        clock.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(30));
        executor.GetStats().PendingTimers.Should().Be(0);
    }

    [Fact]
    public async Task Timers_fire_on_the_executor_thread_in_deadline_order()
    {
        await using var executor = new LocalExecutor();
        var fired = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timers = new List<ITimer>();

        await executor.Spawn(() =>
        {
            void Add(string name, int ms) => timers.Add(executor.CreateTimer(
                _ =>
                {
                    fired.Add(executor.IsOwnerThread ? name : name + " (off the core)");
                    if (fired.Count == 5)
                    {
                        done.SetResult();
                    }
                },
                null,
                TimeSpan.FromMilliseconds(ms),
                Timeout.InfiniteTimeSpan));

            Add("40 ms", 40);
            Add("10 ms, first", 10);
            Add("25 ms", 25);
            Add("10 ms, second", 10);
            Add("0 ms", 0);
            return 0;
        }).Within("creating the timers");

        await done.Task.Within("the timers");
        fired.Should().Equal("0 ms", "10 ms, first", "10 ms, second", "25 ms", "40 ms");
    }

    [Fact]
    public async Task A_timer_disposed_on_the_core_never_calls_back_even_when_already_due()
    {
        await using var executor = new LocalExecutor();
        int calls = 0;

        long firedBeforeDispose = await executor.Start(() => DisposeWhenDueAsync(executor, () => calls++)).Within("the timer dance");
        await executor.Sleep(TimeSpan.FromMilliseconds(50)).Within("a later sleep");
        int callsAfter = await executor.Spawn(() => calls).Within("reading the count");

        firedBeforeDispose.Should().BeGreaterThanOrEqualTo(1, "the timer came due and its call was queued before the dispose");
        callsAfter.Should().Be(0);

        static async LocalTask<long> DisposeWhenDueAsync(LocalExecutor executor, Action onCall)
        {
            long firedBefore = executor.GetStats().TimersFired;
            ITimer timer = executor.CreateTimer(_ => onCall(), null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
            Timing.Spin(TimeSpan.FromMilliseconds(20)); // the deadline passes while this item runs
            // Yield (to the back of the queue) until the loop has fired the timer: a yield alone does not end the
            // slice, but the preemption check that follows it sees the passed deadline within a bounded number of
            // tries; the fired timer then queues its call behind this continuation. (Inline, not in a helper
            // method: the helper's completion would queue this method's continuation behind the call.)
            for (int yields = 0; executor.GetStats().TimersFired == firedBefore; yields++)
            {
                yields.Should().BeLessThan(1_000_000, "the loop fires a due timer within a bounded number of yields");
                await LocalExecutor.Yield();
            }
            long fired = executor.GetStats().TimersFired - firedBefore;
            timer.Dispose();
            return fired;
        }
    }

    [Fact]
    public async Task Change_on_the_core_drops_a_queued_call_and_rearms()
    {
        await using var executor = new LocalExecutor();
        var calls = new List<long>();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await executor.Start(() => ChangeWhenDueAsync(executor, calls, second)).Within("the change");
        await second.Task.Within("the re-armed call");

        calls.Should().HaveCount(1, "the call queued before Change was dropped; only the re-armed one ran");

        static async LocalTask<int> ChangeWhenDueAsync(LocalExecutor executor, List<long> calls, TaskCompletionSource second)
        {
            long firedBefore = executor.GetStats().TimersFired;
            ITimer timer = executor.CreateTimer(_ => { calls.Add(Stopwatch.GetTimestamp()); second.TrySetResult(); }, null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
            Timing.Spin(TimeSpan.FromMilliseconds(20));
            // Yield (to the back of the queue) until the loop has fired the timer: a yield alone does not end the
            // slice, but the preemption check that follows it sees the passed deadline within a bounded number of
            // tries; the fired timer then queues its call behind this continuation. (Inline, not in a helper
            // method: the helper's completion would queue this method's continuation behind the call.)
            for (int yields = 0; executor.GetStats().TimersFired == firedBefore; yields++)
            {
                yields.Should().BeLessThan(1_000_000, "the loop fires a due timer within a bounded number of yields");
                await LocalExecutor.Yield();
            }
            timer.Change(TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan).Should().BeTrue();
            return 0;
        }
    }

    [Fact]
    public async Task A_repeating_timer_calls_back_on_the_core_until_disposed()
    {
        await using var executor = new LocalExecutor();
        int ticks = 0;
        bool offCore = false;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ITimer? timer = null;

        await executor.Spawn(() =>
        {
            timer = executor.CreateTimer(
                _ =>
                {
                    offCore |= !executor.IsOwnerThread;
                    if (++ticks == 5)
                    {
                        timer!.Dispose(); // on the core: no call after this returns
                        done.SetResult();
                    }
                },
                null,
                TimeSpan.FromMilliseconds(5),
                TimeSpan.FromMilliseconds(5));
            return 0;
        }).Within("starting the timer");

        await done.Task.Within("five ticks");
        await executor.Sleep(TimeSpan.FromMilliseconds(40)).Within("a later sleep");
        int final = await executor.Spawn(() => ticks).Within("reading the count");

        final.Should().Be(5);
        offCore.Should().BeFalse();
    }

    [Fact]
    public async Task Task_Delay_with_the_executor_TimeProvider_resumes_on_the_core_from_its_timer()
    {
        await using var executor = new LocalExecutor();
        long firedBefore = executor.GetStats().TimersFired;

        (bool onCore, TimeSpan elapsed) = await executor.Spawn(() => DelayAsync(executor)).Within("Task.Delay");

        onCore.Should().BeTrue();
        elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(30));
        (executor.GetStats().TimersFired - firedBefore).Should().BeGreaterThanOrEqualTo(1, "the delay came from the executor's own timers");
        executor.TimeProvider.Should().BeOfType<LocalTimeProvider>().Which.Executor.Should().BeSameAs(executor);

        static async Task<(bool, TimeSpan)> DelayAsync(LocalExecutor executor)
        {
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromMilliseconds(30), executor.TimeProvider);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(5), executor.TimeProvider);
            var cancelled = new TaskCompletionSource();
            using (cts.Token.Register(() => cancelled.SetResult()))
            {
                await cancelled.Task;
            }

            return (executor.IsOwnerThread, clock.Elapsed);
        }
    }

    [Fact]
    public async Task Sleep_is_cancelled_by_its_token_and_its_timer_removed()
    {
        await using var executor = new LocalExecutor();
        using var cts = new CancellationTokenSource();
        LocalTask sleep = executor.Sleep(TimeSpan.FromHours(1), cts.Token);
        await Timing.UntilAsync(() => executor.GetStats().PendingTimers == 1, "the timer to be armed");

        await cts.CancelAsync();

        Func<Task> awaitSleep = () => sleep.Within("the cancelled sleep");
        (await awaitSleep.Should().ThrowAsync<OperationCanceledException>()).Which.CancellationToken.Should().Be(cts.Token);
        executor.GetStats().PendingTimers.Should().Be(0);
    }

    [Fact]
    public async Task WithTimeout_passes_a_timely_result_through()
    {
        await using var executor = new LocalExecutor();

        int result = await executor.Start(() => QuickAsync()).WithTimeout(TimeSpan.FromSeconds(10)).Within("the bounded task");

        result.Should().Be(42);
        await Timing.UntilAsync(() => executor.GetStats().PendingTimers == 0, "the timeout's timer to be disarmed");

        static async LocalTask<int> QuickAsync()
        {
            await LocalExecutor.Delay(TimeSpan.FromMilliseconds(5));
            return 42;
        }
    }

    [Fact]
    public async Task WithTimeout_fails_with_TimeoutException_and_cancels_the_slow_task()
    {
        await using var executor = new LocalExecutor();
        LocalTask<int> slow = executor.Start(() => SlowAsync());

        Func<Task> bounded = () => slow.WithTimeout(TimeSpan.FromMilliseconds(30)).Within("the bounded task");

        await bounded.Should().ThrowAsync<TimeoutException>();
        Func<Task> awaitSlow = () => slow.Within("the slow task");
        await awaitSlow.Should().ThrowAsync<OperationCanceledException>("the timeout cancels what it bounds");

        static async LocalTask<int> SlowAsync()
        {
            await LocalExecutor.Delay(TimeSpan.FromHours(1));
            return 1;
        }
    }

    [Fact]
    public async Task Shutdown_cancels_pending_sleeps()
    {
        var executor = new LocalExecutor();
        LocalTask sleep = executor.Sleep(TimeSpan.FromHours(1));
        await Timing.UntilAsync(() => executor.GetStats().PendingTimers == 1, "the timer to be armed");

        await executor.DisposeAsync();

        Func<Task> awaitSleep = () => sleep.Within("the sleep");
        await awaitSleep.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public void Delay_off_an_executor_thread_says_what_to_use_instead()
    {
        Action delay = () => _ = LocalExecutor.Delay(TimeSpan.FromMilliseconds(1));
        delay.Should().Throw<InvalidOperationException>().WithMessage("*executor.Sleep*");
    }
}
