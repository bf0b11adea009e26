using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
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
        var late = new TaskCompletionSource<int>();
        var resumedOnPool = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.Post(() => _ = ResumesLateAsync(late.Task, resumedOnPool));
        await executor.Drain();
        await executor.ShutdownAsync(TimeSpan.Zero).Within("the shutdown");

        late.SetResult(1); // the await's continuation is posted to a stopped executor

        (await resumedOnPool.Task.Within("the late continuation")).Should().BeTrue();
        executor.LateWorkItems.Should().Be(1);
        LateWorkEventArgs e = raised.Should().ContainSingle().Which;
        e.Kind.Should().Be(LateWorkKind.Continuation);
        e.RunsOnThreadPool.Should().BeTrue();
        e.Executor.Should().BeSameAs(executor);
        e.Description.Should().Be($"{typeof(LateWorkTests).FullName}.{nameof(ResumesLateAsync)}");
        e.WorkType.DeclaringType.Should().Be<LateWorkTests>("the work is named by the async method's state machine");
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
        var late = new TaskCompletionSource<int>();
        var resumed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.Post(() => _ = ResumesLateAsync(late.Task, resumed));
        await executor.Drain();
        await executor.ShutdownAsync(TimeSpan.Zero).Within("the shutdown");

        late.SetResult(1); // the late path rejects synchronously, on this thread, before SetResult returns

        UnhandledExecutorExceptionEventArgs report = await reported.Task.Within("the rejection");
        report.Origin.Should().Be(UnhandledExceptionOrigin.LateWork);
        report.Exception.Should().BeOfType<InvalidOperationException>().Which.Message
            .Should().Contain("Late work rejected").And.Contain(nameof(ResumesLateAsync)).And.Contain(executor.Name);
        resumed.Task.IsCompleted.Should().BeFalse("the rejected continuation never ran");
        executor.LateWorkItems.Should().Be(1);
        raised.Should().ContainSingle().Which.RunsOnThreadPool.Should().BeFalse();
    }

    [Fact]
    public async Task Under_Reject_a_scheduled_task_left_by_the_shutdown_is_reported_not_run()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions
        {
            Name = nameof(Under_Reject_a_scheduled_task_left_by_the_shutdown_is_reported_not_run),
            LateWorkPolicy = LateWorkPolicy.Reject,
        });
        var reported = new ConcurrentQueue<Exception>();
        executor.UnhandledException += (_, e) => reported.Enqueue(e.Exception);
        using var release = new ManualResetEventSlim();
        using var busy = new ManualResetEventSlim();
        var ran = 0;

        // A Task that keeps queueing another keeps the shutdown's passes busy until they give up: what is then left in the
        // queue is late work.
        executor.Post(() =>
        {
            busy.Set();
            release.Wait(Bounded.Timeout);
        });
        busy.Wait(Bounded.Timeout).Should().BeTrue();
        _ = Task.Factory.StartNew(() => Requeue(executor.Scheduler, () => Interlocked.Increment(ref ran)), CancellationToken.None, TaskCreationOptions.None, executor.Scheduler);
        Task<ShutdownReport> shutdown = executor.ShutdownAsync(TimeSpan.Zero);
        release.Set();
        await shutdown.Within("the shutdown");

        executor.LateWorkItems.Should().BeGreaterThan(0);
        reported.Should().NotBeEmpty().And.AllSatisfy(e => e.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Contain("ScheduledTask"));
        int ranAtStop = Volatile.Read(ref ran);
        await Task.Delay(50); // would let a thread-pool run of the rejected task happen; it must not
        Volatile.Read(ref ran).Should().Be(ranAtStop, "a rejected task does not run off its core");
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

    private static void Requeue(TaskScheduler scheduler, Action count)
    {
        count();
        _ = Task.Factory.StartNew(() => Requeue(scheduler, count), CancellationToken.None, TaskCreationOptions.None, scheduler);
    }

    private static async Task ResumesLateAsync(Task<int> late, TaskCompletionSource<bool> resumedOnPool)
    {
        await late;
        resumedOnPool.SetResult(Thread.CurrentThread.IsThreadPoolThread);
    }
}
