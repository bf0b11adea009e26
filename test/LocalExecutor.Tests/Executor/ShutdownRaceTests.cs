using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>
/// Work that races the stop: every spawn either throws <see cref="ObjectDisposedException"/> or its task ends, and
/// whatever reaches an executor after it closed its gate (a first wake, a timer request, a cancel) ends its task
/// instead of vanishing. The interleavings themselves are explored by the systematic tests (ShutdownGateTests); these
/// tests drive the real executor through each outcome.
/// </summary>
public sealed class ShutdownRaceTests
{
    [Fact]
    public async Task A_first_wake_that_meets_the_closed_gate_ends_its_task_cancelled()
    {
        LocalExecutor executor = Executors.Start(nameof(A_first_wake_that_meets_the_closed_gate_ends_its_task_cancelled));
        await executor.DisposeAsync();

        // What a Spawn on another thread does when the stop overtakes it between building its task and handing the
        // first wake over: the wake reaches an executor that has closed its gate and will never poll again.
        var task = new DelegateTask<int, int>(executor.DefaultQueue, static x => x, 1);
        executor.EnqueueForeign(new WorkItem(WorkKind.Wake, task));

        task.IsCanceled.Should().BeTrue("a stopped executor polls nothing, so a late first wake must end the task, not drop it");
        await FluentActions.Awaiting(() => task.Within("the late task")).Should().ThrowAsync<OperationCanceledException>();
        executor.LateWorkItems.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_sleep_armed_after_the_stop_ends_cancelled()
    {
        LocalExecutor executor = Executors.Start(nameof(A_sleep_armed_after_the_stop_ends_cancelled));
        await executor.DisposeAsync();

        // What Sleep on another thread does when the stop overtakes it after its check: the timer request is late.
        LocalTask sleep = DelayTask.Start(executor, executor.DefaultQueue, TimeSpan.FromMilliseconds(10), CancellationToken.None);

        sleep.IsCanceled.Should().BeTrue("the timer will never fire: the late arm must cancel the sleep, not drop the request");
    }

    [Fact]
    public async Task A_cancel_from_another_thread_after_the_stop_ends_a_task_the_executor_never_saw()
    {
        LocalExecutor executor = Executors.Start(nameof(A_cancel_from_another_thread_after_the_stop_ends_a_task_the_executor_never_saw));
        var task = new DelegateTask<int, int>(executor.DefaultQueue, static x => x, 1); // built, never handed over
        await executor.DisposeAsync();

        task.Cancel();

        task.IsCanceled.Should().BeTrue("a late cancel is applied, not dropped");
    }

    [Fact]
    public async Task Late_wakes_and_cancels_racing_each_other_end_the_task_once()
    {
        LocalExecutor executor = Executors.Start(nameof(Late_wakes_and_cancels_racing_each_other_end_the_task_once));
        await executor.DisposeAsync();
        const int Tasks = 2_000;
        var tasks = new DelegateTask<int, int>[Tasks];
        int[] completions = new int[Tasks];
        for (int i = 0; i < Tasks; i++)
        {
            int slot = i;
            tasks[i] = new DelegateTask<int, int>(executor.DefaultQueue, static x => x, i);
            tasks[i].GetAwaiter().OnCompleted(() => Interlocked.Increment(ref completions[slot]));
        }

        // Several late threads claim each task at once (no owner is left to serialize them): exactly one ends it.
        using var start = new Barrier(3);
        Task Race(bool cancel) => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                foreach (DelegateTask<int, int> task in tasks)
                {
                    if (cancel)
                    {
                        task.Cancel();
                    }
                    else
                    {
                        task.Wake();
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        await Task.WhenAll(Race(cancel: true), Race(cancel: false), Race(cancel: true)).Within("the late threads");

        Array.FindIndex(tasks, t => !t.IsCanceled).Should().Be(-1, "every task ended cancelled");
        await Task.Run(async () =>
        {
            while (Array.IndexOf(completions, 0) >= 0)
            {
                await Task.Yield();
            }
        }).Within("every awaiter to resume");
        Array.FindIndex(completions, c => c != 1).Should().Be(-1, "each task completed once, so each awaiter resumed once");
    }

    [Fact]
    public async Task A_foreign_RemoveTaskQueue_cancelled_by_the_stop_throws_ObjectDisposedException()
    {
        LocalExecutor executor = Executors.Start(nameof(A_foreign_RemoveTaskQueue_cancelled_by_the_stop_throws_ObjectDisposedException));
        TaskQueueHandle queue = executor.CreateTaskQueue("doomed");
        using var release = new ManualResetEventSlim();
        using var busy = new ManualResetEventSlim();
        Task blocker = executor.Spawn(() =>
        {
            busy.Set();
            release.Wait(Bounded.Timeout);
        }).AsTask();
        busy.Wait(Bounded.Timeout).Should().BeTrue();

        // The removal is handed over while the executor runs, then the stop comes before the executor gets to it.
        Task removal = Task.Factory.StartNew(() => executor.RemoveTaskQueue(queue), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await WaitUntil(() => executor.GetStats().InboxLength == 1, "the removal to be handed over");
        Task disposing = executor.ShutdownAsync(TimeSpan.Zero); // no drain: the removal is cancelled, not run
        release.Set();
        await disposing;
        await blocker.Within("the blocker");

        await FluentActions.Awaiting(() => removal.Within("the removal"))
            .Should().ThrowAsync<ObjectDisposedException>("the stop ended the removal before it ran; a TaskCanceledException would leak an implementation detail");
    }

    [Fact]
    public async Task Spawns_starts_sleeps_and_queue_removals_racing_Dispose_each_throw_or_end()
    {
        const int Rounds = 300;
        const int MaxPerProducer = 200; // enough to straddle the stop, which comes as the producers start
        int ended = 0;
        int refused = 0;
        for (int round = 0; round < Rounds; round++)
        {
            LocalExecutor executor = Executors.Start($"race-{round}", drainTimeout: TimeSpan.Zero); // the stop races the spawns, no drain
            TaskQueueHandle queue = executor.CreateTaskQueue("removable");
            var tasks = new ConcurrentQueue<LocalTask>();
            using var start = new Barrier(5); // the producers, the remover and this thread, which disposes

            Task Produce(Func<LocalTask> spawn) => Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    for (int i = 0; i < MaxPerProducer; i++)
                    {
                        try
                        {
                            tasks.Enqueue(spawn());
                        }
                        catch (ObjectDisposedException)
                        {
                            Interlocked.Increment(ref refused);
                            return;
                        }
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);

            Task spawns = Produce(() => executor.Spawn(() => 1));
            Task starts = Produce(() => executor.Start(() => OneAsync()));
            Task sleeps = Produce(() => executor.Sleep(TimeSpan.FromMilliseconds(1)));
            Task removal = Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    try
                    {
                        executor.RemoveTaskQueue(queue);
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);

            start.SignalAndWait();
            if (round % 2 == 1)
            {
                // Every other round the stop waits for a first spawn, so the race is met from both sides on any machine:
                // on a loaded one the producers may otherwise start only after the stop, in every round.
                SpinWait.SpinUntil(() => !tasks.IsEmpty, Bounded.Timeout).Should().BeTrue($"a producer of round {round} to spawn");
            }

            executor.Dispose();
            await Task.WhenAll(spawns, starts, sleeps, removal).Within($"the producers of round {round}");

            foreach (LocalTask task in tasks)
            {
                // A spawn that returned its task must see it end: run, or cancelled by the stop. The late path ends the
                // ones the stop overtook synchronously, so there is nothing to wait for once Dispose returned.
                task.IsCompleted.Should().BeTrue($"a task returned by a spawn racing Dispose must end (round {round})");
                ended++;
            }
        }

        ended.Should().BeGreaterThan(0);
        refused.Should().BeGreaterThan(0, "some producers met the stop");
    }

    private static async LocalTask<int> OneAsync()
    {
        await LocalExecutor.Yield();
        return 1;
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        await Task.Run(async () =>
        {
            while (!condition())
            {
                await Task.Delay(1);
            }
        }).Within(what);
    }
}
