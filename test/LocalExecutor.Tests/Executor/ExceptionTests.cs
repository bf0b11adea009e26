using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>Where exceptions go: to the awaiter for tasks, to UnhandledException for posted work and async void.</summary>
public sealed class ExceptionTests
{
    [Fact]
    public async Task A_spawned_task_rethrows_its_exception_unwrapped_to_the_awaiter()
    {
        await using LocalExecutor executor = Executors.Start(nameof(A_spawned_task_rethrows_its_exception_unwrapped_to_the_awaiter));
        var failure = new FormatException("bad");

        Func<Task> awaiting = async () => await executor.Spawn(new Func<int>(() => throw failure));

        (await awaiting.Should().ThrowAsync<FormatException>()).Which.Should().BeSameAs(failure);
    }

    [Fact]
    public async Task A_throwing_post_goes_to_the_handler_and_the_executor_keeps_running()
    {
        await using LocalExecutor executor = Executors.Start(nameof(A_throwing_post_goes_to_the_handler_and_the_executor_keeps_running));
        var reported = new TaskCompletionSource<(Exception, Thread)>();
        executor.UnhandledException += (_, e) => reported.TrySetResult((e.Exception, Thread.CurrentThread));

        executor.Post(() => throw new InvalidOperationException("posted"));

        (Exception exception, Thread thread) = await reported.Task.Within("the handler");
        exception.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("posted");
        thread.Should().BeSameAs(executor.Thread);
        (await executor.OnExecutor(() => 5)).Should().Be(5, "the executor survives");
    }

    [Fact]
    public async Task An_async_void_exception_goes_to_the_handler()
    {
        await using LocalExecutor executor = Executors.Start(nameof(An_async_void_exception_goes_to_the_handler));
        var reported = new TaskCompletionSource<Exception>();
        executor.UnhandledException += (_, e) => reported.TrySetResult(e.Exception);

        await executor.OnExecutor(() => ThrowsLater());

        (await reported.Task.Within("the handler")).Should().BeOfType<ArithmeticException>();
    }

    [Fact]
    public async Task The_stop_policy_shuts_the_executor_down_with_the_exception()
    {
        LocalExecutor executor = Executors.Start(nameof(The_stop_policy_shuts_the_executor_down_with_the_exception), policy: UnhandledExceptionPolicy.StopExecutor);
        executor.Post(() => throw new TimeoutException("fatal"));

        Func<Task> completion = () => executor.Completion.Within("the executor to stop");
        await completion.Should().ThrowAsync<TimeoutException>().WithMessage("fatal");
        await executor.DisposeAsync();
    }

    [Fact]
    public async Task A_throwing_handler_stops_the_executor()
    {
        LocalExecutor executor = Executors.Start(nameof(A_throwing_handler_stops_the_executor));
        executor.UnhandledException += (_, _) => throw new InvalidCastException("handler");
        executor.Post(() => throw new InvalidOperationException("work"));

        Func<Task> completion = () => executor.Completion.Within("the executor to stop");
        (await completion.Should().ThrowAsync<AggregateException>()).Which.InnerExceptions.Should().HaveCount(2);
        await executor.DisposeAsync();
    }

    [Fact]
    public async Task An_awaiter_whose_context_throws_does_not_rob_the_other_awaiters()
    {
        await using LocalExecutor executor = Executors.Start(nameof(An_awaiter_whose_context_throws_does_not_rob_the_other_awaiters));
        var reported = new TaskCompletionSource<Exception>();
        executor.UnhandledException += (_, e) => reported.TrySetResult(e.Exception);
        using var release = new ManualResetEventSlim();
        LocalTask<int> task = executor.Spawn(() =>
        {
            release.Wait(Bounded.Timeout);
            return 9;
        });

        var broken = new ThrowingContext();
        SynchronizationContext? saved = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(broken);
        try
        {
            task.GetAwaiter().OnCompleted(() => { });
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(saved);
        }

        Task<int> healthy = task.AsTask();
        release.Set();

        (await healthy.Within("the healthy awaiter")).Should().Be(9);
        (await reported.Task.Within("the report")).Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("broken context");
    }

    private sealed class ThrowingContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => throw new InvalidOperationException("broken context");
    }

    private static async void ThrowsLater()
    {
        await Task.Yield();
        throw new ArithmeticException("async void");
    }
}
