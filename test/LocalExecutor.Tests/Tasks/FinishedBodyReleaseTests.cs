using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// A raw task lets go of its body as soon as it no longer needs it, even while the task itself is still held (a
/// <see cref="LocalTask"/> kept in a field or a collection is common): a delegate and what it captured once it was called,
/// the value task or task it returned once it was cancelled, an async method's state machine once it was cancelled.
/// Without that, a held task keeps alive whatever its body captured. Each test makes the body in a frame of its own,
/// keeps the task, and checks a weak reference after a full GC.
/// </summary>
public sealed class FinishedBodyReleaseTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(FinishedBodyReleaseTests), drainTimeout: TimeSpan.FromMilliseconds(100));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task A_delegate_that_ran_lets_go_of_what_it_captured()
    {
        (LocalTask<int> task, WeakReference captured) = SpawnCapturing(_executor);

        (await task.Within("the delegate")).Should().Be(10_000);
        AssertCollected(captured, "a delegate that ran is not kept by its task");
        GC.KeepAlive(task);
    }

    [Fact]
    public async Task A_delegate_given_its_state_lets_go_of_the_state_once_it_ran()
    {
        (LocalTask<int> task, WeakReference state) = SpawnWithState(_executor);

        (await task.Within("the delegate")).Should().Be(10_000);
        AssertCollected(state, "the state argument of a delegate that ran is not kept by its task");
        GC.KeepAlive(task);
    }

    [Fact]
    public async Task A_delegate_cancelled_before_it_ran_lets_go_of_what_it_captured()
    {
        LocalTask<int> task;
        WeakReference captured;
        using (ExecutorHold.Of(_executor))
        {
            (task, captured) = SpawnCapturing(_executor);
            task.Cancel(); // reaches the held inbox behind the spawn
        }

        await FluentActions.Awaiting(() => task.Within("the cancel")).Should().ThrowAsync<OperationCanceledException>();
        AssertCollected(captured, "a cancelled delegate never runs, so its task need not keep it");
        GC.KeepAlive(task);
    }

    [Fact]
    public async Task A_ValueTask_body_that_was_called_lets_go_of_its_delegate_while_its_value_task_is_pending()
    {
        var pending = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        (LocalTask<int> task, WeakReference captured) = SpawnValueTaskBody(_executor, pending.Task);
        await _executor.Drain();

        task.IsCompleted.Should().BeFalse("the body's value task is pending");
        AssertCollected(captured, "the body was called once; only its value task is needed now");
        pending.SetResult(3);
        (await task.Within("the value task")).Should().Be(3);
    }

    [Fact]
    public async Task A_ValueTask_body_without_result_lets_go_of_its_delegate_while_its_value_task_is_pending()
    {
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (LocalTask task, WeakReference captured) = SpawnVoidValueTaskBody(_executor, pending.Task);
        await _executor.Drain();

        task.IsCompleted.Should().BeFalse("the body's value task is pending");
        AssertCollected(captured, "the body was called once; only its value task is needed now");
        pending.SetResult();
        await task.Within("the value task");
    }

    [Fact]
    public async Task A_cancelled_Task_body_lets_go_of_the_task_it_returned()
    {
        (LocalTask<int> task, WeakReference returned) = SpawnReturning(_executor);
        await CancelAsync(task);

        AssertCollected(returned, "a cancelled task no longer waits for what its body returned");
        GC.KeepAlive(task);
    }

    [Fact]
    public async Task A_cancelled_ValueTask_body_lets_go_of_the_value_task_it_returned()
    {
        WeakReference? returned = null;
        LocalTask<int> task = SpawnValueTaskOf(_executor, weak => returned = weak);
        await CancelAsync(task);

        AssertCollected(returned!, "a cancelled task no longer waits for what its body returned");
        GC.KeepAlive(task);
    }

    [Fact]
    public async Task A_cancelled_ValueTask_body_without_result_lets_go_of_the_value_task_it_returned()
    {
        WeakReference? returned = null;
        LocalTask task = SpawnVoidValueTaskOf(_executor, weak => returned = weak);
        await CancelAsync(task);

        AssertCollected(returned!, "a cancelled task no longer waits for what its body returned");
        GC.KeepAlive(task);
    }

    [Fact]
    public async Task A_cancelled_local_method_lets_go_of_its_locals()
    {
        var pending = new TaskCompletionSource();
        (LocalTask task, WeakReference local) = StartHolding(_executor, pending.Task);
        await CancelAsync(task);

        AssertCollected(local, "a cancelled async method never resumes, so its state machine is cleared");
        GC.KeepAlive(task);
        pending.Task.IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task A_ValueTask_body_that_completed_lets_go_of_the_value_task_it_returned()
    {
        WeakReference? returned = null;
        LocalTask<int> task = SpawnCompletingValueTaskOf(_executor, weak => returned = weak);

        (await task.Within("the body")).Should().Be(4);
        AssertCollected(returned!, "the result was read: the completed value task is not needed any more");
        GC.KeepAlive(task);
    }

    [Fact]
    public async Task A_ValueTask_body_without_result_that_completed_lets_go_of_the_value_task_it_returned()
    {
        WeakReference? returned = null;
        LocalTask task = SpawnCompletingVoidValueTaskOf(_executor, weak => returned = weak);

        await task.Within("the body");
        AssertCollected(returned!, "the outcome was read: the completed value task is not needed any more");
        GC.KeepAlive(task);
    }

    private async Task CancelAsync(LocalTask task)
    {
        await _executor.Drain();
        task.IsCompleted.Should().BeFalse("the body is suspended on its pending wait");
        task.Cancel();
        await _executor.Drain(); // the cancel travels through the inbox ahead of the drain marker
        task.IsCanceled.Should().BeTrue();
    }

    // Each body is made in a frame of its own, so that no local of the test method keeps what the task should let go.

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (LocalTask<int>, WeakReference) SpawnCapturing(LocalExecutor executor)
    {
        byte[] captured = new byte[10_000];
        return (executor.Spawn(() => captured.Length), new WeakReference(captured));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (LocalTask<int>, WeakReference) SpawnWithState(LocalExecutor executor)
    {
        byte[] state = new byte[10_000];
        return (executor.Spawn(static bytes => bytes.Length, state), new WeakReference(state));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (LocalTask<int>, WeakReference) SpawnValueTaskBody(LocalExecutor executor, Task<int> pending)
    {
        byte[] captured = new byte[10_000];
        LocalTask<int> task = executor.Spawn(() =>
        {
            GC.KeepAlive(captured);
            return new ValueTask<int>(pending);
        });
        return (task, new WeakReference(captured));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (LocalTask, WeakReference) SpawnVoidValueTaskBody(LocalExecutor executor, Task pending)
    {
        byte[] captured = new byte[10_000];
        LocalTask task = executor.Spawn(() =>
        {
            GC.KeepAlive(captured);
            return new ValueTask(pending);
        });
        return (task, new WeakReference(captured));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (LocalTask<int>, WeakReference) SpawnReturning(LocalExecutor executor)
    {
        // The returned task is pending and nothing but the raw task (and the wake it registered) refers to it.
        Task<int> returned = new TaskCompletionSource<int>().Task;
        var weak = new WeakReference(returned);
        return (executor.Spawn(() => returned), weak);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LocalTask<int> SpawnValueTaskOf(LocalExecutor executor, Action<WeakReference> report) =>
        executor.Spawn(() =>
        {
            Task<int> returned = new TaskCompletionSource<int>().Task;
            report(new WeakReference(returned));
            return new ValueTask<int>(returned);
        });

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LocalTask SpawnVoidValueTaskOf(LocalExecutor executor, Action<WeakReference> report) =>
        executor.Spawn(() =>
        {
            Task returned = new TaskCompletionSource().Task;
            report(new WeakReference(returned));
            return new ValueTask(returned);
        });

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LocalTask<int> SpawnCompletingValueTaskOf(LocalExecutor executor, Action<WeakReference> report) =>
        executor.Spawn(() =>
        {
            // Completes later, so the raw task keeps it while it waits; afterwards only the raw task could refer to it.
            Task<int> returned = Task.Run(() => 4);
            report(new WeakReference(returned));
            return new ValueTask<int>(returned);
        });

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LocalTask SpawnCompletingVoidValueTaskOf(LocalExecutor executor, Action<WeakReference> report) =>
        executor.Spawn(() =>
        {
            Task returned = Task.Run(() => { });
            report(new WeakReference(returned));
            return new ValueTask(returned);
        });

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (LocalTask, WeakReference) StartHolding(LocalExecutor executor, Task pending)
    {
        byte[] local = new byte[10_000];
        return (executor.Start(() => HoldAcrossAwaitAsync(pending, local)), new WeakReference(local));
    }

    private static async LocalTask HoldAcrossAwaitAsync(Task pending, byte[] local)
    {
        await pending;
        GC.KeepAlive(local);
    }

    private static void AssertCollected(WeakReference reference, string because)
    {
        for (int i = 0; i < 3 && reference.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        reference.IsAlive.Should().BeFalse(because);
    }
}
