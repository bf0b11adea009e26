using System;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// The debugger view of a raw task names the state it is in (<see cref="LocalTask.DebuggerStateText"/>): a task
/// that shows "Running" while it waits, or "Idle" while it is queued, sends whoever debugs a hang the wrong way. Each
/// state is read where the task is in it, on the executor thread.
/// </summary>
public sealed class DebuggerViewTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(DebuggerViewTests), drainTimeout: TimeSpan.FromMilliseconds(100));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task A_task_waiting_for_a_wake_is_idle_and_a_finished_one_completed()
    {
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask waiting = _executor.Start(() => AwaitAsync(pending.Task));
        await _executor.Drain();

        waiting.DebuggerStateText.Should().Be("Idle");
        waiting.DebuggerState.Should().Contain(nameof(AwaitAsync), "the debugger's line names the body")
            .And.Contain($" on {_executor.Name}/", "and the queue it runs on")
            .And.EndWith(": Idle", "and its state");
        pending.SetResult();
        await waiting.Within("the waiting task");
        waiting.DebuggerStateText.Should().Be("Completed");
    }

    [Fact]
    public async Task A_task_queued_behind_the_running_one_is_scheduled()
    {
        string seen = await _executor.Spawn(() =>
        {
            LocalTask queued = _executor.Spawn(() => { }); // on the owner thread: queued, not run inline
            return queued.DebuggerStateText;
        }).Within("the spawning task");

        seen.Should().Be("Scheduled");
    }

    [Fact]
    public async Task A_task_cancelled_while_queued_stays_closed_when_its_queue_entry_retires_and_never_runs()
    {
        bool ran = false;
        (string afterCancel, string afterRetire, bool canceled) = await _executor.Spawn(async () =>
        {
            LocalTask queued = _executor.Spawn(() => { ran = true; }); // on the owner thread: queued, not run inline
            queued.Cancel(); // idle in the queue: it ends now; its queue entry retires when the loop reaches it
            string afterCancel = queued.DebuggerStateText;
            await Task.Yield(); // resumes behind the queued entry
            return (afterCancel, queued.DebuggerStateText, queued.IsCanceled);
        }).Within("the spawning task");

        afterCancel.Should().Be("Closed", "a task cancelled before its body finished shows as closed");
        afterRetire.Should().Be("Closed", "the retiring entry must not leave the ended task looking queued");
        canceled.Should().BeTrue();
        ran.Should().BeFalse("a task cancelled before it ran never runs its body");
    }

    [Fact]
    public async Task A_task_is_running_in_its_poll_woken_once_it_yielded_and_closed_once_it_cancelled_itself()
    {
        LocalTask<string[]> task;
        LocalTask<string[]>? self = null;
        using (ExecutorHold.Of(_executor))
        {
            // Spawned while the executor is held, so the body reads its own task only after the assignment.
            task = self = _executor.Spawn(() =>
            {
                string running = self!.DebuggerStateText;
                self.YieldNow();
                string woken = self.DebuggerStateText;
                return new[] { running, woken };
            });
        }

        (await task.Within("the yielding task")).Should().Equal("Running", "Running, woken");

        LocalTask? cancelling = null;
        string? closed = null;
        using (ExecutorHold.Of(_executor))
        {
            cancelling = _executor.Spawn(() =>
            {
                cancelling!.Cancel();
                closed = cancelling.DebuggerStateText;
            });
        }

        await FluentActions.Awaiting(() => cancelling.Within("the cancelled task")).Should().ThrowAsync<OperationCanceledException>();
        closed.Should().Be("Closed", "a cancel during the poll closes the task; it ends once the poll returns");
        cancelling.DebuggerStateText.Should().Be("Completed");
    }

    [Fact]
    public async Task A_Task_body_is_named_by_its_delegate_until_it_is_called_then_by_the_task_it_returned()
    {
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<Task> body = () => pending.Task;
        LocalTask task;
        using (ExecutorHold.Of(_executor))
        {
            task = _executor.Spawn(body);
            task.DiagnosticBody.Should().BeSameAs(body, "stall reports name what has not run yet by its delegate");
        }

        await _executor.Drain();
        task.DiagnosticBody.Should().BeSameAs(pending.Task, "once called, the body is what it returned");
        pending.SetResult();
        await task.Within("the body");
    }

    private static async LocalTask AwaitAsync(Task pending) => await pending;
}
