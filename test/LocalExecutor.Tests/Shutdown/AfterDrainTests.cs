using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Shutdown;

/// <summary>What happens once the drain is over and shutdown cancels what is left: the continuations that cancelling
/// releases run on the core, before the executor leaves it; work that keeps re-queueing itself gets a bounded number of
/// turns there and then finishes on the thread pool; and every task ended in that phase is in the report.</summary>
public sealed class AfterDrainTests
{
    private static readonly TimeSpan ShortDeadline = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task A_continuation_released_by_cancelling_a_task_at_the_deadline_runs_on_the_core()
    {
        LocalExecutor executor = Executors.Start(nameof(A_continuation_released_by_cancelling_a_task_at_the_deadline_runs_on_the_core));
        var never = new TaskCompletionSource();
        LocalTask<int> stuck = executor.Start(() => DrainTests.WaitForeverAsync(never.Task));
        Task<bool> resumedOnCore = await executor.OnExecutor(() => ResumesOnCoreAfterAsync(stuck, executor));

        ShutdownReport report = await executor.ShutdownAsync(ShortDeadline).Within("the shutdown");

        report.DeadlineReached.Should().BeTrue("the awaited task never finishes");
        stuck.IsCanceled.Should().BeTrue();
        (await resumedOnCore.Within("the awaiting method")).Should().BeTrue(
            "the cancellation at the deadline queues its awaiter on the core, and the core runs what is queued before it leaves the executor");
        executor.LateWorkItems.Should().Be(0, "nothing was handed to the thread pool");
    }

    [Fact]
    public async Task A_sleep_cancelled_at_the_deadline_resumes_its_awaiter_on_the_core()
    {
        LocalExecutor executor = Executors.Start(nameof(A_sleep_cancelled_at_the_deadline_resumes_its_awaiter_on_the_core));
        LocalTask sleep = await executor.OnExecutor(() => executor.Sleep(Timeout.InfiniteTimeSpan));
        Task<bool> resumedOnCore = await executor.OnExecutor(() => ResumesOnCoreAfterAsync(sleep, executor));

        await executor.ShutdownAsync(ShortDeadline).Within("the shutdown");

        sleep.IsCanceled.Should().BeTrue();
        (await resumedOnCore.Within("the method awaiting the sleep")).Should().BeTrue(
            "shutdown cancels the sleeps on the core and runs their continuations there");
        executor.LateWorkItems.Should().Be(0);
    }

    [Fact]
    public async Task Work_that_keeps_requeueing_itself_after_the_drain_gets_a_bounded_number_of_turns_on_the_core_then_ends_on_the_thread_pool()
    {
        LocalExecutor executor = Executors.Start(nameof(Work_that_keeps_requeueing_itself_after_the_drain_gets_a_bounded_number_of_turns_on_the_core_then_ends_on_the_thread_pool));
        var never = new TaskCompletionSource();
        LocalTask<int> stuck = executor.Start(() => DrainTests.WaitForeverAsync(never.Task));
        Task<Requeued> requeued = await executor.OnExecutor(() => RequeueWhileOnCoreAsync(stuck, executor));

        ShutdownReport report = await executor.ShutdownAsync(ShortDeadline).Within("the shutdown");
        Requeued seen = await requeued.Within("the re-queueing method to end");

        // Each pass over the queues runs what was queued when it began: the method's first turn after the cancellation
        // is the first pass, each yield takes it one pass further, and the yield of the last pass is handed to the
        // thread pool when the executor leaves its core.
        seen.TurnsOnCore.Should().Be(LocalExecutor.ShutdownPasses, "one turn in each pass after the drain, no more");
        seen.EndedOffCore.Should().BeTrue("its last turn ran on the thread pool, so the method ended instead of hanging");
        executor.LateWorkItems.Should().Be(2, "what the last pass queued was left when the passes ran out: its spawn and its yield");
        seen.Spawned.Should().HaveCount(LocalExecutor.ShutdownPasses).And.OnlyContain(task => task.IsCanceled,
            "a task spawned in the passes never runs its body: it ends cancelled");
        report.CancelledTasks.Should().Be(1 + seen.Spawned.Count,
            "the report counts the task cancelled at the deadline and each spawn cancelled after it, in a pass or when the executor left its core");
        report.CancelledTaskTypes.Values.Sum().Should().Be(report.CancelledTasks);
    }

