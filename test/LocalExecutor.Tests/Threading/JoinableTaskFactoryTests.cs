using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.VisualStudio.Threading;
using ThreadPerCore.IO;
using ThreadPerCore.Tests.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Threading;

public sealed class JoinableTaskFactoryTests
{
    [Fact]
    public async Task Each_executor_has_one_context_whose_main_thread_is_the_executor_thread()
    {
        await using LocalExecutor executor = Executors.Start("jtf-context");
        await using LocalExecutor other = Executors.Start("jtf-other");

        JoinableTaskContext context = executor.JoinableTaskContext;
        context.Should().BeSameAs(executor.JoinableTaskContext);
        context.MainThread.Should().BeSameAs(executor.Thread);
        context.IsOnMainThread.Should().BeFalse();
        (await executor.OnExecutor(() => executor.JoinableTaskContext.IsOnMainThread)).Should().BeTrue();
        executor.JoinableTaskFactory.Context.Should().BeSameAs(context);
        other.JoinableTaskContext.Should().NotBeSameAs(context);
    }

    [Fact]
    public async Task SwitchToMainThreadAsync_moves_an_async_method_onto_the_executor()
    {
        await using LocalExecutor executor = Executors.Start("jtf-switch");

        Thread resumedOn = await Task.Run(async () =>
        {
            await executor.JoinableTaskFactory.SwitchToMainThreadAsync();
            return Thread.CurrentThread;
        }).Within("the switch");

        resumedOn.Should().BeSameAs(executor.Thread);
    }

    [Fact]
    public async Task Run_from_another_thread_blocks_until_a_body_that_works_on_the_core_completes()
    {
        await using LocalExecutor executor = Executors.Start("jtf-foreign");
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;

        int result = await Task.Run(() => jtf.Run(async () =>
        {
            await jtf.SwitchToMainThreadAsync();
            executor.VerifyAccess();
            await LocalExecutor.Delay(TimeSpan.FromMilliseconds(1));
            int half = await executor.Spawn(() => 21);
            return half * 2;
        })).Within("Run from a pool thread");

        result.Should().Be(42);
    }

    [Fact]
    public async Task Run_on_the_executor_thread_completes_a_body_that_awaits_local_work()
    {
        await using LocalExecutor executor = Executors.Start("jtf-on-core");
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;

        int result = await executor.OnExecutor(() => jtf.Run(async () =>
        {
            await LocalExecutor.Delay(TimeSpan.FromMilliseconds(1)); // an executor timer: only this thread fires it
            int spawned = await executor.Spawn(() => 5);           // a raw task: only this thread polls it
            await Task.Yield();
            executor.VerifyAccess();
            return spawned + await LocalTaskWork.AddOneAsync(1);
        }));

        result.Should().Be(7);
    }

    [Fact]
    public async Task Run_on_the_core_runs_work_sent_from_another_thread_and_gives_the_caller_its_contexts_back()
    {
        await using LocalExecutor executor = Executors.Start("jtf-inbox");
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;
        var flowed = new System.Threading.AsyncLocal<string>();

        // The caller runs in a queue of its own and the nested work in the default one, so each restore is visible.
        TaskQueueHandle callerQueue = executor.CreateTaskQueue("caller");
        (int result, bool sameSyncContext, TaskQueueHandle? queueAfter, string? value) = await executor.Spawn(callerQueue, () =>
        {
            SynchronizationContext? before = SynchronizationContext.Current;
            flowed.Value = "caller";
            int sum = jtf.Run(async () =>
            {
                // Spawned by another thread, so it reaches the core through the inbox, which the waiting core must drain.
                LocalTask<int> spawned = await Task.Run(() => executor.Spawn(() => Executors.IsOn(executor) ? 40 : -100)).ConfigureAwait(true);
                flowed.Value = "body"; // the body's own changes stay in the body
                int value = await Soon(spawned.AsTask(), "the spawn from another thread").ConfigureAwait(true);
                return value + 2;
            });
            return (sum, SynchronizationContext.Current == before, LocalExecutor.CurrentTaskQueue, flowed.Value);
        }).Within("Run on the core");

        result.Should().Be(42, "the foreign spawn ran on the core while it waited in Run");
        sameSyncContext.Should().BeTrue("the turn that called Run gets its synchronization context back");
        queueAfter.Should().Be(callerQueue, "and its task queue");
        value.Should().Be("caller", "and its execution context");
    }

