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
/// called leaves its awaiter waiting: each wait here is bounded and says which continuation did not run. The awaiters
/// of <see cref="LocalTask"/> and <see cref="LocalTask{T}"/> are separate types, so each is checked.
/// </summary>
public sealed class AwaiterExecutionContextTests : IAsyncLifetime
{
    private static readonly AsyncLocal<string?> Flowed = new();

    private readonly LocalExecutor _executor = Executors.Start(nameof(AwaiterExecutionContextTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OnCompleted_on_the_thread_pool_runs_the_continuation_under_the_registering_execution_context(bool withResult) =>
        (await ValueSeenByAThreadPoolContinuationAsync(flowExecutionContext: true, withResult)).Should()
            .Be("registered", "OnCompleted flows the execution context of the code that registered it");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UnsafeOnCompleted_runs_the_continuation_under_no_registered_execution_context(bool withResult) =>
        (await ValueSeenByAThreadPoolContinuationAsync(flowExecutionContext: false, withResult)).Should()
            .BeNull("UnsafeOnCompleted flows no execution context");

    [Fact]
    public async Task OnCompleted_on_the_executor_thread_runs_the_continuation_there_under_the_registering_execution_context()
    {
        var gate = new TaskCompletionSource();
        LocalTask task = _executor.Start(() => WaitAsync(gate.Task));
        var seen = new TaskCompletionSource<(string? Value, bool OnExecutor)>(TaskCreationOptions.RunContinuationsAsynchronously);

        await _executor.Spawn(() =>
        {
            // The executor's own context and thread: the registration without an execution context costs no allocation,
            // and OnCompleted must not take that road.
            Flowed.Value = "registered on the executor";
            task.GetAwaiter().OnCompleted(() => seen.TrySetResult((Flowed.Value, Executors.IsOn(_executor))));
            Flowed.Value = null;
        }).Within("the registration");
        gate.SetResult();

        (string? value, bool onExecutor) = await seen.Task.Within("the continuation registered on the executor");
        onExecutor.Should().BeTrue("it resumes on the executor's synchronization context");
        value.Should().Be("registered on the executor");
    }

    [Fact]
    public async Task OnCompleted_refuses_a_null_continuation()
    {
        LocalTask<int> task = _executor.Spawn(() => 1);
        await task.Within("the task");

        FluentActions.Invoking(() => task.GetAwaiter().OnCompleted(null!)).Should().Throw<ArgumentNullException>().WithParameterName("continuation");
        FluentActions.Invoking(() => ((LocalTask)task).GetAwaiter().UnsafeOnCompleted(null!)).Should().Throw<ArgumentNullException>().WithParameterName("continuation");
    }

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
    private async Task<string?> ValueSeenByAThreadPoolContinuationAsync(bool flowExecutionContext, bool withResult)
    {
        var gate = new TaskCompletionSource();
        LocalTask<int>? withValue = withResult ? _executor.Start(() => WaitForValueAsync(gate.Task)) : null;
        LocalTask task = withValue ?? _executor.Start(() => WaitAsync(gate.Task));
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);

        await Task.Run(() =>
        {
            Flowed.Value = "registered";
            Action continuation = () => seen.TrySetResult(Flowed.Value);
            if (withValue is not null)
            {
                LocalTaskAwaiter<int> awaiter = withValue.GetAwaiter();
                if (flowExecutionContext)
                {
                    awaiter.OnCompleted(continuation);
                }
                else
                {
                    awaiter.UnsafeOnCompleted(continuation);
                }
            }
            else if (flowExecutionContext)
            {
                task.GetAwaiter().OnCompleted(continuation);
            }
            else
            {
                task.GetAwaiter().UnsafeOnCompleted(continuation);
            }

            Flowed.Value = null;
        });
        gate.SetResult();

        return await seen.Task.Within(flowExecutionContext
            ? "the continuation registered with OnCompleted"
            : "the continuation registered with UnsafeOnCompleted");
    }

    private static async LocalTask WaitAsync(Task gate) => await gate;

    private static async LocalTask<int> WaitForValueAsync(Task gate)
    {
        await gate;
        return 1;
    }
}
