using System;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// How each kind of body ends its task: a <see cref="ValueTask"/> body that completes, one that throws before it
/// returns, a body that throws <see cref="OperationCanceledException"/>, a pinned method that faults; and what a pending
/// or faulted task reports through its properties. A body whose end is lost leaves its task pending for ever; a
/// failure read as success hands its caller a default value.
/// </summary>
public sealed class TaskOutcomeTests : IAsyncLifetime
{
    private static readonly AsyncLocal<string?> Flowed = new();
    private readonly LocalExecutor _executor = Executors.Start(nameof(TaskOutcomeTests), drainTimeout: TimeSpan.FromMilliseconds(100));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task A_ValueTask_body_that_completes_at_once_or_later_ends_its_task_successfully()
    {
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask atOnce = _executor.Spawn(() => ValueTask.CompletedTask);
        LocalTask later = _executor.Spawn(() => new ValueTask(pending.Task));
        LocalTask withState = _executor.Spawn(static p => new ValueTask(p), pending.Task);

        await atOnce.Within("a completed value task");
        atOnce.IsCompletedSuccessfully.Should().BeTrue();
        later.IsCompleted.Should().BeFalse();
        pending.SetResult();
        await later.Within("a value task completed later");
        await withState.Within("a value task with state");
        later.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task A_ValueTask_body_that_throws_before_it_returns_faults_its_task_with_that_exception()
    {
        LocalTask plain = _executor.Spawn(() => ThrowBeforeReturning("plain"));
        LocalTask<int> ofT = _executor.Spawn(() => ThrowBeforeReturning<int>("of T"));

        (await FluentActions.Awaiting(() => plain.Within("the throwing body")).Should().ThrowAsync<FormatException>()).WithMessage("plain");
        (await FluentActions.Awaiting(() => ofT.Within("the throwing body")).Should().ThrowAsync<FormatException>()).WithMessage("of T");
        plain.IsFaulted.Should().BeTrue();
        ofT.IsFaulted.Should().BeTrue();
        plain.IsCompletedSuccessfully.Should().BeFalse("a faulted task did not succeed, although it is complete");
        ofT.IsCompletedSuccessfully.Should().BeFalse();
    }

    [Fact]
    public async Task A_ValueTask_body_runs_under_the_execution_context_of_its_spawner()
    {
        Flowed.Value = "from the spawner";
        try
        {
            (await _executor.Spawn(() => ReadFlowed()).Within("the body")).Should().Be("from the spawner");
            string? seen = null;
            await _executor.Spawn(() =>
            {
                seen = Flowed.Value;
                return ValueTask.CompletedTask;
            }).Within("the body without result");
            seen.Should().Be("from the spawner");
        }
        finally
        {
            Flowed.Value = null;
        }
    }

    [Fact]
    public async Task A_body_that_throws_OperationCanceledException_ends_cancelled_not_faulted()
    {
        LocalTask<int> task = _executor.Spawn(new Func<int>(() => throw new OperationCanceledException("gave up")));

        await FluentActions.Awaiting(() => task.Within("the body")).Should().ThrowAsync<OperationCanceledException>();
        task.IsCanceled.Should().BeTrue();
        task.IsFaulted.Should().BeFalse();
        task.IsCompletedSuccessfully.Should().BeFalse("a cancelled task did not succeed, although it is complete");
    }

    [Fact]
    public async Task A_pending_task_reports_no_outcome_and_its_Result_refuses()
    {
        var pending = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> task = _executor.Spawn(() => pending.Task);
        await _executor.Drain();

        task.IsCompleted.Should().BeFalse();
        task.IsCompletedSuccessfully.Should().BeFalse();
        task.IsFaulted.Should().BeFalse();
        task.IsCanceled.Should().BeFalse();
        task.Exception.Should().BeNull();
        FluentActions.Invoking(() => task.Result).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => task.GetAwaiter().GetResult()).Should().Throw<InvalidOperationException>("an awaiter read before completion must not hand out a default");
        FluentActions.Invoking(() => ((LocalTask)task).GetAwaiter().GetResult()).Should().Throw<InvalidOperationException>();
        pending.SetResult(1);
        (await task.Within("the task")).Should().Be(1);
    }

    [Fact]
    public async Task The_Result_of_a_faulted_task_throws_its_exception_rather_than_a_default()
    {
        LocalTask<int> task = _executor.Spawn(new Func<int>(() => throw new FormatException("bad input")));
        await FluentActions.Awaiting(() => task.Within("the body")).Should().ThrowAsync<FormatException>();

        FluentActions.Invoking(() => task.Result).Should().Throw<FormatException>().WithMessage("bad input");
    }

