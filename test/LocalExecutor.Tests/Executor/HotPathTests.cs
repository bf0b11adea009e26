using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>The loop's shortcuts: per-item context hygiene read off the executor's thread, run-once spawns untracked.</summary>
public sealed class HotPathTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(HotPathTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task An_AsyncLocal_set_by_one_work_item_is_gone_in_the_next()
    {
        var local = new AsyncLocal<string>();
        await _executor.Spawn(() => local.Value = "set by the first item").Within("the first item");

        (await _executor.Spawn(() => local.Value).Within("the second item")).Should().BeNull("each item starts under the loop's context");
    }

    [Fact]
    public async Task A_synchronization_context_installed_by_one_work_item_is_replaced_in_the_next()
    {
        await _executor.OnExecutor(() => SynchronizationContext.SetSynchronizationContext(new SynchronizationContext()));

        (await _executor.Spawn(() => SynchronizationContext.Current).Within("the next item"))
            .Should().BeSameAs(_executor.SynchronizationContext);
    }

    /// <summary>With <paramref name="publicProperties"/> the check takes the path of a runtime without the thread fields.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Contexts_left_by_one_callback_are_reset_before_the_next_in_the_same_turn(bool publicProperties)
    {
        if (publicProperties)
        {
            await _executor.OnExecutor(_executor.UsePublicContextProperties);
        }

        // Two callbacks queued back to back run in one slice, so what resets the contexts between them is the per-item
        // check, not the one at the start of a slice.
        var local = new AsyncLocal<string>();
        var seen = new TaskCompletionSource<(string? Value, SynchronizationContext? Context)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _executor.OnExecutor(() =>
        {
            _executor.Post(() =>
            {
                local.Value = "left by the first callback";
                SynchronizationContext.SetSynchronizationContext(new SynchronizationContext());
            });
            _executor.Post(() => seen.SetResult((local.Value, SynchronizationContext.Current)));
        });

        (string? value, SynchronizationContext? context) = await seen.Task.Within("the second callback");

        value.Should().BeNull("each item starts under the loop's execution context");
        context.Should().BeSameAs(_executor.SynchronizationContext, "each item starts under its queue's synchronization context");
    }

    [Fact]
    public async Task A_spawned_delegate_never_enters_the_live_task_list()
    {
        (await _executor.Spawn(() => _executor.LiveTasks.Count).Within("the spawn")).Should().Be(0, "a run-once task finishes in its only poll");
        (await _executor.OnExecutor(() => _executor.LiveTasks.Count)).Should().Be(0);
    }

    [Fact]
    public async Task A_spawned_delegate_that_cancels_itself_ends_cancelled()
    {
        LocalTask<int>? self = null;
        LocalTask<int> task = await _executor.OnExecutor(() =>
        {
            self = _executor.Spawn(() =>
            {
                self!.Cancel();
                return 1;
            });
            return self;
        });

        Task waiting = task.AsTask();
        await FluentActions.Awaiting(() => waiting.Within("the self-cancelled spawn")).Should().ThrowAsync<TaskCanceledException>();
        task.IsCanceled.Should().BeTrue();
        (await _executor.OnExecutor(() => _executor.LiveTasks.Count)).Should().Be(0);
    }
}
