using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Integration;

/// <summary>The TaskScheduler door: Task.Factory, ContinueWith, inlining and the scheduler seen by work.</summary>
public sealed class TaskSchedulerTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(TaskSchedulerTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task TaskFactory_with_the_scheduler_runs_on_the_executor_thread()
    {
        var factory = new TaskFactory(_executor.Scheduler);
        Thread ran = await factory.StartNew(() => Thread.CurrentThread).Within("StartNew on the executor");
        ran.Should().BeSameAs(_executor.Thread);
    }

    [Fact]
    public async Task ContinueWith_on_the_scheduler_runs_on_the_executor_thread()
    {
        Thread ran = await Task.Delay(1).ContinueWith(_ => Thread.CurrentThread, _executor.Scheduler).Within("ContinueWith");
        ran.Should().BeSameAs(_executor.Thread);
    }

    [Fact]
    public async Task Inside_work_StartNew_without_a_scheduler_stays_on_the_core_and_Task_Run_leaves_it()
    {
        (Thread startNew, Thread run, TaskScheduler seen) = await _executor.Spawn(async () =>
        {
            TaskScheduler current = TaskScheduler.Current;
            Thread a = await Task.Factory.StartNew(() => Thread.CurrentThread);
            Thread b = await Task.Run(() => Thread.CurrentThread);
            return (a, b, current);
        }).Within("work that starts tasks");

        seen.Should().BeSameAs(_executor.Scheduler);
        startNew.Should().BeSameAs(_executor.Thread);
        run.Should().NotBeSameAs(_executor.Thread);
    }

    [Fact]
    public async Task Wait_on_local_work_inlines_instead_of_deadlocking()
    {
        int result = await _executor.OnExecutor(() =>
        {
            Task<int> local = Task.Factory.StartNew(() => 41 + 1, CancellationToken.None, TaskCreationOptions.None, _executor.Scheduler);
            return local.Result; // queued behind us on our own thread: only inlining can finish it
        });

        result.Should().Be(42);
    }

    [Fact]
    public void MaximumConcurrencyLevel_is_one() => _executor.Scheduler.MaximumConcurrencyLevel.Should().Be(1);

    [Fact]
    public async Task Queueing_after_shutdown_fails_with_ObjectDisposedException()
    {
        await _executor.DisposeAsync();
        Action start = () => _ = Task.Factory.StartNew(() => { }, CancellationToken.None, TaskCreationOptions.None, _executor.Scheduler);
        start.Should().Throw<TaskSchedulerException>().WithInnerException<ObjectDisposedException>();
    }

    [Fact]
    public async Task Scheduled_tasks_are_visible_to_debuggers()
    {
        using var release = new ManualResetEventSlim();
        using var blocking = new ManualResetEventSlim();
        Task blocker = _executor.Spawn(() =>
        {
            blocking.Set();
            release.Wait(Bounded.Timeout);
        }).AsTask();
        blocking.Wait(Bounded.Timeout).Should().BeTrue("the executor is busy, so the next task stays queued");
        Task queued = Task.Factory.StartNew(() => { }, CancellationToken.None, TaskCreationOptions.None, _executor.Scheduler);

        var method = typeof(TaskScheduler).GetMethod("GetScheduledTasks", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
        var scheduled = ((System.Collections.Generic.IEnumerable<Task>)method.Invoke(_executor.Scheduler, null)!).ToList();
        scheduled.Should().Contain(queued);

        release.Set();
        await Task.WhenAll(blocker, queued).Within("the queued tasks");
    }
}
