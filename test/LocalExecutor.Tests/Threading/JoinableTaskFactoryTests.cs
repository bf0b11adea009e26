using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.VisualStudio.Threading;
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
        await executor.OnExecutor(() => jtf.Run(async () =>
        {
            WaitForLooks(2); // the watcher has seen the turn running before the sleep
            await Task.Delay(2 * threshold);
            looksAfterTheSleep = WaitForLooks(2);
        }));

        looksAfterTheSleep.Should().BeGreaterThanOrEqualTo(2, "the watcher looked at the turn after its sleep");
        executor.GetStats().Stalls.Should().Be(0);
        Volatile.Read(ref reports).Should().Be(0);
    }

    /// <summary>Waits, awake on the calling thread, until the stall watcher (the preemption clock) has taken
    /// <paramref name="count"/> more looks; returns how many it took.</summary>
    private static long WaitForLooks(int count)
    {
        long start = PreemptClock.Looks;
        SpinWait.SpinUntil(() => PreemptClock.Looks >= start + count, Bounded.Timeout).Should().BeTrue("the clock looks every 10 ms while an executor is awake");
        return PreemptClock.Looks - start;
    }
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
