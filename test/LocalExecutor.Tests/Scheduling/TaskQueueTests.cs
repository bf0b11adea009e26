using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Scheduling;

public sealed class TaskQueueTests
{
    [Fact]
    public async Task Plain_spawns_run_in_the_default_queue_whose_id_is_zero()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle? seen = await executor.Spawn(() => LocalExecutor.CurrentTaskQueue).Within("spawn");

        seen.Should().BeSameAs(executor.DefaultTaskQueue);
        executor.DefaultTaskQueue.Id.Should().Be(0);
        executor.DefaultTaskQueue.IsDefault.Should().BeTrue();
        LocalExecutor.CurrentTaskQueue.Should().BeNull("the test thread runs no queue");
    }

    [Fact]
    public async Task Work_spawned_into_a_queue_runs_there_with_its_scheduler_and_context()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("batch", Shares.Static(200), Latency.NotImportant);

        var (current, scheduler, context) = await executor.Spawn(queue, () =>
            (LocalExecutor.CurrentTaskQueue, TaskScheduler.Current, SynchronizationContext.Current)).Within("spawn");

        current.Should().BeSameAs(queue);
        scheduler.Should().BeSameAs(queue.Scheduler);
        context.Should().Be(queue.SynchronizationContext);
        queue.Name.Should().Be("batch");
        queue.CurrentShares.Should().Be(200);
    }

    [Fact]
    public async Task Task_Factory_and_await_continuations_stay_in_the_queue()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("requests", Shares.Default, Latency.Matters(TimeSpan.FromMilliseconds(5)));

        (TaskQueueHandle? beforeAwait, TaskQueueHandle? afterForeignAwait, TaskQueueHandle? fromFactory, TaskQueueHandle? afterFactory) seen = await executor.Spawn(queue, () => BodyAsync()).Within("async body in a queue");

        seen.beforeAwait.Should().BeSameAs(queue);
        seen.afterForeignAwait.Should().BeSameAs(queue);
        seen.fromFactory.Should().BeSameAs(queue);
        seen.afterFactory.Should().BeSameAs(queue);

        static async Task<(TaskQueueHandle?, TaskQueueHandle?, TaskQueueHandle?, TaskQueueHandle?)> BodyAsync()
        {
            TaskQueueHandle? beforeAwait = LocalExecutor.CurrentTaskQueue;
            await Task.Delay(1); // completes on a thread-pool timer thread; resumes through the queue's context
            TaskQueueHandle? afterForeignAwait = LocalExecutor.CurrentTaskQueue;
#pragma warning disable VSTHRD105 // relying on TaskScheduler.Current is what this test checks
            TaskQueueHandle? fromFactory = await Task.Factory.StartNew(() => LocalExecutor.CurrentTaskQueue);
#pragma warning restore VSTHRD105
            TaskQueueHandle? afterFactory = LocalExecutor.CurrentTaskQueue;
            return (beforeAwait, afterForeignAwait, fromFactory, afterFactory);
        }
    }

    [Fact]
    public async Task An_async_LocalTask_body_spawned_into_a_queue_runs_there_and_so_do_its_children()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("local", 500);

        (TaskQueueHandle? Body, TaskQueueHandle? Child, TaskQueueHandle? AfterYield) seen =
            await executor.Start(queue, () => BodyAsync()).Within("LocalTask body");

        seen.Body.Should().BeSameAs(queue);
        seen.Child.Should().BeSameAs(queue);
        seen.AfterYield.Should().BeSameAs(queue);

        static async LocalTask<(TaskQueueHandle?, TaskQueueHandle?, TaskQueueHandle?)> BodyAsync()
        {
            TaskQueueHandle? body = LocalExecutor.CurrentTaskQueue;
            TaskQueueHandle? child = await LocalExecutor.Current!.Spawn(() => LocalExecutor.CurrentTaskQueue);
            await LocalExecutor.Yield();
            return (body, child, LocalExecutor.CurrentTaskQueue);
        }
    }

    [Fact]
    public async Task A_local_method_started_on_the_core_into_another_queue_waits_for_that_queue_and_runs_there()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("other", 500);

        (bool ranInline, string afterStart, TaskQueueHandle? ranIn, TaskQueueHandle? caller) = await executor.Spawn(async () =>
        {
            var seen = new TaskQueueHandle?[1];
            LocalTask started = executor.Start(queue, () => RecordQueueAsync(seen)); // from a task of the default queue
            bool ranInline = seen[0] is not null;
            string afterStart = started.DebuggerStateText;
            if (afterStart == "Scheduled")
            {
                await started.Within("the method started into the other queue"); // one left idle would never run: the state says so at once
            }

            return (ranInline, afterStart, seen[0], LocalExecutor.CurrentTaskQueue);
        }).Within("the caller in the default queue");

        ranInline.Should().BeFalse("a method started for another queue waits for that queue's turn instead of running in the caller's");
        afterStart.Should().Be("Scheduled", "it is queued in its own queue when Start returns");
        ranIn.Should().BeSameAs(queue, "it runs, and in the queue it was started into");
        caller.Should().BeSameAs(executor.DefaultTaskQueue);

        static async LocalTask RecordQueueAsync(TaskQueueHandle?[] seen)
        {
            seen[0] = LocalExecutor.CurrentTaskQueue;
            await LocalExecutor.Yield();
        }
    }

    [Fact]
    public async Task A_handle_of_another_executor_is_rejected_with_ArgumentException()
    {
        await using var first = new LocalExecutor();
        await using var second = new LocalExecutor();
        TaskQueueHandle foreign = second.CreateTaskQueue("theirs");

        Action spawn = () => _ = first.Spawn(foreign, () => 1);
        Action post = () => first.Post(foreign, () => { });
        Action setShares = () => first.SetShares(foreign, 10);
        Action remove = () => first.RemoveTaskQueue(foreign);

        spawn.Should().Throw<ArgumentException>().WithParameterName("queue").WithMessage("*belongs to executor*");
        post.Should().Throw<ArgumentException>().WithParameterName("queue");
        setShares.Should().Throw<ArgumentException>().WithParameterName("queue");
        remove.Should().Throw<ArgumentException>().WithParameterName("queue");
    }

    [Fact]
    public async Task Removing_a_queue_with_live_or_queued_work_throws_and_removal_then_rejects_spawns()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("short-lived");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int ran = 0;

        LocalTask waiting = executor.Start(queue, () => WaitAsync(gate.Task));
        await executor.Spawn(queue, () => 0).Within("a first item"); // the waiting task has started by now

        Action removeWhileLive = () => executor.RemoveTaskQueue(queue);
        removeWhileLive.Should().Throw<InvalidOperationException>().WithMessage("*still has work*1 unfinished task*");

        gate.SetResult();
        await waiting.Within("the waiting task");
        executor.RemoveTaskQueue(queue);

        queue.IsRemoved.Should().BeTrue();
        Action spawnIntoRemoved = () => _ = executor.Spawn(queue, () => Interlocked.Increment(ref ran));
        Action postIntoRemoved = () => executor.Post(queue, () => Interlocked.Increment(ref ran));
        Action removeAgain = () => executor.RemoveTaskQueue(queue);
        Action factoryIntoRemoved = () => _ = Task.Factory.StartNew(() => Interlocked.Increment(ref ran), CancellationToken.None, TaskCreationOptions.None, queue.Scheduler);
        spawnIntoRemoved.Should().Throw<InvalidOperationException>().WithMessage("*'short-lived'*was removed*");
        postIntoRemoved.Should().Throw<InvalidOperationException>();
        removeAgain.Should().Throw<InvalidOperationException>().WithMessage("*was removed*");
        factoryIntoRemoved.Should().Throw<TaskSchedulerException>().WithInnerException<InvalidOperationException>();
        await executor.Spawn(() => 0).Within("a later spawn");
        ran.Should().Be(0, "work for a removed queue never runs anywhere else");

        static async LocalTask<int> WaitAsync(Task gate)
        {
            await gate;
            return 1;
        }
    }

    [Fact]
    public async Task Removing_a_queue_with_queued_items_on_the_core_throws()
    {
        await using var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("busy");

        string message = await executor.Spawn(() =>
        {
            executor.Post(queue, () => { }); // queued, cannot run while this item runs
            try
            {
                executor.RemoveTaskQueue(queue);
                return "removed";
            }
            catch (InvalidOperationException exception)
            {
                return exception.Message;
            }
        }).Within("removal on the core");

        message.Should().Contain("1 queued item");
        queue.IsRemoved.Should().BeFalse();
    }

    [Fact]
    public async Task The_default_queue_cannot_be_removed()
    {
        await using var executor = new LocalExecutor();
        Action remove = () => executor.RemoveTaskQueue(executor.DefaultTaskQueue);
        remove.Should().Throw<InvalidOperationException>().WithMessage("*default task queue*");
    }

    [Fact]
    public void Invalid_shares_and_latency_are_rejected_at_the_edge()
    {
        Action zero = () => Shares.Static(0);
        Action tooMany = () => Shares.Static(1001);
        Action noBound = () => Latency.Matters(TimeSpan.Zero);
        Action nullProvider = () => Shares.Dynamic(null!);

        zero.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("shares");
        tooMany.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("shares");
        noBound.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("bound");
        nullProvider.Should().Throw<ArgumentNullException>().WithParameterName("provider");
    }

    [Fact]
    public async Task Shutdown_runs_callbacks_already_queued_in_every_queue()
    {
        var executor = new LocalExecutor();
        TaskQueueHandle other = executor.CreateTaskQueue("other", 1);
        using var release = new ManualResetEventSlim();
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask blocker = executor.Spawn(() =>
        {
            blocking.SetResult();
            release.Wait(Bounded.Timeout);
        });
        await blocking.Task.Within("the blocking item");
        bool ranOnCore = false;
        executor.Post(other, () => ranOnCore = executor.IsOwnerThread); // waits in the inbox: the core is blocked

        ValueTask disposing = executor.DisposeAsync();
        release.Set();
        await disposing.AsTask().Within("the shutdown");
        await blocker.Within("the blocker");

        ranOnCore.Should().BeTrue("shutdown runs what was already queued, in every queue, on the core");
    }

    [Fact]
    public async Task Shutdown_cancels_unfinished_tasks_of_every_queue()
    {
        var executor = new LocalExecutor();
        TaskQueueHandle queue = executor.CreateTaskQueue("other", 10);
        var never = new TaskCompletionSource();
        LocalTask stuck = executor.Start(queue, () => WaitAsync(never.Task));
        await executor.Spawn(queue, () => 0).Within("a first item");

        await executor.ShutdownAsync(TimeSpan.Zero); // no drain: what is left is cancelled

        Func<Task> awaitStuck = () => stuck.AsTask();
        await awaitStuck.Should().ThrowAsync<OperationCanceledException>();

        static async LocalTask<int> WaitAsync(Task gate)
        {
            await gate;
            return 1;
        }
    }
}
