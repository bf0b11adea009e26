using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>
/// Deadlocks that fail instead of hanging: executors whose threads block on each other in the library's blocking calls
/// (Send, RemoveTaskQueue, Dispose) get an exception naming the cycle, and Dispose of an executor whose thread does not
/// return gives up after <see cref="LocalExecutorOptions.ShutdownTimeout"/> with an exception saying what it does.
/// </summary>
public sealed class BlockingTests
{
    /// <summary>How early a timed wait may return by the stopwatch: its timer counts whole milliseconds of a coarser clock
    /// (a fresh-clone CI run saw a 500 ms wait end after 499.2 ms).</summary>
    private static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(15);

    [Fact]
    public async Task Two_executors_sending_into_each_other_fail_with_an_exception_that_names_the_cycle()
    {
        LocalExecutor a = Executors.Start("send-a");
        LocalExecutor b = Executors.Start("send-b");
        try
        {
            using var release = new ManualResetEventSlim();
            using var aBusy = new ManualResetEventSlim();
            Task<Exception?> aSends = a.Spawn(() =>
            {
                aBusy.Set();
                release.Wait(Bounded.Timeout);
                return Catch(() => b.SynchronizationContext.Send(_ => { }, null));
            }).AsTask();
            aBusy.Wait(Bounded.Timeout).Should().BeTrue();

            bool bsCallbackRan = false;
            Task<Exception?> bSends = b.Spawn(() => Catch(() => a.SynchronizationContext.Send(_ => bsCallbackRan = true, null))).AsTask();
            await WaitUntil(() => a.GetStats().InboxLength == 1, "b's Send to reach a (b is then blocked on a)");
            release.Set();

            Exception? failure = await aSends.Within("a's Send (it would wait forever for b, which waits for a)");
            failure.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be(
                "Send into executor 'send-b' from the thread of executor 'send-a' would deadlock: 'send-b' is blocked in Send into executor 'send-a'. "
                + "An executor thread must not block on an executor that waits for it; use Post, or await a Spawn, instead of Send.");
            (await bSends.Within("b's Send, run by a once a's work returned")).Should().BeNull();
            bsCallbackRan.Should().BeTrue();

            // Neither keeps a wait it no longer has: a refused or a finished Send leaves no announcement behind, so Sends
            // one at a time in either direction (b first: a's refused one was the last) are no cycle.
            (await b.Spawn(() => Catch(() => a.SynchronizationContext.Send(_ => { }, null))).Within("b's Send into a, alone")).Should().BeNull();
            (await a.Spawn(() => Catch(() => b.SynchronizationContext.Send(_ => { }, null))).Within("a's Send into b, alone")).Should().BeNull();
        }
        finally
        {
            await Task.WhenAll(a.DisposeAsync().AsTask(), b.DisposeAsync().AsTask()).Within("both executors to stop");
        }
    }

    [Fact]
    public async Task Executors_that_start_sending_into_each_other_at_the_same_time_never_both_hang()
    {
        LocalExecutor a = Executors.Start("race-a");
        LocalExecutor b = Executors.Start("race-b");
        try
        {
            const int Rounds = 200;
            int refusals = 0;
            for (int round = 0; round < Rounds; round++)
            {
                using var together = new Barrier(2);
                Task<Exception?> SendInto(LocalExecutor from, LocalExecutor to) => from.Spawn(() =>
                {
                    together.SignalAndWait();
                    return Catch(() => to.SynchronizationContext.Send(_ => { }, null));
                }).AsTask();

                Task<Exception?> aSends = SendInto(a, b);
                Task<Exception?> bSends = SendInto(b, a);
                Exception?[] outcomes = await Task.WhenAll(aSends, bSends).Within($"round {round}: both Sends (a deadlock hangs them)");

                int failed = Array.FindAll(outcomes, e => e is not null).Length;
                failed.Should().BeGreaterThanOrEqualTo(1, $"round {round}: both waited for each other, so at least one must see the cycle");
                Array.FindAll(outcomes, e => e is not null and not InvalidOperationException).Should().BeEmpty();
                refusals += failed;
            }

            refusals.Should().BeGreaterThanOrEqualTo(Rounds);
        }
        finally
        {
            await Task.WhenAll(a.DisposeAsync().AsTask(), b.DisposeAsync().AsTask()).Within("both executors to stop");
        }
    }

