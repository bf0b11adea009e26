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
    public async Task OnCompleted_on_the_thread_pool_runs_the_continuation_under_the_registering_execution_context()
    {
        var gate = new TaskCompletionSource();
        LocalTask task = _executor.Start(() => WaitAsync(gate.Task));
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);

        await Task.Run(() =>
        {
            Flowed.Value = "registered";
            task.GetAwaiter().OnCompleted(() => seen.TrySetResult(Flowed.Value));
            Flowed.Value = null;
        });
        gate.SetResult();

        (await seen.Task.Within("the continuation registered with OnCompleted")).Should()
            .Be("registered", "OnCompleted flows the execution context of the code that registered it");
    }

    [Fact]
    public async Task UnsafeOnCompleted_runs_the_continuation_under_no_registered_execution_context()
    {
        var gate = new TaskCompletionSource();
        LocalTask task = _executor.Start(() => WaitAsync(gate.Task));
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);

        await Task.Run(() =>
        {
            Flowed.Value = "registered";
            task.GetAwaiter().UnsafeOnCompleted(() => seen.TrySetResult(Flowed.Value));
            Flowed.Value = null;
        });
        gate.SetResult();

        (await seen.Task.Within("the continuation registered with UnsafeOnCompleted")).Should()
            .BeNull("UnsafeOnCompleted flows no execution context");
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

    private static async LocalTask WaitAsync(Task gate) => await gate;
}