    [Fact]
    public async Task Run_on_the_core_fires_the_executors_timers_and_runs_its_other_task_queues_while_it_waits()
    {
        await using LocalExecutor executor = Executors.Start("jtf-local");
        TaskQueueHandle other = executor.CreateTaskQueue("other");
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;

        (TaskQueueHandle? ranIn, bool ranWithItsContext, bool timerFired) = await executor.OnExecutor(() => jtf.Run(async () =>
        {
            // Only the core's own loop completes these: an executor timer and an item in a second task queue. Bounded
            // waits, so a nested loop that skips either fails in seconds, saying which.
            Task delay = Task.Delay(TimeSpan.FromMilliseconds(10), executor.TimeProvider);
            LocalTask<(TaskQueueHandle?, bool)> queued = executor.Spawn(other, () =>
                (LocalExecutor.CurrentTaskQueue, SynchronizationContext.Current == other.SynchronizationContext));
            (TaskQueueHandle? queue, bool context) = await Soon(queued.AsTask(), "the item in the second queue").ConfigureAwait(true);
            await Soon(delay, "the executor's timer").ConfigureAwait(true);
            return (queue, context, delay.IsCompletedSuccessfully);
        })).Within("Run on the core");

        ranIn.Should().Be(other, "the item spawned into the second queue ran there while the core waited in Run");
        ranWithItsContext.Should().BeTrue("with that queue's synchronization context");
        timerFired.Should().BeTrue("the executor's timer came due and fired inside the wait");
    }

    [Fact]
    public async Task Run_on_the_core_wakes_from_its_sleep_when_the_work_it_waits_for_completes_on_another_thread()
    {
        await using LocalExecutor executor = Executors.Start("jtf-foreign-completion");
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;
        var late = new TaskCompletionSource<int>(); // continuations run inline on the thread that completes it
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<int> run = executor.OnExecutor(() => jtf.Run(async () =>
        {
            started.SetResult();
            // The rest of the body runs on the completing thread: nothing is posted to the core, whose sleep only the
            // completion of what Run waits for can end.
            return await late.Task.ConfigureAwait(false);
        }));
        await started.Task.Within("the body to start");
        Bounded.Until(() => !executor.IsAwakeForClock, "the core to sleep in Run");
        late.SetResult(7);

        (await Soon(run, "Run, once its work completed on another thread")).Should().Be(7);
    }

    [Fact]
    public async Task Run_on_the_core_gives_each_task_queue_one_pass_at_what_it_held_so_a_queue_that_keeps_requeueing_waits_its_turn()
    {
        await using LocalExecutor executor = Executors.Start("jtf-passes");
        TaskQueueHandle requeueing = executor.CreateTaskQueue("requeueing");
        TaskQueueHandle single = executor.CreateTaskQueue("single");
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;

        string order = await executor.OnExecutor(() => jtf.Run(async () =>
        {
            // Both queued before the wait, so the nested loop's first pass finds one item in each; the requeueing one's
            // second step arrives during that pass and belongs to the next.
            var steps = new System.Collections.Generic.List<string>();
            LocalTask yielder = executor.Spawn(requeueing, async () =>
            {
                for (int step = 1; step <= 3; step++)
                {
                    steps.Add($"a{step}");
                    await Task.Yield();
                }
            });
            LocalTask once = executor.Spawn(single, () => steps.Add("b"));
            await Soon(Task.WhenAll(yielder.AsTask(), once.AsTask()), "both queues' work").ConfigureAwait(true);
            return string.Join(" ", steps);
        })).Within("Run on the core");

        order.Should().Be("a1 b a2 a3", "a pass runs the items a queue held when the pass reached it, then moves to the next queue");
        single.GetStats().ItemsRun.Should().Be(1, "an item run inside Run counts in its queue's statistics");
        requeueing.GetStats().ItemsRun.Should().BeGreaterThanOrEqualTo(3);
    }

