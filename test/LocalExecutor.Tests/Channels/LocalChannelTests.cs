using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Channels;
using Xunit;
using static ThreadPerCore.Tests.Channels.ExecutorExtensions;

namespace ThreadPerCore.Tests.Channels;

public sealed class LocalChannelTests : IAsyncLifetime, IDisposable
{
    private readonly LocalExecutor _executor = new(new LocalExecutorOptions { Name = "local-channel" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    public void Dispose() => _executor.Dispose();

    [Fact]
    public void Using_it_off_the_owner_thread_is_refused_naming_the_thread()
    {
        var channel = new LocalChannel<int>(_executor, 4);

        Action send = () => channel.TrySend(1);

        send.Should().Throw<InvalidOperationException>()
            .WithMessage($"*executor 'local-channel'*thread {Environment.CurrentManagedThreadId}*");
        FluentActions.Invoking(() => channel.TryReceive(out _)).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => channel.Close()).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => new LocalChannel<int>(4)).Should().Throw<InvalidOperationException>().WithMessage("*executor*");
    }

    [Fact]
    public async Task Many_producers_and_consumers_on_one_executor_lose_nothing_and_keep_each_producers_order()
    {
        const int producers = 4;
        const int perProducer = 5000;
        List<(int Producer, int Seq)>[] byConsumer = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<(int, int)>(3);
            var sends = Enumerable.Range(0, producers).Select(p => ProduceAsync(channel, p, perProducer)).ToArray();
            var receives = Enumerable.Range(0, 3).Select(_ => ConsumeAsync(channel)).ToArray();
            await Task.WhenAll(sends);
            channel.Close();
            return await Task.WhenAll(receives);
        });

        var all = byConsumer.SelectMany(items => items).ToList();
        all.Should().HaveCount(producers * perProducer);
        all.Should().OnlyHaveUniqueItems();
        foreach (List<(int Producer, int Seq)> items in byConsumer)
        {
            foreach (IGrouping<int, (int Producer, int Seq)> fromOne in items.GroupBy(i => i.Producer))
            {
                fromOne.Select(i => i.Seq).Should().BeInAscendingOrder("each producer's items stay in order");
            }
        }
    }

    [Fact]
    public async Task A_send_into_a_full_channel_waits_for_a_receive_and_waiters_are_served_in_order()
    {
        List<string> log = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            var order = new List<string>();
            channel.TrySend(0).Should().BeTrue();
            ValueTask first = channel.SendAsync(1);
            ValueTask second = channel.SendAsync(2);
            first.IsCompleted.Should().BeFalse();
            second.IsCompleted.Should().BeFalse();

            Task a = Watch(first, "send 1 done", order);
            Task b = Watch(second, "send 2 done", order);
            order.Add($"got {await channel.ReceiveAsync()}");
            await a;
            order.Add($"got {await channel.ReceiveAsync()}");
            await b;
            order.Add($"got {await channel.ReceiveAsync()}");
            return order;
        });

        log.Should().Equal("got 0", "send 1 done", "got 1", "send 2 done", "got 2");
    }

    [Fact]
    public async Task Close_fails_waiting_senders_and_receivers_and_receivers_drain_first()
    {
        (Type sendFailure, Type receiveFailure, List<int> drained) = await _executor.RunAsync(async () =>
        {
            var full = new LocalChannel<int>(2);
            full.TrySend(1);
            full.TrySend(2);
            ValueTask waitingSend = full.SendAsync(3);
            full.Close().Should().BeTrue();
            Exception? sendError = await Record(waitingSend.AsTask());
            List<int> items = [];
            await foreach (int item in full.ReadAllAsync())
            {
                items.Add(item);
            }

            var empty = new LocalChannel<int>(2);
            ValueTask<int> waitingReceive = empty.ReceiveAsync();
            empty.Close();
            Exception? receiveError = await Record(waitingReceive.AsTask());
            full.TrySend(4).Should().BeFalse();
            (await Record(full.SendAsync(4).AsTask())).Should().BeOfType<ChannelClosedException>();
            return (sendError!.GetType(), receiveError!.GetType(), items);
        });

        sendFailure.Should().Be<ChannelClosedException>();
        receiveFailure.Should().Be<ChannelClosedException>();
        drained.Should().Equal(1, 2);
    }

    [Fact]
    public async Task A_cancel_from_another_thread_withdraws_the_wait_on_the_owner()
    {
        using var cts = new CancellationTokenSource();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalChannel<int>? channelSeen = null;
        Task<(Type, int, bool)> run = _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            channelSeen = channel;
            ValueTask<int> receive = channel.ReceiveAsync(cts.Token);
            waiting.SetResult();
            Exception? error = await Record(receive.AsTask());
            channel.TrySend(5).Should().BeTrue("the cancelled receiver no longer takes items");
            return (error!.GetType(), channel.Count, _executor.IsOwnerThread);
        });

        await waiting.Task.WaitAsync(Bound);
        await cts.CancelAsync();

        (Type error, int count, bool onOwner) = await run;
        error.Should().Be<OperationCanceledException>();
        count.Should().Be(1);
        onOwner.Should().BeTrue();
    }

    [Fact]
    public async Task A_cancelled_local_task_waiting_to_receive_does_not_swallow_an_item()
    {
        int received = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            LocalTask<int> doomed = ReceiveOnceAsync(channel);
            doomed.IsCompleted.Should().BeFalse();
            doomed.Cancel();
            doomed.IsCanceled.Should().BeTrue();

            channel.TrySend(7).Should().BeTrue();
            channel.Count.Should().Be(1, "the item went into the channel, not to the cancelled receiver");
            return await channel.ReceiveAsync();
        });

        received.Should().Be(7);
    }

    [Fact]
    public async Task A_cancelled_receive_whose_wait_was_reused_before_its_withdrawal_leaves_the_next_receive_alone()
    {
        // A cancelled raw task withdraws its wait after its completion is published. A callback run inline there holds
        // that window open: a send passes over the abandoned wait (reclaiming it) to the receive behind it, and a new
        // receive takes the reclaimed wait. The late withdrawal must see the wait is no longer its own.
        (int second, bool thirdWaited, int third) = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            LocalTask<int> doomed = ReceiveOnceAsync(channel);
            LocalTask<int>? secondReceive = null;
            LocalTask<int>? thirdReceive = null;
            doomed.OnCompletedInline(state =>
            {
                secondReceive = ReceiveOnceAsync(channel);
                channel.TrySend(7).Should().BeTrue();
                thirdReceive = ReceiveOnceAsync(channel);
            }, null);

            doomed.Cancel();
            bool waited = !thirdReceive!.IsCompleted;
            channel.TrySend(8).Should().BeTrue();
            return (await secondReceive!, waited, await thirdReceive.WithTimeout(Bound));
        });

        second.Should().Be(7, "the send passed over the abandoned wait to the receive behind it");
        thirdWaited.Should().BeTrue("the third receive waited on the empty channel");
        third.Should().Be(8, "the late withdrawal of the cancelled receive left the third receive's wait alone");
    }

    [Fact]
    public async Task A_cancelled_local_task_waiting_to_send_sends_nothing()
    {
        int[] received = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            channel.TrySend(1);
            LocalTask doomed = SendOnceAsync(channel, 2);
            doomed.Cancel();
            return new[] { await channel.ReceiveAsync(), channel.TrySend(3) ? await channel.ReceiveAsync() : -1, channel.Count };
        });

        received.Should().Equal(1, 3, 0);
    }

    [Fact]
    public async Task A_local_task_cancelled_after_an_item_was_handed_to_it_but_before_it_ran_gives_the_item_back()
    {
        // The receiver waits on an empty channel, a send hands it an item and wakes it, and the task is cancelled
        // before it runs again (Cancel, a timeout, a shutdown). The send succeeded, so the item must stay in the
        // channel for the next receive, not vanish with the dropped receiver.
        (bool sent, bool canceled, int count, int next) = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            LocalTask<int> doomed = ReceiveOnceAsync(channel);
            bool sent = channel.TrySend(7); // handed straight to the waiting receiver, which is now queued
            doomed.Cancel();                // before it was polled with the item
            int count = channel.Count;
            return (sent, doomed.IsCanceled, count, channel.TryReceive(out int item) ? item : -1);
        });

        sent.Should().BeTrue();
        canceled.Should().BeTrue();
        count.Should().Be(1, "the cancelled receiver never took the item, so it is back in the channel");
        next.Should().Be(7);
    }

    [Fact]
    public async Task A_spawned_value_task_receive_cancelled_after_an_item_was_handed_to_it_gives_the_item_back()
    {
        // The same rule for the other raw task that awaits a channel directly: a spawn of a ValueTask body.
        (bool waited, bool canceled, int count, int next) = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            LocalTask<int> doomed = _executor.Spawn(() => channel.ReceiveAsync());
            await Task.Yield(); // the spawn runs first (it was queued first) and waits on the empty channel
            bool waited = !doomed.IsCompleted && channel.Count == 0;
            channel.TrySend(7).Should().BeTrue(); // handed to the waiting spawn, which is now queued
            doomed.Cancel();
            return (waited, doomed.IsCanceled, channel.Count, channel.TryReceive(out int item) ? item : -1);
        });

        waited.Should().BeTrue();
        canceled.Should().BeTrue();
        count.Should().Be(1, "the cancelled spawn never took the item");
        next.Should().Be(7);
    }

    [Fact]
    public async Task A_local_task_cancelled_after_its_waiting_send_got_room_but_before_it_ran_sends_nothing()
    {
        // The mirror image: a receive makes room for a waiting send of a raw task, which is cancelled before it runs.
        // Like a dropped future, the cancelled send must not be delivered (a retry would duplicate it), and the room
        // it was given goes to the next waiting sender.
        int[] received = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            channel.TrySend(1);
            LocalTask doomed = SendOnceAsync(channel, 2);
            LocalTask next = SendOnceAsync(channel, 3);
            channel.TryReceive(out int first).Should().BeTrue(); // room for the longest-waiting send: the doomed one
            doomed.Cancel();                                     // before it ran to put its item in
            await next;                                          // the room passed on to the next sender
            var items = new List<int> { first };
            while (channel.TryReceive(out int item))
            {
                items.Add(item);
            }

            return items.ToArray();
        });

        received.Should().Equal(1, 3);
    }

    [Fact]
    public async Task A_send_given_room_whose_item_goes_straight_to_a_waiting_receiver_passes_the_room_on()
    {
        // Room given to a raw task's send stays reserved until it runs; a receive that comes meanwhile waits on the empty
        // ring and takes the item directly, so the room is free again and the next waiting send must get it.
        (int first, int second, int third) = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            channel.TrySend(1);
            LocalTask given = SendOnceAsync(channel, 2);
            LocalTask waiting = SendOnceAsync(channel, 3);
            channel.TryReceive(out int first).Should().BeTrue(); // room for 2, reserved until its task runs
            LocalTask<int> receive = ReceiveOnceAsync(channel);   // the ring is empty: it waits
            await given;                                          // 2 goes straight to the receive
            await waiting.WithTimeout(TimeSpan.FromSeconds(10));   // the freed room went on to 3
            return (first, await receive, channel.TryReceive(out int third) ? third : -1);
        });

        (first, second, third).Should().Be((1, 2, 3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)] // the ring's head has moved on: it grows from a wrapped ring
    public async Task Items_given_back_by_cancelled_receivers_come_first_even_beyond_the_capacity(int moved)
    {
        (int count, int[] items) = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            MoveHead(channel, moved);
            LocalTask<int> doomed = ReceiveOnceAsync(channel);
            channel.TrySend(1).Should().BeTrue(); // handed to the waiting receive
            channel.TrySend(2).Should().BeTrue();
            channel.TrySend(3).Should().BeTrue(); // the channel is full: 2 and 3
            doomed.Cancel();                      // 1 comes back in front of them
            int count = channel.Count;
            channel.TrySend(4).Should().BeFalse("the channel still counts as full");
            var items = new List<int>();
            while (channel.TryReceive(out int item))
            {
                items.Add(item);
            }

            await Task.Yield();
            return (count, items.ToArray());
        });

        count.Should().Be(3);
        items.Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task Room_reserved_for_a_send_is_filled_even_when_items_given_back_filled_the_ring_meanwhile()
    {
        int[] items = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            channel.TrySend(1).Should().BeTrue();
            channel.TrySend(2).Should().BeTrue();
            LocalTask send = SendOnceAsync(channel, 3);        // waits: the channel is full
            channel.TryReceive(out _).Should().BeTrue();       // room for 3, reserved until its task runs
            channel.TryReceive(out _).Should().BeTrue();
            LocalTask<int> doomed = ReceiveOnceAsync(channel); // the ring is empty: it waits
            channel.TrySend(4).Should().BeTrue();              // handed to the waiting receive
            channel.TrySend(5).Should().BeTrue();              // the reserved room still leaves one slot
            doomed.Cancel();                                   // 4 comes back: the ring is full
            await send.WithTimeout(Bound);                     // 3 fills its reserved room: the ring grows
            var received = new List<int>();
            while (channel.TryReceive(out int item))
            {
                received.Add(item);
            }

            return received.ToArray();
        });

        items.Should().Equal([4, 5, 3], "the given-back item first, then the items in the order they entered");
    }

    [Fact]
    public async Task An_item_given_back_by_a_cancelled_receiver_goes_to_the_next_waiting_receiver()
    {
        (int received, int count) = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            LocalTask<int> doomed = ReceiveOnceAsync(channel);
            LocalTask<int> next = ReceiveOnceAsync(channel);
            channel.TrySend(7).Should().BeTrue(); // handed to the first waiting receive
            doomed.Cancel();                      // 7 comes back, and the second receive still waits for one
            return (await next.WithTimeout(Bound), channel.Count);
        });

        received.Should().Be(7, "the item the cancelled receive never took goes to the receive waiting behind it");
        count.Should().Be(0);
    }

    [Fact]
    public async Task An_item_given_back_by_a_cancelled_receiver_goes_in_front_of_a_ring_whose_head_moved_on()
    {
        int[] items = await _executor.RunAsync(() =>
        {
            var channel = new LocalChannel<int>(3);
            MoveHead(channel, 1);
            LocalTask<int> doomed = ReceiveOnceAsync(channel);
            channel.TrySend(1).Should().BeTrue(); // handed to the waiting receive
            channel.TrySend(2).Should().BeTrue();
            doomed.Cancel();                      // 1 comes back in front of 2, in the slot before the head
            var received = new List<int>();
            while (channel.TryReceive(out int item))
            {
                received.Add(item);
            }

            return Task.FromResult(received.ToArray());
        });

        items.Should().Equal(1, 2);
    }

    [Fact]
    public async Task Close_fails_a_send_given_room_that_has_not_run_yet()
    {
        (Type? error, int count) = await _executor.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            channel.TrySend(1);
            LocalTask send = SendOnceAsync(channel, 2);
            channel.TryReceive(out _).Should().BeTrue(); // room for the send, which has not run
            channel.Close();
            Exception? error = null;
            try
            {
                await send;
            }
            catch (ChannelClosedException exception)
            {
                error = exception;
            }

            return (error?.GetType(), channel.Count);
        });

        error.Should().Be<ChannelClosedException>("its item never entered before the close");
        count.Should().Be(0);
    }

    [Fact]
    public async Task Local_task_ping_pong_through_local_channels_allocates_nothing_once_warm()
    {
        long allocated = await _executor.Start(() => PingPongAsync(1_000, 20_000)).AsTask().WaitAsync(Bound);
        allocated.Should().BeLessThan(2_000, "pooled waits and wake-by-ref allocate nothing per message");
    }

    private static async LocalTask<long> PingPongAsync(int warmup, int measured)
    {
        var ping = new LocalChannel<int>(1);
        var pong = new LocalChannel<int>(1);
        LocalTask echo = EchoAsync(ping, pong, warmup + measured);
        for (int i = 0; i < warmup; i++)
        {
            await ping.SendAsync(i);
            await pong.ReceiveAsync();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < measured; i++)
        {
            await ping.SendAsync(i);
            if (await pong.ReceiveAsync() != i)
            {
                throw new InvalidOperationException("out of order");
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        await echo;
        return allocated;
    }

    /// <summary>Moves the ring's head on by sending and receiving <paramref name="items"/> items (99, which a wrong slot
    /// read would return: the ring does not clear slots of value types).</summary>
    private static void MoveHead(LocalChannel<int> channel, int items)
    {
        for (int i = 0; i < items; i++)
        {
            channel.TrySend(99).Should().BeTrue();
            channel.TryReceive(out int item).Should().BeTrue();
            item.Should().Be(99);
        }
    }

    private static async LocalTask<int> ReceiveOnceAsync(LocalChannel<int> channel) => await channel.ReceiveAsync();

    internal static async LocalTask SendOnceAsync(LocalChannel<int> channel, int item) => await channel.SendAsync(item);

    private static async LocalTask EchoAsync(LocalChannel<int> ping, LocalChannel<int> pong, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            await pong.SendAsync(await ping.ReceiveAsync());
        }
    }

    private static async Task ProduceAsync(LocalChannel<(int, int)> channel, int producer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await channel.SendAsync((producer, i));
            if (i % 7 == 0)
            {
                await Task.Yield();
            }
        }
    }

    private static async Task<List<(int, int)>> ConsumeAsync(LocalChannel<(int, int)> channel)
    {
        var items = new List<(int, int)>();
        await foreach ((int, int) item in channel.ReadAllAsync())
        {
            items.Add(item);
        }

        return items;
    }

    private static async Task Watch(ValueTask operation, string label, List<string> order)
    {
        await operation;
        order.Add(label);
    }

    private static async Task<Exception?> Record(Task operation)
    {
        try
        {
            await operation;
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }
}
