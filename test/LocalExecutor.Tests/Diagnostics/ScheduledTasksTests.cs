using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Diagnostics;

// What a debugger shows: the executor is held in a turn (a blocking wait the test releases) while work piles up in its
// inbox and run queue, so the snapshot is deterministic.
public sealed class ScheduledTasksTests
{
    [Fact]
    public async Task GetScheduledTasks_lists_queued_tasks_async_methods_waiting_to_resume_and_pinned_methods()
    {
        await using LocalExecutor executor = Executors.Start("scheduled");
        var resume = new TaskCompletionSource();
        Task waitingMethod = await executor.OnExecutor(() => ScheduledWork.AwaitAsync(resume.Task));
        using var release = new ManualResetEventSlim();
        using var held = new ManualResetEventSlim();
        Task? queuedLocally = null;
        executor.Post(() =>
        {
            queuedLocally = Task.Factory.StartNew(() => 1, CancellationToken.None, TaskCreationOptions.None, executor.Scheduler);
            held.Set();
            release.Wait(Bounded.Timeout);
        });
        held.Wait(Bounded.Timeout).Should().BeTrue();

        Task<int> queuedFromOutside = Task.Factory.StartNew(() => 2, CancellationToken.None, TaskCreationOptions.None, executor.Scheduler);
        resume.SetResult(); // the method's continuation is posted to the executor
        Task<int> pinned;
        using (executor.EnterScope())
        {
            pinned = ScheduledWork.PinnedAsync();
        }

        Task[] scheduled = [.. executor.GetScheduledTasks(executor.DefaultQueue)];
        var view = new LocalExecutorDebugView(executor);
        string[] queued = [.. view.TaskQueues[0].Items.Select(i => i.Description)];
        string[] inbox = [.. view.Inbox.Select(i => i.Description)];
        release.Set();
        await Task.WhenAll(waitingMethod, queuedFromOutside, pinned, queuedLocally!).Within("the queued work");

        scheduled.Should().Contain(new[] { queuedLocally!, queuedFromOutside, waitingMethod, pinned });
        queued.Should().ContainSingle().Which.Should().StartWith("task ");
        inbox.Should().Contain("async method ThreadPerCore.Tests.Diagnostics.ScheduledWork.AwaitAsync");
        inbox.Should().Contain("async method ThreadPerCore.Tests.Diagnostics.ScheduledWork.PinnedAsync");
    }

    [Fact]
    public async Task The_debugger_views_describe_raw_tasks_queues_and_live_tasks()
    {
        await using LocalExecutor executor = Executors.Start("views");
        TaskQueueHandle batch = executor.CreateTaskQueue("batch", Shares.Default, Latency.NotImportant);
        var resume = new TaskCompletionSource();
        LocalTask suspended = executor.Start(() => ScheduledWork.SuspendedAsync(resume.Task));
        await executor.Drain();
        using var release = new ManualResetEventSlim();
        using var held = new ManualResetEventSlim();
        executor.Post(() =>
        {
            _ = executor.Spawn(batch, () => 3);
            executor.Post(() => { });
            held.Set();
            release.Wait(Bounded.Timeout);
        });
        held.Wait(Bounded.Timeout).Should().BeTrue();

        var view = new LocalExecutorDebugView(executor);
        var batchView = new TaskQueueDebugView(batch);
        var taskView = new LocalTaskDebugView(suspended);
        QueuedWork[] batchItems = batchView.Items;
        QueuedWork[] defaultItems = view.TaskQueues[0].Items;
        LocalTaskDebugView[] live = view.LiveTasks;
        release.Set();
        resume.SetResult();
        await suspended.Within("the suspended method");

        view.Name.Should().Be("views");
        view.TaskQueues.Select(q => q.Name).Should().Equal("default", "batch");
        batchView.Name.Should().Be("batch");
        batchItems.Should().ContainSingle().Which.Kind.Should().Be("poll");
        batchItems[0].Description.Should().StartWith("lambda in ThreadPerCore.Tests.Diagnostics.ScheduledTasksTests");
        defaultItems.Should().ContainSingle().Which.Kind.Should().Be("continuation");
        live.Select(t => t.Body).Should().Contain("async method ThreadPerCore.Tests.Diagnostics.ScheduledWork.SuspendedAsync");
        taskView.TaskQueue.Should().Be("default");
        taskView.Executor.Should().Be("views");
    }

    [Fact]
    public async Task A_raw_task_shows_its_body_and_state_in_the_debugger_display()
    {
        await using LocalExecutor executor = Executors.Start("display");
        var resume = new TaskCompletionSource();
        LocalTask suspended = executor.Start(() => ScheduledWork.SuspendedAsync(resume.Task));
        await executor.Drain();

        var view = new LocalTaskDebugView(suspended);
        view.State.Should().Be("Idle");
        view.Body.Should().Be("async method ThreadPerCore.Tests.Diagnostics.ScheduledWork.SuspendedAsync");
        resume.SetResult();
        await suspended.Within("the method");
        new LocalTaskDebugView(suspended).State.Should().Be("Completed");
    }
}

internal static class ScheduledWork
{
    public static async Task AwaitAsync(Task resume) => await resume;

    [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder<>))]
    public static async Task<int> PinnedAsync()
    {
        await Task.Yield();
        return 4;
    }

    public static async LocalTask SuspendedAsync(Task resume) => await resume;
}