    [Fact]
    public async Task A_cycle_through_three_executors_is_detected()
    {
        LocalExecutor a = Executors.Start("ring-a");
        LocalExecutor b = Executors.Start("ring-b");
        LocalExecutor c = Executors.Start("ring-c");
        try
        {
            using var release = new ManualResetEventSlim();
            using var aBusy = new ManualResetEventSlim();
            Task<Exception?> aSends = a.Spawn(() =>
            {
                aBusy.Set();
                release.Wait(Bounded.Timeout);
                return Catch(() => b.SynchronizationContext.Send(_ => { }, null));
            }).AsTask();
            aBusy.Wait(Bounded.Timeout).Should().BeTrue();
            Task<Exception?> cSends = c.Spawn(() => Catch(() => a.SynchronizationContext.Send(_ => { }, null))).AsTask();
            await WaitUntil(() => a.GetStats().InboxLength == 1, "c to block on a");
            Task<Exception?> bSends = b.Spawn(() => Catch(() => c.SynchronizationContext.Send(_ => { }, null))).AsTask();
            await WaitUntil(() => c.GetStats().InboxLength == 1, "b to block on c");
            release.Set();

            Exception? failure = await aSends.Within("a's Send into b");
            failure.Should().BeOfType<InvalidOperationException>()
                .Which.Message.Should().StartWith(
                    "Send into executor 'ring-b' from the thread of executor 'ring-a' would deadlock: "
                    + "'ring-b' is blocked in Send into executor 'ring-c', 'ring-c' is blocked in Send into executor 'ring-a'. An executor thread");
            (await cSends.Within("c's Send")).Should().BeNull();
            (await bSends.Within("b's Send")).Should().BeNull();
        }
        finally
        {
            await Task.WhenAll(a.DisposeAsync().AsTask(), b.DisposeAsync().AsTask(), c.DisposeAsync().AsTask()).Within("the executors to stop");
        }
    }

    [Fact]
    public async Task Dispose_of_an_executor_whose_thread_does_not_return_throws_ShutdownTimeoutException_after_the_timeout()
    {
        TimeSpan timeout = TimeSpan.FromMilliseconds(200);
        var executor = new LocalExecutor(new LocalExecutorOptions { Name = "stuck", ShutdownTimeout = timeout, DrainTimeout = TimeSpan.Zero });
        using ManualResetEventSlim release = executor.Occupy();

        var clock = Stopwatch.StartNew();
        ShutdownTimeoutException failure = (await FluentActions.Awaiting(() => Task.Run(() => executor.Dispose()).Within("Dispose to give up"))
            .Should().ThrowAsync<ShutdownTimeoutException>()).Which;

        clock.Elapsed.Should().BeGreaterThanOrEqualTo(timeout - TimerSlack);
        failure.ExecutorName.Should().Be("stuck");
        failure.Timeout.Should().Be(timeout);
        failure.ThreadActivity.Should().Contain("running a work item that has not returned to the loop").And.Contain("WaitSleepJoin");
        failure.Message.Should().Contain("'stuck' did not stop within 0.2 s")
            .And.EndWith("The stop stays requested: the executor stops when its thread returns to the loop, and disposing again waits again.");
        executor.Completion.IsCompleted.Should().BeFalse("the thread is still in the work item");

        release.Set();
        await executor.Completion.Within("the stop, once the work item returned: it stayed requested");
        executor.Dispose(); // now it joins at once
        executor.Thread.IsAlive.Should().BeFalse();
    }

