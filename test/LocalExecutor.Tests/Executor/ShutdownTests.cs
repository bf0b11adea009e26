using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>Shutdown: every task that was queued ends; late continuations neither crash nor vanish.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Disposing_twice_is_harmless_and_joins_the_thread()
    {
        LocalExecutor executor = Executors.Start(nameof(Disposing_twice_is_harmless_and_joins_the_thread));
        await executor.DisposeAsync();
        await executor.DisposeAsync();
        executor.Dispose();

        executor.Thread.IsAlive.Should().BeFalse();
        executor.Completion.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task Queued_work_ends_at_shutdown_raw_tasks_cancelled_and_callbacks_run()
    {
        LocalExecutor executor = Executors.Start(nameof(Queued_work_ends_at_shutdown_raw_tasks_cancelled_and_callbacks_run));
        using var gate = new ManualResetEventSlim();
        using var blocking = new ManualResetEventSlim();
        Task blocker = executor.Spawn(() =>
        {
            blocking.Set();
            gate.Wait(Bounded.Timeout);
        }).AsTask();
        blocking.Wait(Bounded.Timeout).Should().BeTrue("the executor is busy before anything else is queued");

        LocalTask<int> queuedTask = executor.Spawn(() => 1);
        var postedRan = new TaskCompletionSource<Thread>();
        executor.SynchronizationContext.Post(_ => postedRan.SetResult(Thread.CurrentThread), null);
        Task<Thread> queuedTplTask = Task.Factory.StartNew(() => Thread.CurrentThread, CancellationToken.None, TaskCreationOptions.None, executor.Scheduler);

        ValueTask disposing = executor.DisposeAsync();
        gate.Set();
        await disposing;
        await blocker.Within("the blocker");

        queuedTask.IsCompleted.Should().BeTrue("nothing is left pending");
        (queuedTask.IsCanceled || queuedTask.IsCompletedSuccessfully).Should().BeTrue();
        (await postedRan.Task.Within("the queued post")).Should().BeSameAs(executor.Thread);
        (await queuedTplTask.Within("the queued TPL task")).Should().BeSameAs(executor.Thread);
    }

    [Fact]
    public async Task A_suspended_raw_task_is_cancelled_at_shutdown()
    {
        LocalExecutor executor = Executors.Start(nameof(A_suspended_raw_task_is_cancelled_at_shutdown));
        var never = new TaskCompletionSource();

        LocalTask<int> waiting = executor.Start(() => WaitForever(never.Task));
        await executor.Drain();
        await executor.ShutdownAsync(TimeSpan.Zero); // what a drain's deadline leaves is cancelled (drains: DrainTests)

        waiting.IsCanceled.Should().BeTrue();
        await FluentActions.Awaiting(() => waiting.Within("the cancelled task")).Should().ThrowAsync<OperationCanceledException>();

        var late = new System.Collections.Concurrent.ConcurrentQueue<LateWorkEventArgs>();
        executor.LateWork += (_, e) => late.Enqueue(e);
        never.SetResult(); // the awaited Task completes after the stop, on this thread: not a crash

        // The await captured the executor's context, so its completion posts the task's wake there: one late
        // continuation, counted and raised before SetResult returns. It wakes nothing (the cancel detached the wake).
        executor.LateWorkItems.Should().Be(1);
        late.Should().ContainSingle().Which.Kind.Should().Be(LateWorkKind.Continuation);
        waiting.IsCanceled.Should().BeTrue("a late wake does not bring a cancelled task back");
    }

    [Fact]
    public async Task New_work_after_shutdown_fails_with_ObjectDisposedException()
    {
        LocalExecutor executor = Executors.Start(nameof(New_work_after_shutdown_fails_with_ObjectDisposedException));
        await executor.DisposeAsync();

        FluentActions.Invoking(() => executor.Spawn(() => 1)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => executor.Spawn(() => Task.FromResult(1))).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => executor.Post(() => { })).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => executor.Start(() => Local())).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task A_late_continuation_runs_on_the_thread_pool_and_its_method_completes()
    {
        LocalExecutor executor = Executors.Start(nameof(A_late_continuation_runs_on_the_thread_pool_and_its_method_completes));
        var late = new TaskCompletionSource<int>();
        var resumedOn = new TaskCompletionSource<bool>();

        LocalTask<int> started = executor.Spawn(async () =>
        {
            int value = await late.Task; // suspended through the executor's synchronization context
            resumedOn.SetResult(Thread.CurrentThread.IsThreadPoolThread);
            return value;
        });
        await executor.Drain();
        await executor.ShutdownAsync(TimeSpan.Zero);

        late.SetResult(3); // completes after the stop: the continuation is late work
        (await resumedOn.Task.Within("the late continuation")).Should().BeTrue();
        executor.LateWorkItems.Should().BeGreaterThan(0);
        started.IsCanceled.Should().BeTrue("the spawn's own raw task was cancelled at shutdown");
    }

    [Fact]
    public async Task Disposing_from_the_executor_thread_requests_the_stop()
    {
        LocalExecutor executor = Executors.Start(nameof(Disposing_from_the_executor_thread_requests_the_stop));
        await executor.OnExecutor(() => { _ = executor.DisposeAsync().AsTask(); });
        await executor.Completion.Within("the executor to stop");
        executor.Thread.Join(Bounded.Timeout).Should().BeTrue();
    }

    private static async LocalTask<int> WaitForever(Task never)
    {
        await never;
        return 1;
    }

    private static async LocalTask<int> Local()
    {
        await Task.Yield();
        return 1;
    }
}
