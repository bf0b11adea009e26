using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// A cancelled raw task lets go of what it waited on: while the awaited <see cref="Task"/> or <see cref="LocalTask"/> is
/// still pending, nothing it holds leads back to the cancelled task, so the task and its body can be collected. Each
/// test keeps the awaited thing alive and pending, cancels the waiter, and checks with a weak reference after a full GC.
/// </summary>
public sealed class CancelledWaitReleaseTests : IAsyncLifetime
{
    // Some tests leave a task waiting forever on purpose; the dispose cancels it after a short drain instead of the
    // default 5 s (which made this class the slowest of its folder when the tests run one at a time).
    private readonly LocalExecutor _executor = Executors.Start(nameof(CancelledWaitReleaseTests), drainTimeout: TimeSpan.FromMilliseconds(100));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public void A_local_method_cancelled_while_awaiting_a_pending_Task_is_not_kept_by_that_Task()
    {
        var pending = new TaskCompletionSource();
        WeakReference cancelled = StartWaitAndCancel(() => _executor.Start(() => AwaitAsync(pending.Task, new byte[10_000])));

        AssertCollected(cancelled);
        pending.Task.IsCompleted.Should().BeFalse("the awaited task is still pending (and alive) when the waiter is collected");
    }

    [Fact]
    public void A_local_method_cancelled_while_awaiting_a_pending_LocalTask_is_not_kept_by_it()
    {
        var pending = new TaskCompletionSource();
        LocalTask awaited = _executor.Start(() => AwaitAsync(pending.Task, null));
        WeakReference cancelled = StartWaitAndCancel(() => _executor.Start(() => AwaitLocalAsync(awaited)));

        AssertCollected(cancelled);
        awaited.IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task Several_waiters_of_one_LocalTask_cancelled_are_all_released_and_the_others_still_woken()
    {
        var pending = new TaskCompletionSource();
        LocalTask awaited = _executor.Start(() => AwaitAsync(pending.Task, null));
        LocalTask survivor = _executor.Start(() => AwaitLocalAsync(awaited));
        WeakReference[] cancelled = Enumerable.Range(0, 5)
            .Select(_ => StartWaitAndCancel(() => _executor.Start(() => AwaitLocalAsync(awaited))))
            .ToArray();

        foreach (WeakReference one in cancelled)
        {
            AssertCollected(one);
        }

        survivor.IsCompleted.Should().BeFalse();
        pending.SetResult();
        await survivor.Within("the waiter that was not cancelled");
    }

    [Fact]
    public void A_spawned_Task_body_cancelled_while_its_task_is_pending_is_not_kept_by_it()
    {
        var pending = new TaskCompletionSource();
        WeakReference cancelled = StartWaitAndCancel(() => _executor.Spawn(() => pending.Task));

        AssertCollected(cancelled);
    }

    [Fact]
    public void A_spawned_ValueTask_body_cancelled_while_it_is_pending_is_not_kept_by_it()
    {
        var pending = new TaskCompletionSource();
        WeakReference cancelled = StartWaitAndCancel(() => _executor.Spawn(() => new ValueTask(pending.Task)));

        AssertCollected(cancelled);
    }

    [Fact]
    public async Task The_wake_delegate_leads_our_own_awaitables_to_its_task_until_the_task_is_cancelled()
    {
        var pending = new TaskCompletionSource();
        LocalTask task = _executor.Start(() => AwaitAsync(pending.Task, null));
        await _executor.Drain();
        Action wake = task.WakeAction;

        task.WakeAction.Should().BeSameAs(wake, "one wake delegate per task: the one its cancel detaches");
        LocalTask.OwnerOfWakeAction(wake).Should().BeSameAs(task, "channels and sockets wake the task itself, one hop");
        LocalTask.OwnerOfWakeAction(() => { }).Should().BeNull();
        task.Cancel();
        await _executor.Drain();
        LocalTask.OwnerOfWakeAction(wake).Should().BeNull("a cancelled task's relay is detached");
        wake(); // a late wake from the awaited task is harmless
        task.IsCanceled.Should().BeTrue();
    }

    /// <summary>Starts a waiter, lets it suspend, cancels it and waits until it ended; only a weak reference leaves
    /// this frame.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference StartWaitAndCancel(Func<LocalTask> start)
    {
        LocalTask task = start();
        _executor.Drain().GetAwaiter().GetResult();
        task.IsCompleted.Should().BeFalse("the waiter is suspended on its pending wait");
        task.Cancel();
        _executor.Drain().GetAwaiter().GetResult(); // the cancel travels through the inbox ahead of the drain marker
        task.IsCanceled.Should().BeTrue();
        return new WeakReference(task);
    }

    private static void AssertCollected(WeakReference reference)
    {
        for (int i = 0; i < 3 && reference.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        reference.IsAlive.Should().BeFalse("a cancelled wait must not keep the waiter reachable from what it awaited");
    }

    private static async LocalTask AwaitAsync(Task pending, byte[]? body)
    {
        await pending;
        GC.KeepAlive(body); // something the body holds, released with it
    }

    private static async LocalTask AwaitLocalAsync(LocalTask awaited) => await awaited;
}
