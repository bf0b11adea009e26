using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Shutdown;

/// <summary>A task that faults while nothing awaits it is reported like an unhandled exception, once: at once when it is
/// detached, else when it is collected unobserved or when its executor shuts down; never when something observes it.</summary>
public sealed class UnobservedFaultTests
{
    [Fact]
    public async Task A_detached_task_that_faults_is_reported_at_once_on_its_executor()
    {
        await using LocalExecutor executor = Executors.Start(nameof(A_detached_task_that_faults_is_reported_at_once_on_its_executor));
        var reported = new TaskCompletionSource<(UnhandledExecutorExceptionEventArgs, bool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.UnhandledException += (_, e) => reported.TrySetResult((e, Executors.IsOn(executor)));
        var fail = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        executor.Spawn(async () =>
        {
            await fail.Task;
            throw new FormatException("fire and forget");
        }).Detach();
        fail.SetResult();

        (UnhandledExecutorExceptionEventArgs e, bool onExecutor) = await reported.Task.Within("the report");
        onExecutor.Should().BeTrue();
        e.Origin.Should().Be(UnhandledExceptionOrigin.UnobservedTask);
        e.Exception.Should().BeOfType<UnobservedLocalTaskException>().Which.InnerException.Should().BeOfType<FormatException>().Which.Message.Should().Be("fire and forget");
        (await executor.OnExecutor(() => 3)).Should().Be(3, "the default policy keeps the executor running");
    }

    [Fact]
    public async Task A_fault_observed_later_leaves_the_executors_pending_list_and_is_never_reported()
    {
        LocalExecutor executor = Executors.Start(nameof(A_fault_observed_later_leaves_the_executors_pending_list_and_is_never_reported));
        var reported = new ConcurrentQueue<Exception>();
        executor.UnhandledException += (_, e) => reported.Enqueue(e.Exception);
        LocalTask<int>[] faulted = [.. Enumerable.Range(0, 3).Select(i => executor.Spawn(new Func<int>(() => throw new FormatException($"late {i}"))))];
        await executor.Drain();
        executor.UnobservedFaults.Count.Should().Be(3, "nothing awaited them when they faulted");

        faulted[0].Exception.Should().BeOfType<FormatException>(); // reading the exception observes it
        await FluentActions.Awaiting(() => faulted[1].Within("the second")).Should().ThrowAsync<FormatException>();

        // A server whose tasks fault first and are awaited later must not keep every such fault until it stops.
        executor.UnobservedFaults.Count.Should().Be(1, "observed faults leave the list at once");
        await executor.DisposeAsync();
        reported.Should().ContainSingle("only the fault nothing observed is reported, at shutdown")
            .Which.InnerException!.Message.Should().Be("late 2");
        executor.UnobservedFaults.Count.Should().Be(0, "the shutdown took them all");
    }

    [Fact]
    public async Task Detaching_a_task_that_already_faulted_reports_it_there_and_then()
    {
        await using LocalExecutor executor = Executors.Start(nameof(Detaching_a_task_that_already_faulted_reports_it_there_and_then));
        var reported = new ConcurrentQueue<Exception>();
        executor.UnhandledException += (_, e) => reported.Enqueue(e.Exception);
        LocalTask<int> task = executor.Spawn(new Func<int>(() => throw new ArithmeticException("early")));
        await executor.Drain();
        task.IsFaulted.Should().BeTrue();
        reported.Should().BeEmpty("nothing was detached yet, and something might still await it");

        task.Detach();
        task.Detach(); // a second detach reports nothing more

        reported.Should().ContainSingle().Which.InnerException.Should().BeOfType<ArithmeticException>();
    }

    [Fact]
    public async Task A_faulted_task_that_nothing_awaits_is_reported_when_its_executor_shuts_down()
    {
        LocalExecutor executor = Executors.Start(nameof(A_faulted_task_that_nothing_awaits_is_reported_when_its_executor_shuts_down));
        var reported = new ConcurrentQueue<UnhandledExecutorExceptionEventArgs>();
        executor.UnhandledException += (_, e) => reported.Enqueue(e);
        // Held to the end: a task nothing holds may be collected first, and then its finalizer reports it (the test below).
        LocalTask<int> held = executor.Spawn(new Func<int>(() => throw new FormatException("dropped")));
        await executor.Drain();
        reported.Should().BeEmpty("something might still await it");

        await executor.ShutdownAsync(Bounded.Timeout).Within("the shutdown");
        GC.KeepAlive(held);

        UnhandledExecutorExceptionEventArgs e = reported.Should().ContainSingle().Which;
        e.Origin.Should().Be(UnhandledExceptionOrigin.UnobservedTask);
        e.Exception.Should().BeOfType<UnobservedLocalTaskException>().Which.Task.Should().Contain(nameof(A_faulted_task_that_nothing_awaits_is_reported_when_its_executor_shuts_down));
        e.Exception.InnerException.Should().BeOfType<FormatException>();
    }

    [Fact]
    public async Task A_faulted_task_awaited_later_is_not_reported()
    {
        LocalExecutor executor = Executors.Start(nameof(A_faulted_task_awaited_later_is_not_reported));
        var reported = new ConcurrentQueue<Exception>();
        executor.UnhandledException += (_, e) => reported.Enqueue(e.Exception);
        LocalTask<int> awaitedLater = executor.Spawn(new Func<int>(() => throw new FormatException("awaited")));
        LocalTask<int> readLater = executor.Spawn(new Func<int>(() => throw new FormatException("read")));
        await executor.Drain();

        await FluentActions.Awaiting(async () => await awaitedLater).Should().ThrowAsync<FormatException>();
        readLater.Exception.Should().BeOfType<FormatException>();
        await executor.ShutdownAsync(Bounded.Timeout).Within("the shutdown");

        reported.Should().BeEmpty("both failures were observed");
    }

    [Fact]
    public async Task A_faulted_task_collected_unobserved_is_reported_by_the_finalizer()
    {
        await using LocalExecutor executor = Executors.Start(nameof(A_faulted_task_collected_unobserved_is_reported_by_the_finalizer));
        var reported = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.UnhandledException += (_, e) => reported.TrySetResult(e.Exception);
        await SpawnFaultAndDropAsync(executor);
        await executor.Drain();

        for (int attempt = 0; attempt < 20 && !reported.Task.IsCompleted; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        (await reported.Task.Within("the finalizer's report")).InnerException.Should().BeOfType<InvalidCastException>();
        executor.UnobservedFaults.Count.Should().Be(0, "a fault reported when its task was collected leaves the pending list then, not at shutdown: a server that drops faulted tasks must not collect their faults until it stops");
    }

    [Fact]
    public async Task A_faulted_task_awaited_when_it_faulted_is_not_reported()
    {
        LocalExecutor executor = Executors.Start(nameof(A_faulted_task_awaited_when_it_faulted_is_not_reported));
        var reported = new ConcurrentQueue<Exception>();
        executor.UnhandledException += (_, e) => reported.Enqueue(e.Exception);
        var fail = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> task = executor.Spawn(async () =>
        {
            await fail.Task;
            throw new FormatException("awaited");
            #pragma warning disable CS0162 // the return type of the lambda
            return 0;
            #pragma warning restore CS0162
        });
        Task awaiting = FluentActions.Awaiting(async () => await task).Should().ThrowAsync<FormatException>();
        fail.SetResult();
        await awaiting;
        await executor.ShutdownAsync(Bounded.Timeout).Within("the shutdown");

        reported.Should().BeEmpty();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task SpawnFaultAndDropAsync(LocalExecutor executor)
    {
        _ = executor.Spawn(new Func<int>(() => throw new InvalidCastException("collected")));
        return Task.CompletedTask;
    }
}
