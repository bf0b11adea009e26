using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Threading;

// A blocking wait for pending local work on its own executor thread could never end: only that thread can run the
// work. Each form below fails at once with a message naming the way out, instead of hanging the core.
public sealed class BlockingWaitDetectionTests
{
    private static async Task<InvalidOperationException> FailureOnTheCore(LocalExecutor executor, Action<LocalTask<int>> wait)
    {
        Exception? failure = await executor.OnExecutor(() =>
        {
            LocalTask<int> pending = executor.Spawn(() => 1); // queued behind this turn: pending while it runs
            try
            {
                wait(pending);
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        });

        // Wait() and .Result report a task's failure inside an AggregateException, as for any task.
        if (failure is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            failure = aggregate.InnerException;
        }

        return failure.Should().BeOfType<InvalidOperationException>().Subject;
    }

    private static void ShouldNameTheWayOut(InvalidOperationException failure, string executorName)
    {
        failure.Message.Should().Contain($"its own executor '{executorName}'")
            .And.Contain("Await it instead")
            .And.Contain("executor.JoinableTaskFactory.Run");
    }

    [Fact]
    public async Task AsTask_Wait_on_the_own_executor_thread_fails_at_once()
    {
        await using LocalExecutor executor = Executors.Start("wait-astask");
        InvalidOperationException failure = await FailureOnTheCore(executor, pending => pending.AsTask().Wait());
        ShouldNameTheWayOut(failure, "wait-astask");
        failure.Message.Should().Contain("would never end");
        failure.Message.Should().Contain("lambda in ThreadPerCore.Tests.Threading.BlockingWaitDetectionTests", "it names the pending work");
    }

    [Fact]
    public async Task AsTask_Result_on_the_own_executor_thread_fails_at_once()
    {
        await using LocalExecutor executor = Executors.Start("wait-result");
        ShouldNameTheWayOut(await FailureOnTheCore(executor, pending => _ = pending.AsTask().Result), "wait-result");
    }

    [Fact]
    public async Task AsTask_GetAwaiter_GetResult_on_the_own_executor_thread_fails_at_once()
    {
        await using LocalExecutor executor = Executors.Start("wait-getresult");
        ShouldNameTheWayOut(await FailureOnTheCore(executor, pending => _ = pending.AsTask().GetAwaiter().GetResult()), "wait-getresult");
    }

    [Fact]
    public async Task Task_WaitAll_over_a_pending_local_task_on_its_executor_thread_fails_at_once()
    {
        await using LocalExecutor executor = Executors.Start("wait-all");
        ShouldNameTheWayOut(await FailureOnTheCore(executor, pending => Task.WaitAll(Task.CompletedTask, pending.AsTask())), "wait-all");
    }

    [Fact]
    public async Task LocalTask_GetAwaiter_GetResult_and_Result_on_the_own_executor_thread_fail_at_once()
    {
        await using LocalExecutor executor = Executors.Start("wait-local");
        ShouldNameTheWayOut(await FailureOnTheCore(executor, pending => _ = pending.GetAwaiter().GetResult()), "wait-local");
        ShouldNameTheWayOut(await FailureOnTheCore(executor, pending => _ = pending.Result), "wait-local");
    }

    [Fact]
    public async Task The_failed_wait_leaves_the_task_to_complete_normally()
    {
        await using LocalExecutor executor = Executors.Start("wait-then-await");
        LocalTask<int>? pending = null;
        await executor.OnExecutor(() =>
        {
            pending = executor.Spawn(() => 7);
            Action wait = () => pending.AsTask().GetAwaiter().GetResult();
            wait.Should().Throw<InvalidOperationException>("GetResult rethrows the failure as it is");
        });

        (await pending!.Within("the task after the refused wait")).Should().Be(7);
    }

    [Fact]
    public async Task Waiting_from_another_thread_still_blocks_until_the_task_completes()
    {
        await using LocalExecutor executor = Executors.Start("wait-foreign");
        using var release = new ManualResetEventSlim();
        LocalTask<int> task = executor.Spawn(() => release.Wait(Bounded.Timeout) ? 3 : -1);
        Task<int> mirror = task.AsTask();

        Task<int> waiter = Task.Run(() => mirror.Result); // blocks a pool thread, as any Task would
        release.Set();

        (await waiter.Within("the blocking wait from the pool")).Should().Be(3);
    }

    [Fact]
    public async Task Waiting_on_a_completed_local_task_on_its_executor_thread_returns_its_result()
    {
        await using LocalExecutor executor = Executors.Start("wait-completed");
        LocalTask<int> done = executor.Spawn(() => 11);
        await done.Within("the task");

        (await executor.OnExecutor(() => done.AsTask().Result)).Should().Be(11);
    }

    [Fact]
    public async Task JoinableTaskFactory_Run_is_the_way_out_on_the_core()
    {
        await using LocalExecutor executor = Executors.Start("wait-jtf");

        int result = await executor.OnExecutor(() =>
        {
            LocalTask<int> pending = executor.Spawn(() => 5);
            return executor.JoinableTaskFactory.Run(() => pending.AsTask());
        });

        result.Should().Be(5);
    }

    [Fact]
    public async Task A_task_queued_on_the_executor_scheduler_and_waited_on_its_thread_runs_inline()
    {
        await using LocalExecutor executor = Executors.Start("wait-scheduler");

        int result = await executor.OnExecutor(() =>
        {
            Task<int> queued = Task.Factory.StartNew(() => 9, CancellationToken.None, TaskCreationOptions.None, executor.Scheduler);
            return queued.Result; // inlined by the scheduler: the wait cannot hang
        });

        result.Should().Be(9);
    }

    [Fact]
    public async Task The_mirror_keeps_the_outcomes_of_the_local_task()
    {
        await using LocalExecutor executor = Executors.Start("mirror-outcomes");
        using var userCancel = new CancellationTokenSource();
        await userCancel.CancelAsync();

        LocalTask<int> faulted = executor.Spawn(int () => throw new FormatException("bad"));
        LocalTask<int> userCancelled = executor.Spawn(int () => throw new OperationCanceledException(userCancel.Token));
        LocalTask<int> succeeded = executor.Spawn(() => 1);
        LocalTask<int> cancelledBeforeItRan;
        Task<int> cancelledMirror;
        using (ExecutorHold.Of(executor))
        {
            // Spawn and cancel reach the held executor's inbox together, so the cancel is applied before the task can
            // run. (Behind a task blocked in its turn, the spawn was already in the run queue: the rest of that turn's
            // slice could run it before the loop looked at its inbox again and saw the cancel.)
            cancelledBeforeItRan = executor.Spawn(() => 2);
            cancelledBeforeItRan.Cancel();
            cancelledMirror = cancelledBeforeItRan.AsTask();
        }

        Func<Task> awaitFaulted = () => faulted.AsTask();
        (await awaitFaulted.Should().ThrowAsync<FormatException>()).WithMessage("bad");

        Func<Task> awaitUserCancelled = () => userCancelled.AsTask();
        (await awaitUserCancelled.Should().ThrowAsync<OperationCanceledException>()).Which.CancellationToken.Should().Be(userCancel.Token);

        Func<Task> awaitCancelled = () => cancelledMirror;
        await awaitCancelled.Should().ThrowAsync<OperationCanceledException>();
        cancelledMirror.IsCanceled.Should().BeTrue("Cancel() gives a cancelled Task");
        (await succeeded.AsTask()).Should().Be(1);
    }
}

// The platform fact behind the README's "why not SynchronizationContext.Wait": the runtime does route blocking waits
// through a context that asks for it, but hands it only wait handles, which cannot tell local work from anything else.
public sealed class SynchronizationContextWaitFactTests
{
    /// <summary>Counts the runtime's calls per phase of the waiting thread and tells the test thread about each.</summary>
    private sealed class CountingContext : SynchronizationContext
    {
        private readonly SemaphoreSlim[] _called;