    [LinuxFact]
    public async Task Run_on_the_core_serves_socket_readiness_while_it_waits()
    {
        await using LocalExecutor executor = IO.IoTestSupport.StartExecutor("jtf-readiness");
        executor.HasReactor.Should().BeTrue(executor.ReactorUnavailableReason);
        using LocalListener listener = await IO.IoTestSupport.ListenAsync(executor);
        Task<LocalConnection> accept = executor.Spawn(async () => await listener.AcceptAsync()).AsTask();
        using Socket client = IO.IoTestSupport.Connect(listener.LocalEndPoint);
        using LocalConnection connection = await accept.Within("the accept");
        var receiving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        bool stop = false;
        Task<(int, bool)> received = executor.OnExecutor(() => executor.JoinableTaskFactory.Run(async () =>
        {
            // A spinner keeps the waiting core busy, so it never sleeps in the reactor: the nested loop's own poll is
            // the only way this receive's readiness arrives.
            LocalTask spinner = executor.Spawn(async () =>
            {
                while (!Volatile.Read(ref stop))
                {
                    await Task.Yield();
                }
            });
            ValueTask<int> receive = connection.ReceiveAsync(new byte[8]);
            receiving.SetResult();
            int bytes = await Soon(receive.AsTask(), "the receive's readiness").ConfigureAwait(true);
            Volatile.Write(ref stop, true);
            await spinner;
            return (bytes, spinner.IsCompletedSuccessfully);
        }));
        await receiving.Task.Within("the receive to wait");
        client.Send(new byte[3]);

        (int bytes, bool spun) = await received.Within("Run on the core");
        bytes.Should().Be(3, "the bytes' readiness reached the receive inside the wait");
        spun.Should().BeTrue("the spinner ran in the wait too");
    }

    [Fact]
    public async Task Run_nested_in_Run_on_the_executor_thread_completes()
    {
        await using LocalExecutor executor = Executors.Start("jtf-nested");
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;

        int result = await executor.OnExecutor(() => jtf.Run(async () =>
        {
            await Task.Yield();
            int inner = jtf.Run(async () =>
            {
                await executor.Spawn(() => { });
                return 2;
            });
            return inner + 1;
        }));

        result.Should().Be(3);
    }

    [Fact]
    public async Task A_foreign_Run_that_needs_the_core_while_the_core_waits_for_it_in_Run_does_not_deadlock()
    {
        await using LocalExecutor executor = Executors.Start("jtf-join");
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;

        // The classic deadlock: the core blocks on work of a pool thread, which blocks on getting onto the core.
        int result = await executor.OnExecutor(() => jtf.Run(async () =>
            await Task.Run(() => jtf.Run(async () =>
            {
                await jtf.SwitchToMainThreadAsync();
                return Environment.CurrentManagedThreadId == executor.Thread.ManagedThreadId ? 1 : -1;
            }))));

        result.Should().Be(1);
    }

