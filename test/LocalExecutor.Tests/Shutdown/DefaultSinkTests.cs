using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
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
            .And.Contain("(posted work, a timer callback or an async void method threw)")
            .And.Contain("no UnhandledException handler").And.Contain("FormatException: posted, unhandled");
    }

    [Fact]
    public async Task An_unhandled_exception_with_no_handler_is_also_traced_as_an_error()
    {
        string name = nameof(An_unhandled_exception_with_no_handler_is_also_traced_as_an_error);
        (TraceEventType Type, string Message)[] traced = await CaptureTraceAsync(name, async executor =>
        {
            executor.Post(() => throw new FormatException("posted, traced"));
            await executor.Drain();
        });

        (TraceEventType type, string message) = traced.Should().ContainSingle("an app that routes Trace to its own listeners gets it once").Which;
        type.Should().Be(TraceEventType.Error);
        message.Should().StartWith($"LocalExecutor '{name}': unhandled exception (posted work, a timer callback or an async void method threw)")
            .And.Contain("FormatException: posted, traced");
    }

    [Fact]
    public async Task Late_work_rejected_with_no_handler_is_written_to_standard_error_as_late_work()
    {
        var late = new TaskCompletionSource<int>();
        string written = await CaptureStandardErrorAsync(
            nameof(Late_work_rejected_with_no_handler_is_written_to_standard_error_as_late_work),
            async (executor, standardError) =>
            {
                executor.Post(() => _ = AwaitAsync(late.Task));
                await executor.Drain();
                await executor.ShutdownAsync(TimeSpan.Zero).Within("the shutdown");
                late.SetResult(1); // Reject reports on this thread, before SetResult returns
            },
            new LocalExecutorOptions { LateWorkPolicy = LateWorkPolicy.Reject });

        written.Should().Contain("(work that arrived after the executor stopped)").And.Contain("Late work rejected");
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

    [Fact]
    public async Task A_stall_with_no_handler_is_also_traced_as_a_warning()
    {
        string name = nameof(A_stall_with_no_handler_is_also_traced_as_a_warning);
        (TraceEventType Type, string Message)[] traced = await CaptureTraceAsync(
            name,
            async (executor, standardError) =>
            {
                using var release = new ManualResetEventSlim();
                LocalTask stalling = executor.Spawn(() => release.Wait(Bounded.Timeout));
                SpinWait.SpinUntil(() => standardError().Contains("No Stalled handler", StringComparison.Ordinal), Bounded.Timeout)
                    .Should().BeTrue("the stall is reported while the turn still runs");
                release.Set();
                await stalling.Within("the stalled turn");
            },
            new LocalExecutorOptions { StallThreshold = TimeSpan.FromMilliseconds(50) });

        (TraceEventType type, string message) = traced.Should().ContainSingle().Which;
        type.Should().Be(TraceEventType.Warning);
        message.Should().StartWith($"LocalExecutor: Executor '{name}' stalled").And.EndWith("No Stalled handler is attached.");
    }

    private static async Task AwaitAsync(Task<int> late) => await late;

    private static Task<(TraceEventType Type, string Message)[]> CaptureTraceAsync(string name, Func<LocalExecutor, Task> scenario) =>
        CaptureTraceAsync(name, (executor, _) => scenario(executor));

    /// <summary>The events traced while <paramref name="scenario"/> ran that name the executor (Trace is process-wide too).
    /// Standard error is captured meanwhile, so the test's output stays clean.</summary>
    private static async Task<(TraceEventType Type, string Message)[]> CaptureTraceAsync(
        string name, Func<LocalExecutor, Func<string>, Task> scenario, LocalExecutorOptions? options = null)
    {
        using var traced = new CapturingTraceListener();
        Trace.Listeners.Add(traced);
        try
        {
            _ = await CaptureStandardErrorAsync(name, scenario, options);
        }
        finally
        {
            Trace.Listeners.Remove(traced);
        }

        return [.. traced.Events.Where(e => e.Message.Contains(name, StringComparison.Ordinal))];
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

    /// <summary>Records the events traced while it is attached (<see cref="Trace.TraceError(string)"/> and the like).</summary>
    private sealed class CapturingTraceListener : TraceListener
    {
        private readonly ConcurrentQueue<(TraceEventType Type, string Message)> _events = new();

        public IReadOnlyCollection<(TraceEventType Type, string Message)> Events => _events;

        public override void TraceEvent(TraceEventCache? eventCache, string source, TraceEventType eventType, int id, string? message) =>
            _events.Enqueue((eventType, message ?? string.Empty));

        public override void TraceEvent(TraceEventCache? eventCache, string source, TraceEventType eventType, int id, string? format, params object?[]? args) =>
            _events.Enqueue((eventType, args is null || format is null ? format ?? string.Empty : string.Format(CultureInfo.InvariantCulture, format, args)));

        public override void Write(string? message)
        {
        }

        public override void WriteLine(string? message)
        {
        }
    }
}
