using System;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Channels;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// A wake that is not the body's own (a stale wake delegate called late, a second wake from an awaitable that fired
/// twice) polls a spawned body whose <see cref="Task"/> or <see cref="ValueTask"/> is still pending. That poll must change
/// nothing: not block the executor reading a result that is not there, not register a second continuation (a channel's
/// wait accepts one, and refuses the second by throwing, which would fault the task), and the body's real completion
/// must still end the task. Each test calls the task's wake delegate itself, while the body is pending.
/// </summary>
public sealed class SpuriousWakeTests : IAsyncLifetime
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);
    private readonly LocalExecutor _executor = Executors.Start(nameof(SpuriousWakeTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task A_Task_body_polled_while_its_task_is_pending_neither_blocks_the_executor_nor_ends()
    {
        var pending = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> task = _executor.Spawn(() => pending.Task);
        await _executor.Drain();

        task.WakeAction(); // not the body's wake-up
        (await _executor.OnExecutor(() => 1).WaitAsync(Answer)).Should().Be(1,
            "the spurious poll returned: it must not wait on the pending task's result on the executor thread");
        task.IsCompleted.Should().BeFalse();

        pending.SetResult(42);
        (await task.Within("the task once its body completed")).Should().Be(42);
    }

    [Fact]
    public async Task A_ValueTask_body_waiting_on_a_channel_polled_spuriously_still_receives_its_item()
    {
        LocalChannel<int> channel = await _executor.OnExecutor(() => new LocalChannel<int>(_executor, 2));
        LocalTask<int> receive = await _executor.OnExecutor(() => _executor.Spawn(() => channel.ReceiveAsync()));
        await _executor.Drain(); // the receive waits on the empty channel

        receive.WakeAction();
        await _executor.Drain();
        receive.IsCompleted.Should().BeFalse("a poll that is not the wait's wake-up leaves the wait as it was");

        (await _executor.OnExecutor(() => channel.TrySend(5))).Should().BeTrue();
        (await receive.Within("the receive")).Should().Be(5);
    }

    [Fact]
    public async Task A_ValueTask_body_waiting_to_send_polled_spuriously_still_sends_once()
    {
        LocalChannel<int> channel = await _executor.OnExecutor(() => new LocalChannel<int>(_executor, 1));
        (await _executor.OnExecutor(() => channel.TrySend(1))).Should().BeTrue(); // full
        LocalTask send = await _executor.OnExecutor(() => _executor.Spawn(() => channel.SendAsync(2)));
        await _executor.Drain(); // the send waits for room

        send.WakeAction();
        await _executor.Drain();
        send.IsCompleted.Should().BeFalse("a poll that is not the wait's wake-up leaves the wait as it was");

        (await _executor.OnExecutor(() => TakeOne(channel))).Should().Be(1);
        await send.Within("the send once there was room");
        (await _executor.OnExecutor(() => new[] { TakeOne(channel), TakeOne(channel) })).Should().Equal(2, -1);
    }

    private static int TakeOne(LocalChannel<int> channel) => channel.TryReceive(out int item) ? item : -1;
}