    [Fact]
    public async Task A_Run_on_the_core_that_sleeps_is_not_reported_as_a_stall()
    {
        TimeSpan threshold = TimeSpan.FromMilliseconds(250);
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "jtf-stall", StallThreshold = threshold });
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;
        int reports = 0;
        executor.Stalled += (_, _) => Interlocked.Increment(ref reports);
        long looksAfterTheSleep = 0;

        // One turn: the watcher sees it running, it sleeps in Run's nested loop for twice the threshold (the core is
        // idle, not stalled), then it runs on, awake, until the watcher has looked at it again twice. A watcher that timed
        // the turn across the sleep would count a stall at its first look after it. The sleep is a thread-pool timer's:
        // its completion wakes the nested loop, which returns to Run without a turn of its own, and Run resumes the
        // method in the same turn (a local timer's wake would run a nested turn, which the watcher times afresh anyway).
        // A neighbour that stays awake keeps the clock looking while this core sleeps: a watcher that took the sleep for
        // the turn still running would count it at those looks.
        await using LocalExecutor neighbour = Executors.Start("jtf-stall-neighbour");
        bool sleptAndLooked = false;
        neighbour.Post(() => SpinWait.SpinUntil(() => Volatile.Read(ref sleptAndLooked), Bounded.Timeout));
        try
        {
            await executor.OnExecutor(() => jtf.Run(async () =>
            {
                WaitForLooks(2); // the watcher has seen the turn running before the sleep
                await Task.Delay(2 * threshold);
                looksAfterTheSleep = WaitForLooks(2);
            }));
        }
        finally
        {
            Volatile.Write(ref sleptAndLooked, true); // a failed wait must not leave the neighbour spinning into its dispose
        }

        looksAfterTheSleep.Should().BeGreaterThanOrEqualTo(2, "the watcher looked at the turn after its sleep");
        executor.GetStats().Stalls.Should().Be(0);
        Volatile.Read(ref reports).Should().Be(0);
    }

    [Fact]
    public async Task A_turn_that_loops_on_after_its_Run_on_the_core_returned_is_still_reported_as_a_stall()
    {
        TimeSpan threshold = TimeSpan.FromMilliseconds(100);
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "jtf-stall-after", StallThreshold = threshold });
        JoinableTaskFactory jtf = executor.JoinableTaskFactory;
        var stalled = new TaskCompletionSource<ExecutorStalledEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.Stalled += (_, e) => stalled.TrySetResult(e);

        // The turn sleeps in Run's nested loop, then, awake again, does not return: the watcher must time that part.
        await executor.OnExecutor(() =>
        {
            jtf.Run(async () => await Task.Delay(TimeSpan.FromMilliseconds(20)));
            SpinWait.SpinUntil(() => stalled.Task.IsCompleted, TimeSpan.FromSeconds(5));
        });

        stalled.Task.IsCompleted.Should().BeTrue("the turn ran on for 50 thresholds after Run returned");
        (await stalled.Task).Duration.Should().BeGreaterThanOrEqualTo(threshold);
    }

    /// <summary>Waits, awake on the calling thread, until the stall watcher (the preemption clock) has taken
    /// <paramref name="count"/> more looks; returns how many it took.</summary>
    private static long WaitForLooks(int count)
    {
        long start = PreemptClock.Looks;
        SpinWait.SpinUntil(() => PreemptClock.Looks >= start + count, Bounded.Timeout).Should().BeTrue("the clock looks every 10 ms while an executor is awake");
        return PreemptClock.Looks - start;
    }

    /// <summary>A short bound for work the core must run while it waits in <c>Run</c>: a nested loop that skips that
    /// kind of work fails the test in seconds, naming what it never completed.</summary>
    private static Task Soon(Task task, string what) => task.Within(TimeSpan.FromSeconds(5), $"the core waiting in Run to complete {what}");

    private static Task<T> Soon<T>(Task<T> task, string what) => task.Within(TimeSpan.FromSeconds(5), $"the core waiting in Run to complete {what}");
}

internal static class LocalTaskWork
{
    public static async LocalTask<int> AddOneAsync(int value)
    {
        await LocalExecutor.Yield();
        return value + 1;
    }
}

public sealed class SwitchToTests
{
    [Fact]
    public async Task SwitchTo_moves_a_Task_method_onto_the_executor_and_does_not_yield_there()
    {
        await using LocalExecutor executor = Executors.Start("switch-to");

        (Thread arrived, bool completedAtOnce) = await Task.Run(async () =>
        {
            await executor.SwitchTo();
            return (Thread.CurrentThread, executor.SwitchTo().GetAwaiter().IsCompleted);
        }).Within("the switch");

        arrived.Should().BeSameAs(executor.Thread);
        completedAtOnce.Should().BeTrue();
    }

    [Fact]
    public async Task A_LocalTask_method_cannot_switch_to_another_executor()
    {
        await using LocalExecutor home = Executors.Start("switch-home");
        await using LocalExecutor other = Executors.Start("switch-other");

        Func<Task> act = () => home.Start(() => SwitchAway(other)).Within("the method");

        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*always resumes on its own executor*");
    }

    private static async LocalTask SwitchAway(LocalExecutor other) => await other.SwitchTo();
}
