using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// A <see cref="LocalTask"/> awaited off its executor: <c>OnCompleted</c> runs the continuation under the registering
/// code's execution context (its <see cref="AsyncLocal{T}"/> values), <c>UnsafeOnCompleted</c> under none, and either
/// resumes where the registering code would (the thread pool, its task scheduler). A continuation that is never
/// called leaves its awaiter waiting: each wait here is bounded and says which continuation did not run.
/// </summary>
public sealed class AwaiterExecutionContextTests : IAsyncLifetime
{
    private static readonly AsyncLocal<string?> Flowed = new();

    private readonly LocalExecutor _executor = Executors.Start(nameof(AwaiterExecutionContextTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task OnCompleted_on_the_thread_pool_runs_the_continuation_under_the_registering_execution_context() =>
        (await ValueSeenByAThreadPoolContinuationAsync(flowExecutionContext: true)).Should()
            .Be("registered", "OnCompleted flows the execution context of the code that registered it");

    [Fact]
    public async Task UnsafeOnCompleted_runs_the_continuation_under_no_registered_execution_context() =>
        (await ValueSeenByAThreadPoolContinuationAsync(flowExecutionContext: false)).Should()
            .BeNull("UnsafeOnCompleted flows no execution context");

    [Fact]
    public async Task OnCompleted_under_a_task_scheduler_resumes_on_that_scheduler_with_the_execution_context()
    {
        var gate = new TaskCompletionSource();
        LocalTask task = _executor.Start(() => WaitAsync(gate.Task));
        var pair = new ConcurrentExclusiveSchedulerPair();
        var seen = new TaskCompletionSource<(string? Value, bool OnScheduler)>(TaskCreationOptions.RunContinuationsAsynchronously);

        await Task.Factory.StartNew(
            () =>
            {
                Flowed.Value = "registered";
                task.GetAwaiter().OnCompleted(() => seen.TrySetResult((Flowed.Value, TaskScheduler.Current == pair.ExclusiveScheduler)));
                Flowed.Value = null;
            },
            CancellationToken.None,
            TaskCreationOptions.None,
            pair.ExclusiveScheduler);
        gate.SetResult();

        (string? value, bool onScheduler) = await seen.Task.Within("the continuation registered under the exclusive scheduler");
        onScheduler.Should().BeTrue("the continuation resumes on the scheduler it was registered under");
        value.Should().Be("registered");
    }

    /// <summary>Registers a continuation on a pending task from a thread-pool thread that has <see cref="Flowed"/> set,
    /// completes the task, and returns what the continuation saw.</summary>
    private async Task<string?> ValueSeenByAThreadPoolContinuationAsync(bool flowExecutionContext)
    {
        var gate = new TaskCompletionSource();
        LocalTask task = _executor.Start(() => WaitAsync(gate.Task));
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);

        await Task.Run(() =>
        {
            Flowed.Value = "registered";
            LocalTaskAwaiter awaiter = task.GetAwaiter();
            Action continuation = () => seen.TrySetResult(Flowed.Value);
            if (flowExecutionContext)
            {
                awaiter.OnCompleted(continuation);
            }
            else
            {
                awaiter.UnsafeOnCompleted(continuation);
            }

            Flowed.Value = null;
        });
        gate.SetResult();

        return await seen.Task.Within(flowExecutionContext
            ? "the continuation registered with OnCompleted"
            : "the continuation registered with UnsafeOnCompleted");
    }

    private static async LocalTask WaitAsync(Task gate) => await gate;
}