    [Fact]
    public async Task A_shutdown_with_a_drain_deadline_waits_for_the_drain_and_then_the_shutdown_timeout_before_it_gives_up()
    {
        TimeSpan drain = TimeSpan.FromMilliseconds(300);
        TimeSpan timeout = TimeSpan.FromMilliseconds(200);
        var executor = new LocalExecutor(new LocalExecutorOptions { Name = "stuck-draining", ShutdownTimeout = timeout });
        using ManualResetEventSlim release = executor.Occupy();

        var clock = Stopwatch.StartNew();
        ShutdownTimeoutException failure = (await FluentActions.Awaiting(() => executor.ShutdownAsync(drain).Within("the shutdown to give up"))
            .Should().ThrowAsync<ShutdownTimeoutException>()).Which;

        clock.Elapsed.Should().BeGreaterThanOrEqualTo(drain + timeout - TimerSlack, "the work in flight had the drain, then the thread the shutdown timeout");
        failure.Timeout.Should().BeGreaterThan(drain + timeout - TimeSpan.FromMilliseconds(100), "what it waited is the drain left plus the timeout")
            .And.BeLessThanOrEqualTo(drain + timeout);
        release.Set();
        await executor.Completion.Within("the stop, once the work item returned");
        executor.Dispose();
    }

    [Fact]
    public async Task With_an_infinite_shutdown_timeout_a_shutdown_waits_past_its_drain_deadline_for_a_thread_that_returns_late()
    {
        TimeSpan drain = TimeSpan.FromMilliseconds(100);
        var executor = new LocalExecutor(new LocalExecutorOptions { Name = "late-return", ShutdownTimeout = Timeout.InfiniteTimeSpan });
        using ManualResetEventSlim release = executor.Occupy();

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(drain);
        // Past the deadline by three times its length, and still waiting: nothing bounds the wait for the thread. Awaited,
        // not spun: a spinning test thread holds a thread-pool thread the shutdown's own timed wait may need to fail.
        await Task.WhenAny(shutdown, Task.Delay(4 * drain));
        shutdown.IsCompleted.Should().BeFalse("the thread is still in its work item and the shutdown timeout is infinite");
        release.Set();

        await shutdown.Within("the shutdown, once the work item returned");
        executor.Thread.IsAlive.Should().BeFalse();
    }

