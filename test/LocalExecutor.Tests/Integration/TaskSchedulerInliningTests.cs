using System;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Integration;

/// <summary>
/// Which thread may run a task of the executor's scheduler inline: its own thread only. Every test here reaches
/// <c>TryExecuteTaskInline</c> for real. A timed <c>Wait</c> would not: the runtime inlines only an untimed,
/// uncancellable wait (and <c>RunSynchronously</c>), so a test built on a timed wait passes whatever the scheduler does.
/// </summary>
public sealed class TaskSchedulerInliningTests : IAsyncLifetime
{
    private static readonly MethodInfo TryExecuteTaskInline = typeof(TaskScheduler).GetMethod(
        "TryExecuteTaskInline", BindingFlags.Instance | BindingFlags.NonPublic)!;

    private readonly LocalExecutor _executor = Executors.Start(nameof(TaskSchedulerInliningTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task The_scheduler_inlines_a_queued_task_on_its_own_thread_and_refuses_on_any_other()
    {
        using var release = new ManualResetEventSlim();
        using var busy = new ManualResetEventSlim();
        Task blocker = _executor.Spawn(() =>
        {
            busy.Set();
            release.Wait(Bounded.Timeout);
        }).AsTask();
        busy.Wait(Bounded.Timeout).Should().BeTrue("the executor runs the blocker");
        Task<Thread> queued = StartOnExecutor();

        bool inlinedHere;
        try
        {
            inlinedHere = Inline(queued);
        }
        finally
        {
            release.Set(); // a failed assertion must not leave the executor blocked for the teardown
        }

        inlinedHere.Should().BeFalse("a thread that is not the executor's must not run its task");

        await blocker.Within("the blocker");
        (bool inlinedThere, bool completed, Thread? ranOn) = await _executor.OnExecutor(() =>
        {
            Task<Thread> local = StartOnExecutor(); // queued behind this item: only inlining runs it now
            bool inlined = Inline(local);
            return (inlined, local.IsCompleted, local.IsCompleted ? local.Result : null);
        });
        inlinedThere.Should().BeTrue("the executor's own thread inlines");
        completed.Should().BeTrue();
        ranOn.Should().BeSameAs(_executor.Thread);
        (await queued.Within("the queued task")).Should().BeSameAs(_executor.Thread);
    }

    [Fact]
    public async Task RunSynchronously_from_another_thread_runs_the_task_on_the_executor()
    {
        Thread? ranOn = null;
        var task = new Task(() => ranOn = Thread.CurrentThread);

        await Task.Run(() => task.RunSynchronously(_executor.Scheduler)).Within("RunSynchronously");

        task.IsCompletedSuccessfully.Should().BeTrue();
        ranOn.Should().BeSameAs(_executor.Thread, "RunSynchronously may inline only where the scheduler allows it");
    }

    [Fact]
    public async Task RunSynchronously_on_the_executor_thread_runs_inline()
    {
        (bool completedOnReturn, bool onExecutor) = await _executor.OnExecutor(() =>
        {
            bool ran = false;
            var task = new Task(() => ran = _executor.IsOwnerThread);
            task.RunSynchronously(_executor.Scheduler);
            return (task.IsCompleted, ran);
        });

        completedOnReturn.Should().BeTrue();
        onExecutor.Should().BeTrue();
    }

    [Fact]
    public async Task An_untimed_Wait_from_a_foreign_thread_blocks_until_the_executor_ran_the_task()
    {
        using var release = new ManualResetEventSlim();
        Task blocker = _executor.Spawn(() => release.Wait(Bounded.Timeout)).AsTask();
        Task<Thread> queued = StartOnExecutor();
        var waiter = new Thread(() => queued.Wait()) { IsBackground = true, Name = "foreign waiter" };

        waiter.Start();
        // Either the waiter ran the task inline (the bug) or it tried, was refused and now blocks.
        bool inlined;
        try
        {
            WaitUntil(() => queued.IsCompleted || waiter.ThreadState.HasFlag(ThreadState.WaitSleepJoin), "the foreign Wait to inline or block");
            inlined = queued.IsCompleted;
        }
        finally
        {
            release.Set();
        }

        inlined.Should().BeFalse("an untimed Wait on a foreign thread must not run the executor's task inline");
        (await queued.Within("the queued task")).Should().BeSameAs(_executor.Thread);
        waiter.Join(Bounded.Timeout).Should().BeTrue("the Wait returns once the executor ran the task");
        await blocker.Within("the blocker");
    }

    [Fact]
    public async Task Another_executor_never_inlines_our_tasks_even_with_an_untimed_Wait()
    {
        await using LocalExecutor other = Executors.Start("other");
        using var release = new ManualResetEventSlim();
        Task blocker = _executor.Spawn(() => release.Wait(Bounded.Timeout)).AsTask();
        Task<Thread> ours = StartOnExecutor();
        int waiting = 0;

        Task waited = other.Spawn(() =>
        {
            Volatile.Write(ref waiting, 1);
            ours.Wait();
        }).AsTask();
        bool inlined;
        try
        {
            WaitUntil(
                () => ours.IsCompleted || (Volatile.Read(ref waiting) == 1 && other.Thread.ThreadState.HasFlag(ThreadState.WaitSleepJoin)),
                "the other executor's Wait to inline or block");
            inlined = ours.IsCompleted;
        }
        finally
        {
            release.Set();
        }

        inlined.Should().BeFalse("the other executor must not run our task inline");
        (await ours.Within("our task")).Should().BeSameAs(_executor.Thread);
        await waited.Within("the other executor's Wait");
        await blocker.Within("the blocker");
    }

    private Task<Thread> StartOnExecutor() =>
        Task.Factory.StartNew(() => Thread.CurrentThread, CancellationToken.None, TaskCreationOptions.None, _executor.Scheduler);

    private bool Inline(Task task) => (bool)TryExecuteTaskInline.Invoke(_executor.Scheduler, [task, true])!;

    private static void WaitUntil(Func<bool> condition, string what)
    {
        if (!SpinWait.SpinUntil(condition, Bounded.Timeout))
        {
            throw new TimeoutException($"Timed out after {Bounded.Timeout.TotalSeconds} s waiting for {what}.");
        }
    }
}