    [Fact]
    public async Task A_pinned_method_that_faults_faults_its_Task_and_is_not_reported_as_unobserved_once_awaited()
    {
        LocalExecutor executor = Executors.Start(nameof(A_pinned_method_that_faults_faults_its_Task_and_is_not_reported_as_unobserved_once_awaited));
        var reported = new ConcurrentQueue<Exception>();
        executor.UnhandledException += (_, e) => reported.Enqueue(e.Exception);
        Task<int> pinned;
        using (executor.EnterScope())
        {
            pinned = FailPinnedAsync();
        }

        (await FluentActions.Awaiting(() => pinned.Within("the pinned method")).Should().ThrowAsync<FormatException>()).WithMessage("pinned");
        await executor.DisposeAsync();

        reported.Should().BeEmpty("the method's Task carried the failure to its awaiter; the raw task beneath it is not a second report");
    }

    [Fact]
    public async Task A_local_method_started_on_the_executor_does_not_leak_the_synchronization_context_it_set()
    {
        var custom = new SynchronizationContext();
        (bool sameBefore, SynchronizationContext? after) = await _executor.OnExecutor(() =>
        {
            SynchronizationContext? before = SynchronizationContext.Current;
            LocalTask started = SetsContextAsync(custom); // its synchronous part runs inline, here
            started.IsCompleted.Should().BeTrue();
            return (before is LocalSynchronizationContext, SynchronizationContext.Current);
        });

        sameBefore.Should().BeTrue();
        after.Should().BeOfType<LocalSynchronizationContext>("what the method set stays inside it, as with the runtime's own builder");
    }

    [Fact]
    public async Task A_local_method_started_with_the_execution_context_flow_suppressed_runs_and_resumes()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> started = await _executor.OnExecutor(() =>
        {
            using (ExecutionContext.SuppressFlow())
            {
                return AddOneAsync(gate.Task); // its state machine captures no execution context to run under
            }
        });

        gate.SetResult(1);
        (await started.Within("the method started without a context")).Should().Be(2);
    }

    [Fact]
    public async Task A_detached_task_that_succeeds_reports_nothing()
    {
        LocalExecutor executor = Executors.Start(nameof(A_detached_task_that_succeeds_reports_nothing));
        var reported = new ConcurrentQueue<Exception>();
        executor.UnhandledException += (_, e) => reported.Enqueue(e.Exception);
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> detached = executor.Spawn(() => gate.Task);
        await executor.Drain();

        detached.Detach(); // registered while the task is pending
        gate.SetResult(5);
        (await detached.Within("the detached task")).Should().Be(5);
        await executor.DisposeAsync();

        reported.Should().BeEmpty("a detached task is reported only when it faults");
    }

    [Fact]
    public async Task The_Task_of_a_local_task_is_complete_by_the_time_the_local_task_resumes_its_awaiters()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> source = _executor.Spawn(() => gate.Task);
        Task<int> mirror = source.AsTask(); // registered before the awaiter below
        LocalTask<bool> awaiter = _executor.Start(() => IsCompleteOnResumeAsync(source, mirror));
        await _executor.Drain();

        gate.SetResult(9);

        (await awaiter.Within("the awaiter")).Should().BeTrue("the mirror completes on the completing thread, before any awaiter resumes");
        (await mirror.Within("the mirror")).Should().Be(9);
    }

    private static ValueTask ThrowBeforeReturning(string message) => throw new FormatException(message);

    private static ValueTask<T> ThrowBeforeReturning<T>(string message) => throw new FormatException(message);

    private static ValueTask<string?> ReadFlowed() => new(Flowed.Value);

#pragma warning disable CS1998 // completes synchronously on purpose: only its synchronous part is looked at
    private static async LocalTask SetsContextAsync(SynchronizationContext context) => SynchronizationContext.SetSynchronizationContext(context);
#pragma warning restore CS1998

    private static async LocalTask<int> AddOneAsync(Task<int> value) => await value + 1;

    private static async LocalTask<bool> IsCompleteOnResumeAsync(LocalTask<int> source, Task<int> mirror)
    {
        await source;
        return mirror.IsCompleted;
    }

    [AsyncMethodBuilder(typeof(PinnedTaskMethodBuilder<>))]
    private static async Task<int> FailPinnedAsync()
    {
        await Task.Yield();
        throw new FormatException("pinned");
    }
}