    [Fact]
    public async Task A_raw_task_started_inline_in_the_last_pass_and_left_waiting_ends_cancelled()
    {
        // A raw task method called on the core starts inline: its first poll makes it live at once, with nothing of it in
        // a queue or the inbox. One started in the last pass, after that pass cancelled the live tasks, is ended only by
        // the executor's last look at its live list; without it the task would wait forever.
        LocalExecutor executor = Executors.Start(nameof(A_raw_task_started_inline_in_the_last_pass_and_left_waiting_ends_cancelled));
        var never = new TaskCompletionSource();
        LocalTask<int> stuck = executor.Start(() => DrainTests.WaitForeverAsync(never.Task));
        Task<List<LocalTask<int>>> started = await executor.OnExecutor(() => StartWaitingTaskInEachTurnAsync(stuck, executor, never.Task));

        await executor.ShutdownAsync(ShortDeadline).Within("the shutdown");
        List<LocalTask<int>> tasks = await started.Within("the method that starts a task in each turn");

        tasks.Should().HaveCount(LocalExecutor.ShutdownPasses, "one turn in each pass after the drain");
        tasks.Should().OnlyContain(task => task.IsCanceled, "every task left waiting at shutdown ends cancelled, the last pass's too");
    }

    [Theory]
    [InlineData(LateWorkPolicy.RunOnThreadPool)]
    [InlineData(LateWorkPolicy.Reject)]
    public async Task A_send_from_a_draining_executor_that_reaches_the_inbox_after_the_last_pass_fails_instead_of_waiting(LateWorkPolicy policy)
    {
        // Send is refused once its target stops, except from the thread of another executor that is draining too (its
        // in-flight work finishing a request). Such a Send that lands in the inbox after the target's last pass over it
        // is found when the target leaves its core; nothing will ever run it, so its sender must be told, not left
        // blocked, whatever the policy for late code says: a Send is not code the policy hands off or rejects.
        string name = $"{nameof(A_send_from_a_draining_executor_that_reaches_the_inbox_after_the_last_pass_fails_instead_of_waiting)}-{policy}";
        var target = new LocalExecutor(new LocalExecutorOptions { Name = name + "-target", LateWorkPolicy = policy });
        var raised = new ConcurrentQueue<LateWorkEventArgs>();
        target.LateWork += (_, e) => raised.Enqueue(e);
        LocalExecutor sender = Executors.Start(name + "-sender");
        using var sendNow = new ManualResetEventSlim();
        var sendOutcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool callbackRan = false;
        LocalSynchronizationContext targetContext = target.SynchronizationContext;
        sender.Post(() =>
        {
            if (!sendNow.Wait(Bounded.Timeout))
            {
                sendOutcome.SetResult(new TimeoutException("the target's last pass never came"));
                return;
            }

            try
            {
                targetContext.Send(_ => callbackRan = true, null);
                sendOutcome.SetResult(null);
            }
            catch (Exception exception)
            {
                sendOutcome.SetResult(exception);
            }
        });
        Task<ShutdownReport> senderStopped = sender.ShutdownAsync(Bounded.Timeout); // its callback is the work in flight

        var never = new TaskCompletionSource();
        LocalTask<int> stuck = target.Start(() => DrainTests.WaitForeverAsync(never.Task));
        Task<int> turns = await target.OnExecutor(() => SendInTheLastPassAsync(stuck, target, sendNow));
        await target.ShutdownAsync(ShortDeadline).Within("the target's shutdown");

        // The target tells the Send as it leaves its core, before its shutdown completes: only the sender's wake is left.
        Exception? failure = await sendOutcome.Task.Within(TimeSpan.FromSeconds(5), "the Send that reached the target after its last pass to return");
        failure.Should().BeOfType<ObjectDisposedException>("the target left its core without running the callback")
            .Which.ObjectName.Should().Be(target.Name);
        callbackRan.Should().BeFalse();
        target.LateWorkItems.Should().Be(2, "the Send and the last pass's yield were both left in the inbox when the passes ran out");
        raised.Where(e => e.Kind == LateWorkKind.Send).Should().ContainSingle()
            .Which.RunsOnThreadPool.Should().BeFalse("the Send's callback does not run anywhere: its sender is told");
        if (policy == LateWorkPolicy.RunOnThreadPool)
        {
            (await turns.Within("the re-queueing method to end on the thread pool")).Should().Be(LocalExecutor.ShutdownPasses);
        }

        await senderStopped.Within("the sender's shutdown, once its Send returned");
    }

