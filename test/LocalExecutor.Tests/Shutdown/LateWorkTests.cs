using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Channels;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Shutdown;

/// <summary>Code of a core that arrives after its executor stopped is counted, raised and handled by the policy: run on
/// the thread pool (the default) or rejected loudly, never run off its core silently.</summary>
public sealed class LateWorkTests
{
    [Fact]
    public async Task Under_RunOnThreadPool_a_late_continuation_is_raised_then_runs_on_the_thread_pool()
    {
        LocalExecutor executor = Executors.Start(nameof(Under_RunOnThreadPool_a_late_continuation_is_raised_then_runs_on_the_thread_pool));
        var raised = new ConcurrentQueue<LateWorkEventArgs>();
        executor.LateWork += (_, e) => raised.Enqueue(e);
        (TaskCompletionSource<int> late, TaskCompletionSource<bool> resumedOnPool) = await StopWithAMethodAwaitingLateWork(executor);

        late.SetResult(1); // the await's continuation is posted to a stopped executor

        (await resumedOnPool.Task.Within("the late continuation")).Should().BeTrue();
        executor.LateWorkItems.Should().Be(1);
        LateWorkEventArgs e = raised.Should().ContainSingle().Which;
        e.Kind.Should().Be(LateWorkKind.Continuation);
        e.RunsOnThreadPool.Should().BeTrue();
        e.Executor.Should().BeSameAs(executor);
        e.Description.Should().Be($"{typeof(LateWorkTests).FullName}.{nameof(ResumesLateAsync)}");
        e.WorkType.DeclaringType.Should().Be<LateWorkTests>("the work is named by the async method's state machine");
        e.ToString().Should().Be($"Late work on executor '{executor.Name}': Continuation {typeof(LateWorkTests).FullName}.{nameof(ResumesLateAsync)}");
    }