        public CountingContext(SemaphoreSlim[] called)
        {
            _called = called;
            SetWaitNotificationRequired();
        }

        public int Phase;

        public readonly int[] Waits = new int[2];

        public override int Wait(IntPtr[] waitHandles, bool waitAll, int millisecondsTimeout)
        {
            int phase = Volatile.Read(ref Phase);
            Interlocked.Increment(ref Waits[phase]);
            _called[phase].Release();
            return base.Wait(waitHandles, waitAll, millisecondsTimeout);
        }
    }

    [Fact]
    public void The_runtime_calls_SynchronizationContext_Wait_for_Task_Wait_and_ManualResetEventSlim_Wait()
    {
        // Each wait is released only once the context saw it (or after the bound, and then the count says no).
        using var taskWaitSeen = new SemaphoreSlim(0);
        using var eventWaitSeen = new SemaphoreSlim(0);
        var context = new CountingContext([taskWaitSeen, eventWaitSeen]);
        var task = new TaskCompletionSource();
        using var signal = new ManualResetEventSlim();
        var waiter = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(context);
            task.Task.Wait(Bounded.Timeout);
            Volatile.Write(ref context.Phase, 1);
            signal.Wait(Bounded.Timeout);
        });
        waiter.Start();
        taskWaitSeen.Wait(Bounded.Timeout);
        task.SetResult();
        eventWaitSeen.Wait(Bounded.Timeout);
        signal.Set();
        waiter.Join(Bounded.Timeout).Should().BeTrue();

        context.Waits[0].Should().BeGreaterThan(0, "Task.Wait blocks through the context");
        context.Waits[1].Should().BeGreaterThan(0, "ManualResetEventSlim.Wait blocks through the context");
    }
}