    [Fact]
    public async Task A_callback_that_blocks_after_the_drain_is_named_by_the_shutdown_timeout()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions
        {
            Name = "blocked-after-drain",
            DrainTimeout = ShortDeadline,
            ShutdownTimeout = TimeSpan.FromMilliseconds(200),
        });
        var never = new TaskCompletionSource();
        using var release = new ManualResetEventSlim();
        using var blocked = new ManualResetEventSlim();
        LocalTask<int> stuck = executor.Start(() => DrainTests.WaitForeverAsync(never.Task));
        _ = await executor.OnExecutor(() => BlockAfterAsync(stuck, blocked, release));

        try
        {
            ShutdownTimeoutException failure = (await FluentActions.Awaiting(() => Task.Run(() => executor.Dispose()).Within("Dispose to give up"))
                .Should().ThrowAsync<ShutdownTimeoutException>()).Which;

            blocked.IsSet.Should().BeTrue("the continuation that blocks ran after the drain");
            failure.ThreadActivity.Should().Contain("cancelling the work left after the drain, running the callbacks queued",
                "the thread is in a callback that shutdown runs after the drain, not in the drain or between items");
        }
        finally
        {
            release.Set();
        }

        await executor.Completion.Within("the stop, once the callback returned");
        executor.Dispose(); // releases the reactor now, not on the thread pool after this test (DescriptorTests count them)
    }

    /// <summary>A plain task method (its continuations are callbacks on the executor's queue, not raw-task polls) that
    /// reports where it resumed once <paramref name="awaited"/> ended.</summary>
    private static async Task<bool> ResumesOnCoreAfterAsync(LocalTask awaited, LocalExecutor executor)
    {
        await EndOfAsync(awaited);

        return Executors.IsOn(executor);
    }

    private static async Task BlockAfterAsync(LocalTask awaited, ManualResetEventSlim blocked, ManualResetEventSlim release)
    {
        await EndOfAsync(awaited);

        blocked.Set();
        release.Wait(Bounded.Timeout);
    }

    private static async Task<Requeued> RequeueWhileOnCoreAsync(LocalTask awaited, LocalExecutor executor)
    {
        await EndOfAsync(awaited);

        var seen = new Requeued();
        while (Executors.IsOn(executor))
        {
            seen.TurnsOnCore++;
            seen.Spawned.Add(executor.Spawn(() => { }));
            await Task.Yield(); // posted to the executor's context: another turn in the next pass
        }

        seen.EndedOffCore = true;
        return seen;
    }

    /// <summary>Re-queues itself through the shutdown's passes, starting in each turn a raw task that waits forever.</summary>
    private static async Task<List<LocalTask<int>>> StartWaitingTaskInEachTurnAsync(LocalTask awaited, LocalExecutor executor, Task never)
    {
        await EndOfAsync(awaited);

        var started = new List<LocalTask<int>>();
        while (Executors.IsOn(executor))
        {
            started.Add(DrainTests.WaitForeverAsync(never)); // starts inline: live once its first poll awaits
            await Task.Yield();
        }

        return started;
    }

    /// <summary>Re-queues itself through the shutdown's passes; in the last one it lets the sender's Send go and keeps
    /// the pass from ending until the Send is in the inbox. Returns its turns on the core.</summary>
    private static async Task<int> SendInTheLastPassAsync(LocalTask awaited, LocalExecutor executor, ManualResetEventSlim sendNow)
    {
        await EndOfAsync(awaited);

        int turns = 0;
        while (Executors.IsOn(executor))
        {
            if (++turns == LocalExecutor.ShutdownPasses)
            {
                sendNow.Set();
                Bounded.Until(() => executor.GetStats().InboxLength > 0, "the Send from the draining executor is in the inbox");
            }

            await Task.Yield();
        }

        return turns;
    }

    /// <summary>Waits for <paramref name="awaited"/> to end, cancelled (as shutdown ends it) or not.</summary>
    private static async Task EndOfAsync(LocalTask awaited)
    {
        try
        {
            await awaited;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class Requeued
    {
        public int TurnsOnCore;
        public bool EndedOffCore;
        public readonly List<LocalTask> Spawned = [];
    }
}
