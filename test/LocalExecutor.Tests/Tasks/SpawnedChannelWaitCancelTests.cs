using System;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Channels;
using ThreadPerCore.Tests.Channels;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// A spawned <see cref="ValueTask"/> body that is a channel operation (<c>Spawn(() =&gt; channel.ReceiveAsync())</c>) has
/// the channel's wait as its only body. Cancelling the spawn while it waits must leave the channel as if the wait never
/// was: a wait still served would take the next item for a task that never runs (the item is lost), or deliver a send
/// the caller gave up (a retry sends it twice). Two mechanisms keep that rule, the task withdrawing its wait and the
/// channel skipping a wait whose task ended: with the withdrawal removed these tests still pass, on the channel's check.
/// </summary>
public sealed class SpawnedChannelWaitCancelTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(SpawnedChannelWaitCancelTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task A_spawned_receive_cancelled_while_it_waits_leaves_the_next_item_in_the_channel()
    {
        (bool waited, bool canceled, int count, int next) = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            LocalTask<int> doomed = _executor.Spawn(() => channel.ReceiveAsync());
            await Task.Yield(); // the spawn runs first (it was queued first) and waits on the empty channel
            bool waited = !doomed.IsCompleted;
            doomed.Cancel();
            bool sent = channel.TrySend(7);
            sent.Should().BeTrue();
            return (waited, doomed.IsCanceled, channel.Count, channel.TryReceive(out int item) ? item : -1);
        });

        waited.Should().BeTrue("the receive waited on the empty channel");
        canceled.Should().BeTrue();
        count.Should().Be(1, "the cancelled spawn took nothing, so the item stays in the channel");
        next.Should().Be(7);
    }

    [Fact]
    public async Task A_spawned_send_cancelled_while_it_waits_for_room_is_not_delivered()
    {
        (bool waited, bool canceled, int first, int countAfter, int next) = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            channel.TrySend(1).Should().BeTrue(); // full
            LocalTask doomed = _executor.Spawn(() => channel.SendAsync(2));
            await Task.Yield(); // the spawn waits for room
            bool waited = !doomed.IsCompleted;
            doomed.Cancel();
            int first = channel.TryReceive(out int item) ? item : -1; // frees the room the cancelled send waited for
            int countAfter = channel.Count;
            channel.TrySend(3).Should().BeTrue("the room is free for the next send");
            return (waited, doomed.IsCanceled, first, countAfter, channel.TryReceive(out int later) ? later : -1);
        });

        waited.Should().BeTrue("the send waited on the full channel");
        canceled.Should().BeTrue();
        first.Should().Be(1);
        countAfter.Should().Be(0, "the cancelled send of 2 was not given the room");
        next.Should().Be(3);
    }

    [Fact]
    public async Task A_spawned_cross_core_send_cancelled_while_it_waits_for_room_is_not_delivered()
    {
        var channel = new SharedMpscChannel<int>(2); // its least capacity
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue(); // full
        LocalTask doomed = await _executor.OnExecutor(() => _executor.Spawn(() => channel.SendAsync(3)));
        await _executor.Drain(); // the spawn ran and waits for room
        channel.WaitingSenders.Should().Be(1, "the spawned send waits for room");

        doomed.Cancel();
        await FluentActions.Awaiting(() => doomed.Within("the cancelled send")).Should().ThrowAsync<OperationCanceledException>();
        (await _executor.OnExecutor(() => new[] { TakeOne(channel), TakeOne(channel) })).Should().Equal(1, 2); // frees the room the cancelled send waited for
        channel.TrySend(4).Should().BeTrue("the room the cancelled send gave up is free");
        (await _executor.OnExecutor(() => TakeOne(channel))).Should().Be(4, "the cancelled send of 3 is not delivered");
        channel.Count.Should().Be(0);
    }

    private static int TakeOne(SharedMpscChannel<int> channel) => channel.TryReceive(out int item) ? item : -1;
}