    [Fact]
    public async Task DisposeAsync_of_an_executor_whose_thread_does_not_return_throws_ShutdownTimeoutException_too()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions { Name = "stuck-async", ShutdownTimeout = TimeSpan.FromMilliseconds(100), DrainTimeout = TimeSpan.Zero });
        using ManualResetEventSlim release = executor.Occupy();

        await FluentActions.Awaiting(() => executor.DisposeAsync().AsTask().Within("DisposeAsync to give up"))
            .Should().ThrowAsync<ShutdownTimeoutException>().WithMessage("*'stuck-async'*");

        release.Set();
        await executor.DisposeAsync().AsTask().Within("the second DisposeAsync");
        executor.Thread.IsAlive.Should().BeFalse();
    }

    [Fact]
    public async Task The_timeout_of_an_executor_blocked_in_Send_says_which_executor_it_waits_for()
    {
        LocalExecutor target = Executors.Start("busy-target");
        var sender = new LocalExecutor(new LocalExecutorOptions { Name = "blocked-sender", ShutdownTimeout = TimeSpan.FromMilliseconds(100), DrainTimeout = TimeSpan.Zero });
        using ManualResetEventSlim release = target.Occupy();
        try
        {
            sender.Post(() => target.SynchronizationContext.Send(_ => { }, null));
            await WaitUntil(() => target.GetStats().InboxLength == 1, "the sender to block in Send");

            (await FluentActions.Awaiting(() => Task.Run(() => sender.Dispose()).Within("Dispose to give up"))
                .Should().ThrowAsync<ShutdownTimeoutException>())
                .Which.ThreadActivity.Should().Contain("blocked in Send into executor 'busy-target', 'busy-target' is not blocked on another executor");
        }
        finally
        {
            release.Set();
            await Task.WhenAll(sender.DisposeAsync().AsTask(), target.DisposeAsync().AsTask()).Within("both executors to stop");
        }
    }

    [Fact]
    public async Task Dispose_from_the_executor_that_the_disposed_one_is_blocked_on_fails_at_once()
    {
        LocalExecutor a = Executors.Start("disposer");
        LocalExecutor b = Executors.Start("blocked-on-disposer");
        using var release = new ManualResetEventSlim();
        using var aBusy = new ManualResetEventSlim();
        try
        {
            Task<Exception?> aDisposesB = a.Spawn(() =>
            {
                aBusy.Set();
                release.Wait(Bounded.Timeout);
                return Catch(() => b.Dispose());
            }).AsTask();
            aBusy.Wait(Bounded.Timeout).Should().BeTrue();
            b.Post(() => a.SynchronizationContext.Send(_ => { }, null));
            await WaitUntil(() => a.GetStats().InboxLength == 1, "b to block on a");
            release.Set();

            (await aDisposesB.Within("a's Dispose of b (waiting would deadlock)"))
                .Should().BeOfType<InvalidOperationException>()
                .Which.Message.Should().Contain("Dispose of executor 'blocked-on-disposer' from the thread of executor 'disposer' would deadlock");
            await b.Completion.Within("b to stop once a ran its Send: the stop stayed requested");
        }
        finally
        {
            await Task.WhenAll(a.DisposeAsync().AsTask(), b.DisposeAsync().AsTask()).Within("both executors to stop");
        }
    }

    [Fact]
    public async Task RemoveTaskQueue_from_the_executor_that_the_owner_is_blocked_on_fails_at_once_naming_the_call()
    {
        LocalExecutor a = Executors.Start("remover");
        LocalExecutor b = Executors.Start("blocked-on-remover");
        TaskQueueHandle queue = b.CreateTaskQueue("to-remove");
        ManualResetEventSlim release = a.Occupy();
        try
        {
            Task<Exception?> aRemoves = a.Spawn(() => Catch(() => b.RemoveTaskQueue(queue))).AsTask();
            b.Post(() => a.SynchronizationContext.Send(_ => { }, null));
            await WaitUntil(() => a.GetStats().InboxLength == 2, "b to block on a");
            release.Set();

            (await aRemoves.Within("a's RemoveTaskQueue on b (waiting would deadlock)"))
                .Should().BeOfType<InvalidOperationException>()
                .Which.Message.Should().StartWith(
                    "RemoveTaskQueue on executor 'blocked-on-remover' from the thread of executor 'remover' would deadlock: "
                    + "'blocked-on-remover' is blocked in Send into executor 'remover'.");
        }
        finally
        {
            release.Set();
            await Task.WhenAll(a.DisposeAsync().AsTask(), b.DisposeAsync().AsTask()).Within("both executors to stop");
            release.Dispose();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void A_ShutdownTimeout_that_is_neither_positive_nor_infinite_is_rejected(int milliseconds)
    {
        FluentActions.Invoking(() => new LocalExecutor(new LocalExecutorOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(milliseconds) }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.ShutdownTimeout");
    }

    [Fact]
    public async Task A_ShutdownTimeout_too_long_for_a_wait_means_waiting_forever()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions { ShutdownTimeout = TimeSpan.MaxValue });
        await Task.Run(() => executor.Dispose()).Within("Dispose of an idle executor");
        executor.Thread.IsAlive.Should().BeFalse();
    }

    private static Exception? Catch(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        await Task.Run(async () =>
        {
            while (!condition())
            {
                await Task.Delay(1);
            }
        }).Within(what);
    }
}
