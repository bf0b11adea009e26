using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;
using static ThreadPerCore.Tests.Channels.ExecutorExtensions;

namespace ThreadPerCore.Tests.Channels;

/// <summary>
/// What a receive on either cross-core channel decides before it waits (part found missing for
/// <c>SharedMpscChannel</c> by mutation testing, docs/testing.md): a token that already fired ends it at once, a second
/// receive while one waits is refused, and a wait left behind by a cancelled raw task is reclaimed by the next receive
/// instead of blocking it or swallowing its item.
/// </summary>
public sealed class CrossCoreReceiveTests : IAsyncLifetime, IDisposable
{
    private readonly LocalExecutorPool _pool = new(PoolPlacement.Unbound(2));

    private LocalExecutor Producer => _pool[0];

    private LocalExecutor Consumer => _pool[1];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    public void Dispose() => _pool.Dispose();

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public void A_receive_whose_token_already_fired_ends_cancelled_at_once_and_takes_nothing(string kind)
    {
        CrossCoreChannel channel = CrossCoreChannel.Create(kind);
        using var fired = new CancellationTokenSource();
        fired.Cancel();

        ValueTask<int> receive = channel.ReceiveWith(fired.Token);

        receive.IsCanceled.Should().BeTrue("a receive with a cancelled token on an empty channel does not start a wait");
        channel.TrySend(3).Should().BeTrue();
        channel.TryReceive(out int item).Should().BeTrue("the cancelled receive left the channel as it was");
        item.Should().Be(3);
    }

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public async Task A_receive_whose_token_fires_while_it_waits_ends_cancelled_and_lowers_the_waiting_flag(string kind)
    {
        CrossCoreChannel channel = CrossCoreChannel.Create(kind);
        using var cancel = new CancellationTokenSource();
        Task<int> receive = Consumer.RunAsync(async () => await channel.ReceiveWith(cancel.Token));
        Until(() => channel.IsReceiverWaiting(), "the receive waits on the empty channel");

        cancel.Cancel(); // runs the token's callback on this thread: no producer holds the flag, so the wait is withdrawn

        channel.IsReceiverWaiting().Should().BeFalse("the cancel took the flag back; left up, the next send would signal a wait that is over");
        Func<Task> awaitReceive = () => receive;
        await awaitReceive.Should().ThrowAsync<OperationCanceledException>("nothing but the cancel could end the wait");
        channel.TrySend(5).Should().BeTrue();
        (await Consumer.RunAsync(async () => await channel.Receive())).Should().Be(5, "the cancelled receive took nothing");
    }

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public async Task A_second_pending_receive_is_refused(string kind)
    {
        CrossCoreChannel channel = CrossCoreChannel.Create(kind);
        await Consumer.RunAsync(async () =>
        {
            ValueTask<int> first = channel.Receive();
            Action second = () => _ = channel.Receive().AsTask();
            second.Should().Throw<InvalidOperationException>().WithMessage("*still pending*");
            channel.Close();
            Func<Task> end = async () => await first;
            await end.Should().ThrowAsync<ChannelClosedException>();
        });
    }

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public async Task A_receiving_local_task_cancelled_while_it_waits_does_not_block_the_next_receiver(string kind)
    {
        CrossCoreChannel channel = CrossCoreChannel.Create(kind, capacity: 2);
        LocalTask<int> first = Consumer.Start(() => ReceiveOnceAsync(channel));
        Until(() => channel.IsReceiverWaiting(), "the first receive waits");

        first.Cancel();
        Func<Task> awaitFirst = () => first.AsTask().WaitAsync(Bound);
        await awaitFirst.Should().ThrowAsync<OperationCanceledException>();

        LocalTask<int> second = Consumer.Start(() => ReceiveOnceAsync(channel));
        Until(() => channel.IsReceiverWaiting() && !second.IsCompleted, "the second receive waits");
        (await Producer.OnExecutor(() => channel.TrySend(42))).Should().BeTrue();

        (await second.AsTask().WaitAsync(Bound)).Should().Be(42, "the abandoned wait neither blocks nor swallows the item");
    }

    private static async LocalTask<int> ReceiveOnceAsync(CrossCoreChannel channel) => await channel.Receive();
}
