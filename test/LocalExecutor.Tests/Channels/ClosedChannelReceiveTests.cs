using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Channels;
using Xunit;

namespace ThreadPerCore.Tests.Channels;

/// <summary>
/// A receive on a closed channel ends, and says so: after the items sent before the close, every receive fails with
/// <see cref="ChannelClosedException"/>, at once when nothing is left (it completes synchronously, so a wrong outcome is
/// an assertion, not a hang), and promptly when the close comes while it waits. Never <c>default</c>, never pending.
/// </summary>
public sealed class ClosedChannelReceiveTests : IAsyncLifetime
{
    /// <summary>How long a receive woken by a close may take: a wake is microseconds; this only bounds a failure.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    private readonly LocalExecutor _executor = Executors.Start(nameof(ClosedChannelReceiveTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public async Task A_receive_on_a_closed_empty_channel_fails_at_once_with_ChannelClosedException(string kind)
    {
        CrossCoreChannel channel = CrossCoreChannel.Create(kind);
        channel.Close().Should().BeTrue();

        ValueTask<int> receive = channel.Receive();

        await ShouldHaveFailedClosed(receive, "the channel is closed and empty");
        channel.TryReceive(out int item).Should().BeFalse();
        item.Should().Be(0);
        await ShouldHaveFailedClosed(channel.Receive(), "a second receive ends the same way");
    }

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public async Task Receives_drain_what_was_sent_before_the_close_then_fail_at_once(string kind)
    {
        CrossCoreChannel channel = CrossCoreChannel.Create(kind);
        channel.TrySend(7).Should().BeTrue();
        channel.TrySend(8).Should().BeTrue();
        channel.Close();
        channel.TrySend(9).Should().BeFalse("nothing is sent after the close");

        ValueTask<int> first = channel.Receive();
        first.IsCompletedSuccessfully.Should().BeTrue("an item sent before the close is there");
        (await first).Should().Be(7);
        ValueTask<int> second = channel.Receive();
        second.IsCompletedSuccessfully.Should().BeTrue();
        (await second).Should().Be(8);
        await ShouldHaveFailedClosed(channel.Receive(), "the channel is drained");
    }

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public async Task A_waiting_receive_ends_with_ChannelClosedException_when_another_thread_closes(string kind)
    {
        CrossCoreChannel channel = CrossCoreChannel.Create(kind);
        ValueTask<int> receive = channel.Receive();
        receive.IsCompleted.Should().BeFalse("the channel is empty and open");
        Task<int> waiting = receive.AsTask();

        await Task.Run(() => channel.Close()).Within("the close");

        await ShouldEndClosedPromptly(waiting, "a receive waiting on a channel that closes");
        await ShouldHaveFailedClosed(channel.Receive(), "the next receive ends the same way: the closed wait was let go");
    }

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public async Task ReadAllAsync_on_a_closed_channel_yields_what_was_sent_and_ends(string kind)
    {
        CrossCoreChannel channel = CrossCoreChannel.Create(kind);
        channel.TrySend(1).Should().BeTrue();
        channel.Close();

        var items = new List<int>();
        IAsyncEnumerator<int> reader = channel.ReadAll().GetAsyncEnumerator();
        try
        {
            ValueTask<bool> next = reader.MoveNextAsync();
            next.IsCompletedSuccessfully.Should().BeTrue("the item is there");
            (await next).Should().BeTrue();
            items.Add(reader.Current);
            ValueTask<bool> end = reader.MoveNextAsync();
            bool more = await end.AsTask().WaitAsync(Prompt);
            more.Should().BeFalse("a closed, drained channel ends the enumeration");
        }
        finally
        {
            await reader.DisposeAsync();
        }

        items.Should().Equal(1);
    }

    [Fact]
    public async Task A_local_channel_receive_after_close_fails_at_once_and_a_waiting_one_ends()
    {
        (bool atOnce, Type? atOnceError, int drained, Task<int> waiting, bool waitingBeforeClose) = await _executor.OnExecutor(() =>
        {
            var closed = new LocalChannel<int>(2);
            closed.TrySend(5).Should().BeTrue();
            closed.Close();
            closed.TryReceive(out int item).Should().BeTrue();
            ValueTask<int> after = closed.ReceiveAsync();
            Type? error = after.IsFaulted ? after.AsTask().Exception!.InnerException!.GetType() : null;

            var open = new LocalChannel<int>(2);
            ValueTask<int> receive = open.ReceiveAsync();
            bool pending = !receive.IsCompleted;
            Task<int> task = receive.AsTask();
            open.Close();
            return (after.IsCompleted, error, item, task, pending);
        });

        drained.Should().Be(5);
        atOnce.Should().BeTrue("a receive on a closed, drained LocalChannel completes synchronously");
        atOnceError.Should().Be<ChannelClosedException>();
        waitingBeforeClose.Should().BeTrue();
        await ShouldEndClosedPromptly(waiting, "a LocalChannel receive waiting when the channel closes");
    }

    private static async Task ShouldHaveFailedClosed(ValueTask<int> receive, string why)
    {
        receive.IsCompleted.Should().BeTrue($"{why}: the receive must complete synchronously");
        receive.IsFaulted.Should().BeTrue($"{why}: the receive must fail, not return a value");
        Func<Task> awaiting = async () => await receive;
        await awaiting.Should().ThrowExactlyAsync<ChannelClosedException>();
    }

    private static async Task ShouldEndClosedPromptly(Task<int> waiting, string what)
    {
        Task ended = await Task.WhenAny(waiting, Task.Delay(Prompt));
        ended.Should().BeSameAs(waiting, $"{what} must end within {Prompt.TotalSeconds} s; it is still pending");
        waiting.Status.Should().Be(TaskStatus.Faulted, $"{what} must fail, not return a value");
        waiting.Exception!.InnerException.Should().BeOfType<ChannelClosedException>();
    }
}
