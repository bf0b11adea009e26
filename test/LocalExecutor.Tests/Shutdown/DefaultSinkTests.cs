using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Shutdown;

/// <summary>Standard error is process-wide: the tests that capture it run alone.</summary>
[CollectionDefinition(nameof(StandardErrorCapture), DisableParallelization = true)]
public sealed class StandardErrorCapture
{
}

/// <summary>With no handler attached, an unhandled exception is written to standard error, never dropped; the policy
/// <see cref="UnhandledExceptionPolicy.Continue"/> then keeps the executor running. So is a stall with no
/// <see cref="LocalExecutor.Stalled"/> handler.</summary>
[Collection(nameof(StandardErrorCapture))]
public sealed class DefaultSinkTests
{
    [Fact]
    public async Task A_throwing_post_with_no_handler_is_written_to_standard_error_and_the_executor_goes_on()
    {
        string written = await CaptureStandardErrorAsync(nameof(A_throwing_post_with_no_handler_is_written_to_standard_error_and_the_executor_goes_on), async executor =>
        {
            executor.Post(() => throw new FormatException("posted, unhandled"));
            await executor.Drain();
            (await executor.OnExecutor(() => 4)).Should().Be(4, "Continue keeps the executor running");
        });

        written.Should().Contain(nameof(A_throwing_post_with_no_handler_is_written_to_standard_error_and_the_executor_goes_on))
            .And.Contain("no UnhandledException handler").And.Contain("FormatException: posted, unhandled");
    }

    [Fact]
    public async Task A_throwing_timer_callback_with_no_handler_is_written_to_standard_error()
    {
        string written = await CaptureStandardErrorAsync(nameof(A_throwing_timer_callback_with_no_handler_is_written_to_standard_error), async executor =>
        {
            var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using ITimer timer = executor.CreateTimer(_ =>
            {
                fired.SetResult();
                throw new TimeZoneNotFoundException("timer, unhandled");
            }, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            await fired.Task.Within("the timer");
            await executor.Drain();
        });

        written.Should().Contain("TimeZoneNotFoundException: timer, unhandled");
    }

    [Fact]
    public async Task An_async_void_exception_with_no_handler_is_written_to_standard_error()
    {
        string written = await CaptureStandardErrorAsync(nameof(An_async_void_exception_with_no_handler_is_written_to_standard_error), async executor =>
        {
            executor.Post(async () =>
            {
                await Task.Yield();
                throw new DivideByZeroException("async void, unhandled");
            });
            for (int i = 0; i < 3; i++)
            {
                await executor.Drain(); // the yield, the throw, the report posted by the builder
            }
        });

        written.Should().Contain("DivideByZeroException: async void, unhandled");
    }

    [Fact]
    public async Task A_detached_task_that_faults_with_no_handler_is_written_to_standard_error()
    {
        string written = await CaptureStandardErrorAsync(nameof(A_detached_task_that_faults_with_no_handler_is_written_to_standard_error), async executor =>
        {
            executor.Spawn(new Func<int>(() => throw new InsufficientExecutionStackException("detached, unhandled"))).Detach();
            await executor.Drain();
        });

        written.Should().Contain("a task that nothing awaits faulted").And.Contain("InsufficientExecutionStackException: detached, unhandled");
    }

    [Fact]
    public async Task A_stall_with_no_handler_is_written_to_standard_error_while_it_lasts()
    {
        string written = await CaptureStandardErrorAsync(
            nameof(A_stall_with_no_handler_is_written_to_standard_error_while_it_lasts),
            async (executor, standardError) =>
            {
                using var release = new ManualResetEventSlim();
                LocalTask stalling = executor.Spawn(() => release.Wait(Bounded.Timeout));

                // The turn blocks until its report has been written: a stall with nobody listening is not only counted.
                string stalled = $"Executor '{executor.Name}' stalled";
                SpinWait.SpinUntil(() => standardError().Contains(stalled, StringComparison.Ordinal), Bounded.Timeout)
                    .Should().BeTrue("the stall is written to standard error while the turn still runs");
                release.Set();
                await stalling.Within("the stalled turn");
                executor.GetStats().Stalls.Should().Be(1);
            },
            new LocalExecutorOptions { StallThreshold = TimeSpan.FromMilliseconds(50) });

        written.Should().Contain($"Executor '{nameof(A_stall_with_no_handler_is_written_to_standard_error_while_it_lasts)}' stalled: lambda in")
            .And.Contain("in task queue 'default' has run for").And.Contain("No Stalled handler is attached.");
    }

    private static Task<string> CaptureStandardErrorAsync(string name, Func<LocalExecutor, Task> scenario) =>
        CaptureStandardErrorAsync(name, (executor, _) => scenario(executor));

    private static async Task<string> CaptureStandardErrorAsync(
        string name, Func<LocalExecutor, Func<string>, Task> scenario, LocalExecutorOptions? options = null)
    {
        TextWriter original = Console.Error;
        using var captured = new StringWriter();
        TextWriter synchronized = TextWriter.Synchronized(captured); // its methods lock the writer itself
        Console.SetError(synchronized);
        try
        {
            LocalExecutorOptions settings = options ?? new LocalExecutorOptions();
            settings.Name = name;
            var executor = new LocalExecutor(settings);
            await scenario(executor, () =>
            {
                lock (synchronized)
                {
                    return captured.ToString();
                }
            });
            await executor.ShutdownAsync(Bounded.Timeout).Within("the shutdown");
        }
        finally
        {
            Console.SetError(original);
        }

        return captured.ToString();
    }
}