    [Fact]
    public async Task Under_Reject_a_late_continuation_does_not_run_and_is_reported_as_an_InvalidOperationException()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions
        {
            Name = nameof(Under_Reject_a_late_continuation_does_not_run_and_is_reported_as_an_InvalidOperationException),
            LateWorkPolicy = LateWorkPolicy.Reject,
        });
        var reported = new TaskCompletionSource<UnhandledExecutorExceptionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.UnhandledException += (_, e) => reported.TrySetResult(e);
        var raised = new ConcurrentQueue<LateWorkEventArgs>();
        executor.LateWork += (_, e) => raised.Enqueue(e);
        (TaskCompletionSource<int> late, TaskCompletionSource<bool> resumed) = await StopWithAMethodAwaitingLateWork(executor);

        late.SetResult(1); // the late path rejects synchronously, on this thread, before SetResult returns

        UnhandledExecutorExceptionEventArgs report = await reported.Task.Within("the rejection");
        report.Origin.Should().Be(UnhandledExceptionOrigin.LateWork);
        report.Exception.Should().BeOfType<InvalidOperationException>().Which.Message
            .Should().Contain("Late work rejected").And.Contain(nameof(ResumesLateAsync)).And.Contain(executor.Name)
            .And.Contain("LateWorkPolicy.Reject does not run code of a core off it: it did not run, and code awaiting it does not resume.")
            .And.EndWith("or choose LateWorkPolicy.RunOnThreadPool.", "the message says what to do about it");
        resumed.Task.IsCompleted.Should().BeFalse("the rejected continuation never ran");
        executor.LateWorkItems.Should().Be(1);
        raised.Should().ContainSingle().Which.RunsOnThreadPool.Should().BeFalse();
    }

    [Fact]
    public async Task Under_Reject_a_scheduled_task_left_by_the_shutdown_is_reported_and_dropped_never_run()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions
        {
            Name = nameof(Under_Reject_a_scheduled_task_left_by_the_shutdown_is_reported_and_dropped_never_run),
            LateWorkPolicy = LateWorkPolicy.Reject,
        });
        var reported = new ConcurrentQueue<Exception>();
        executor.UnhandledException += (_, e) => reported.Enqueue(e.Exception);
        var chain = new RequeueChain(executor.Scheduler);

        // A Task that keeps queueing another keeps the shutdown's passes busy until they give up: what is then left in the
        // queue is late work. Each task runs once and queues exactly one more, so one is left.
        using ManualResetEventSlim release = executor.Occupy();
        _ = Task.Factory.StartNew(chain.Run, CancellationToken.None, TaskCreationOptions.None, executor.Scheduler);
        Task<ShutdownReport> shutdown = executor.ShutdownAsync(TimeSpan.Zero);
        release.Set();
        await shutdown.Within("the shutdown"); // the late path rejects on the owner thread before the thread exits
        int ranAtStop = chain.Ran;

        executor.LateWorkItems.Should().Be(1);
        reported.Should().ContainSingle("the one task left is rejected")
            .Which.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Contain("ScheduledTask");
        chain.Queued.Should().Be(ranAtStop, "every task the chain queued ran, but the last one");

        // The definite outcome of a rejection: the task is dropped. Once nothing holds it any more it can never run; a task
        // handed to the thread pool instead would be held by it until it ran (and counted).
        SpinWait.SpinUntil(chain.AllCollected, Bounded.Timeout).Should().BeTrue("nothing holds a rejected task: the executor dropped it");
        chain.Ran.Should().Be(ranAtStop, "the rejected task never ran, and now never can");
    }

    [Fact]
    public async Task A_late_async_void_exception_under_RunOnThreadPool_is_reported_not_thrown_into_the_thread_pool()
    {
        LocalExecutor executor = Executors.Start(nameof(A_late_async_void_exception_under_RunOnThreadPool_is_reported_not_thrown_into_the_thread_pool));
        var reported = new TaskCompletionSource<UnhandledExecutorExceptionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.UnhandledException += (_, e) => reported.TrySetResult(e);
        var late = new TaskCompletionSource();
        executor.Post(async () =>
        {
            await late.Task;
            throw new FormatException("late async void");
        });
        await executor.Drain();
        await executor.ShutdownAsync(TimeSpan.Zero).Within("the shutdown");

        late.SetResult();

        UnhandledExecutorExceptionEventArgs report = await reported.Task.Within("the report");
        report.Exception.Should().BeOfType<FormatException>();
        report.Origin.Should().Be(UnhandledExceptionOrigin.LateWork);
    }

    [Fact]
    public async Task A_LateWork_handler_that_throws_is_reported_with_its_exception_and_the_late_work_still_runs()
    {
        LocalExecutor executor = Executors.Start(nameof(A_LateWork_handler_that_throws_is_reported_with_its_exception_and_the_late_work_still_runs));
        var handlerFailure = new FormatException("the handler's own bug");
        executor.LateWork += (_, _) => throw handlerFailure;
        var reported = new TaskCompletionSource<UnhandledExecutorExceptionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.UnhandledException += (_, e) => reported.TrySetResult(e);
        (TaskCompletionSource<int> late, TaskCompletionSource<bool> resumedOnPool) = await StopWithAMethodAwaitingLateWork(executor);

        FluentActions.Invoking(() => late.SetResult(1)).Should().NotThrow("a handler's exception is not thrown into the thread that completed some task");

        UnhandledExecutorExceptionEventArgs report = await reported.Task.Within(TimeSpan.FromSeconds(5), "the handler's failure to be reported");
        report.Exception.Should().BeSameAs(handlerFailure);
        report.Origin.Should().Be(UnhandledExceptionOrigin.LateWork);
        (await resumedOnPool.Task.Within("the late continuation, despite its handler")).Should().BeTrue();
    }

    [Theory]
    [InlineData(LateWorkKind.ScheduledTask)]
    [InlineData(LateWorkKind.Continuation)]
    public async Task Under_RunOnThreadPool_work_left_queued_by_the_shutdown_runs_on_the_thread_pool(LateWorkKind kind)
    {
        LocalExecutor executor = Executors.Start($"{nameof(Under_RunOnThreadPool_work_left_queued_by_the_shutdown_runs_on_the_thread_pool)}-{kind}");
        var raised = new ConcurrentQueue<LateWorkEventArgs>();
        executor.LateWork += (_, e) => raised.Enqueue(e);
        using ManualResetEventSlim release = executor.Occupy();
        var chain = new RequeueWhileOnCore(executor, kind == LateWorkKind.ScheduledTask
            ? run => Task.Factory.StartNew(run, CancellationToken.None, TaskCreationOptions.None, executor.Scheduler)
            : run =>
            {
                executor.Post(run); // on the owner thread a Post is queued even while it stops: the chain outlasts it
                return Task.CompletedTask; // a Post has no task to watch
            });

        // As under Reject: the chain outlasts the shutdown's passes, so one item is left queued. Off the core it stops
        // queueing, so the item the thread pool runs is the last.
        _ = chain.QueueNext(chain.Run);
        Task<ShutdownReport> shutdown = executor.ShutdownAsync(TimeSpan.Zero);
        release.Set();
        await shutdown.Within("the shutdown");

        (await chain.RanOffTheCore.Task.Within(TimeSpan.FromSeconds(5), $"the {kind} left by the shutdown, on the thread pool"))
            .Should().BeTrue("it ran on a thread-pool thread");
        if (kind == LateWorkKind.ScheduledTask)
        {
            await chain.Last!.Within("the task left by the shutdown to complete");
            chain.Last!.Status.Should().Be(TaskStatus.RanToCompletion);
        }

        executor.LateWorkItems.Should().Be(1);
        LateWorkEventArgs e = raised.Should().ContainSingle().Which;
        e.Kind.Should().Be(kind);
        e.RunsOnThreadPool.Should().BeTrue();
    }

    [Fact]
    public async Task Under_RunOnThreadPool_a_late_posted_callback_runs_on_the_thread_pool_with_its_state_in_the_posters_execution_context()
    {
        LocalExecutor executor = Executors.Start(nameof(Under_RunOnThreadPool_a_late_posted_callback_runs_on_the_thread_pool_with_its_state_in_the_posters_execution_context));
        SynchronizationContext context = executor.SynchronizationContext;
        await executor.ShutdownAsync(TimeSpan.Zero).Within("the shutdown");
        var flowed = new AsyncLocal<string>();
        var ran = new TaskCompletionSource<(object? State, bool OnThreadPool, string? Flowed)>(TaskCreationOptions.RunContinuationsAsynchronously);
        object state = new();

        // A Post is how awaits resume (it is never refused): after the stop it is late work.
        await Task.Run(() =>
        {
            flowed.Value = "the poster's";
            context.Post(s => ran.TrySetResult((s, Thread.CurrentThread.IsThreadPoolThread, flowed.Value)), state);
        });

        (object? State, bool OnThreadPool, string? Flowed) result = await ran.Task.Within("the late callback");
        result.State.Should().BeSameAs(state);
        result.OnThreadPool.Should().BeTrue();
        result.Flowed.Should().Be("the poster's", "the callback runs in the execution context it was posted from");
        executor.LateWorkItems.Should().Be(1);
    }

    [Fact]
    public async Task Under_RunOnThreadPool_a_method_waiting_on_a_channel_at_the_stop_resumes_on_the_thread_pool_when_its_item_arrives()
    {
        LocalExecutor executor = Executors.Start(nameof(Under_RunOnThreadPool_a_method_waiting_on_a_channel_at_the_stop_resumes_on_the_thread_pool_when_its_item_arrives));
        var channel = new SharedChannel<int>(capacity: 4);
        var received = new TaskCompletionSource<(int Item, bool OnThreadPool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.Post(() => _ = ReceivesAsync(channel, received));
        await executor.Drain();
        await executor.ShutdownAsync(TimeSpan.Zero).Within("the shutdown");

        channel.TrySend(42).Should().BeTrue(); // the receive's continuation is posted to the stopped executor

        (int Item, bool OnThreadPool) result = await received.Task.Within("the receive to resume");
        result.Item.Should().Be(42);
        result.OnThreadPool.Should().BeTrue();
        executor.LateWorkItems.Should().Be(1);
    }

    private static async Task ReceivesAsync(SharedChannel<int> channel, TaskCompletionSource<(int Item, bool OnThreadPool)> received)
    {
        int item = await channel.ReceiveAsync();
        received.SetResult((item, Thread.CurrentThread.IsThreadPoolThread));
    }

    /// <summary>Work items that queue the next while they run on the executor's thread, and end the chain where they run
    /// off it.</summary>
    private sealed class RequeueWhileOnCore(LocalExecutor executor, Func<Action, Task> queueNext)
    {
        public TaskCompletionSource<bool> RanOffTheCore { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The last item's task (a completed one for a Post).</summary>
        public Task? Last { get; private set; }

        public Func<Action, Task> QueueNext => queueNext;

        public void Run()
        {
            if (LocalExecutor.Current == executor)
            {
                Last = queueNext(Run);
            }
            else
            {
                RanOffTheCore.TrySetResult(Thread.CurrentThread.IsThreadPoolThread);
            }
        }
    }

    /// <summary>Tasks on a scheduler that each count their run and queue the next; the chain keeps only weak references
    /// to the tasks it queued, so a test can see when they are gone.</summary>
    private sealed class RequeueChain(TaskScheduler scheduler)
    {
        private readonly ConcurrentQueue<WeakReference<Task>> _queued = new();
        private int _ran;

        public int Ran => Volatile.Read(ref _ran);

        /// <summary>How many tasks the chain queued itself (the first is queued by the test).</summary>
        public int Queued => _queued.Count;

        public void Run()
        {
            Interlocked.Increment(ref _ran);
            Task next = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.None, scheduler);
            _queued.Enqueue(new WeakReference<Task>(next));
        }

        /// <summary>Collects garbage, then tells whether every task the chain queued has been collected.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public bool AllCollected()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            foreach (WeakReference<Task> task in _queued)
            {
                if (task.TryGetTarget(out _))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Stops <paramref name="executor"/> while a method on it awaits a task the test completes later: completing
    /// it then posts the method's continuation to the stopped executor, as late work. The second result completes when
    /// the continuation runs, with whether it ran on the thread pool.</summary>
    private static async Task<(TaskCompletionSource<int> Late, TaskCompletionSource<bool> Resumed)> StopWithAMethodAwaitingLateWork(LocalExecutor executor)
    {
        var late = new TaskCompletionSource<int>();
        var resumed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.Post(() => _ = ResumesLateAsync(late.Task, resumed));
        await executor.Drain();
        await executor.ShutdownAsync(TimeSpan.Zero).Within("the shutdown");
        return (late, resumed);
    }

    private static async Task ResumesLateAsync(Task<int> late, TaskCompletionSource<bool> resumedOnPool)
    {
        await late;
        resumedOnPool.SetResult(Thread.CurrentThread.IsThreadPoolThread);
    }
}
