using System;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>
/// Every way to hand the executor work refuses a null body with <see cref="ArgumentNullException"/> naming it, at the
/// call (not as a <see cref="NullReferenceException"/> on the executor thread later, where it would fault the task or the
/// loop); and a start after the executor stopped is refused before the body is called.
/// </summary>
public sealed class SpawnArgumentTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(SpawnArgumentTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public void Each_spawn_start_and_post_overload_refuses_a_null_body_naming_it()
    {
        LocalExecutor e = _executor;
        (string Overload, Action Call, string Parameter)[] calls =
        [
            ("Spawn(Func<T>)", () => _ = e.Spawn((Func<int>)null!), "work"),
            ("Spawn(Func<TState, T>, TState)", () => _ = e.Spawn((Func<int, int>)null!, 1), "work"),
            ("Spawn(Action)", () => _ = e.Spawn((Action)null!), "work"),
            ("Spawn(Func<Task<T>>)", () => _ = e.Spawn((Func<Task<int>>)null!), "body"),
            ("Spawn(Func<Task>)", () => _ = e.Spawn((Func<Task>)null!), "body"),
            ("Spawn(Func<TState, Task<T>>, TState)", () => _ = e.Spawn((Func<int, Task<int>>)null!, 1), "body"),
            ("Spawn(Func<TState, Task>, TState)", () => _ = e.Spawn((Func<int, Task>)null!, 1), "body"),
            ("Spawn(Func<ValueTask<T>>)", () => _ = e.Spawn((Func<ValueTask<int>>)null!), "body"),
            ("Spawn(Func<ValueTask>)", () => _ = e.Spawn((Func<ValueTask>)null!), "body"),
            ("Spawn(Func<TState, ValueTask<T>>, TState)", () => _ = e.Spawn((Func<int, ValueTask<int>>)null!, 1), "body"),
            ("Spawn(Func<TState, ValueTask>, TState)", () => _ = e.Spawn((Func<int, ValueTask>)null!, 1), "body"),
            ("Start(Func<LocalTask<T>>)", () => _ = e.Start((Func<LocalTask<int>>)null!), "body"),
            ("Start(Func<LocalTask>)", () => _ = e.Start((Func<LocalTask>)null!), "body"),
            ("Spawn(Func<TState, LocalTask<T>>, TState)", () => _ = e.Spawn((Func<int, LocalTask<int>>)null!, 1), "body"),
            ("Spawn(Func<TState, LocalTask>, TState)", () => _ = e.Spawn((Func<int, LocalTask>)null!, 1), "body"),
            ("Post(Action)", () => e.Post(null!), "callback"),
        ];

        foreach ((string overload, Action call, string parameter) in calls)
        {
            call.Should().Throw<ArgumentNullException>($"{overload} must refuse a null body at the call").WithParameterName(parameter);
        }
    }

    [Fact]
    public async Task A_local_method_started_from_another_thread_after_the_stop_is_refused_before_it_is_called()
    {
        LocalExecutor executor = Executors.Start(nameof(A_local_method_started_from_another_thread_after_the_stop_is_refused_before_it_is_called));
        await executor.DisposeAsync();
        bool called = false;

        Action start = () => _ = executor.Start(() =>
        {
            called = true;
            return NothingAsync();
        });

        start.Should().Throw<ObjectDisposedException>();
        called.Should().BeFalse("a stopped executor refuses the start before running any of the caller's code for it");
    }

    [Fact]
    public async Task A_local_method_call_that_returns_no_task_ends_its_task_faulted_on_and_off_the_executor()
    {
        Func<LocalTask> noTask = () => null!;
        Func<LocalTask<int>> noTaskOfT = () => null!;
        LocalTask fromTest = _executor.Start(noTask);
        LocalTask<int> fromTestOfT = _executor.Start(noTaskOfT);
        LocalTask fromCore = await _executor.OnExecutor(() => _executor.Start(noTask)); // queued on the owner thread
        await _executor.Drain();
        fromCore.IsCompleted.Should().BeTrue("queued on the owner thread before the drain, its failing task ran by the end of it");

        foreach ((string where, LocalTask task) in new[] { ("another thread", fromTest), ("another thread, of T", (LocalTask)fromTestOfT), ("the executor", fromCore) })
        {
            (await FluentActions.Awaiting(() => task.Within($"the task started from {where}")).Should().ThrowAsync<InvalidOperationException>())
                .WithMessage("*returned a null task*");
        }
    }

    private static async LocalTask NothingAsync() => await Task.CompletedTask;
}
