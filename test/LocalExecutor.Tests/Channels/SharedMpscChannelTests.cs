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

public sealed class SharedMpscChannelTests : IAsyncLifetime, IDisposable
{
    private readonly LocalExecutorPool _pool = new(PoolPlacement.Unbound(3));

    private LocalExecutor Consumer => _pool[0];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    public void Dispose() => _pool.Dispose();

    [Fact]
    public async Task Items_from_many_producers_all_arrive_once_and_in_each_producers_order()
    {
        const int perProducer = 100_000;
        var channel = new SharedMpscChannel<(int Producer, int Seq)>(64);

        Task[] producers =
        [
            _pool[1].RunAsync(() => ProduceAsync(channel, 1, perProducer)),
            _pool[2].RunAsync(() => ProduceAsync(channel, 2, perProducer)),
            Task.Run(() => ProduceAsync(channel, 3, perProducer)), // a thread-pool producer too
        ];
        Task closing = Task.WhenAll(producers).ContinueWith(_ => channel.Close(), TaskScheduler.Default);

        (int total, bool ordered) = await Consumer.Spawn(async Task<(int, bool)> () =>
        {
            int[] next = new int[4];
            bool inOrder = true;
            int count = 0;
            await foreach ((int producer, int seq) in channel.ReadAllAsync())
            {
                inOrder &= seq == next[producer]++;
                count++;
            }

            return (count, inOrder);
        }).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        await closing.WaitAsync(Bound);
        ordered.Should().BeTrue("each producer's items arrive in the order it sent them, none lost or doubled");
        total.Should().Be(3 * perProducer);
    }

    [Fact]
    public async Task Sends_into_a_full_channel_wait_until_the_consumer_makes_room()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();
        channel.TrySend(3).Should().BeFalse();

        Task third = _pool[1].RunAsync(async () => await channel.SendAsync(3));
        Task fourth = _pool[2].RunAsync(async () => await channel.SendAsync(4));
        Until(() => channel.WaitingSenders >= 2, "both sends wait for room");
        third.IsCompleted.Should().BeFalse();
        fourth.IsCompleted.Should().BeFalse();

        List<int> received = await Consumer.RunAsync(async () =>
        {
            var items = new List<int>();
            for (int i = 0; i < 4; i++)
            {
                items.Add(await channel.ReceiveAsync());
            }

            return items;
        });

        await Task.WhenAll(third, fourth).WaitAsync(Bound);
        received.Take(2).Should().Equal(1, 2);
        received.Skip(2).Should().BeEquivalentTo([3, 4]);
    }

    [Fact]
    public async Task Closing_fails_waiting_senders_and_the_receiver_drains_then_ends()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1);
        channel.TrySend(2);
        Task<Exception?> waitingSend = _pool[1].RunAsync(async () =>
        {
            try
            {
                await channel.SendAsync(3);
                return (Exception?)null;
            }
            catch (ChannelClosedException exception)
            {
                return exception;
            }
        });
        Until(() => channel.WaitingSenders >= 1, "the send waits");

        channel.Close().Should().BeTrue();

        (await waitingSend).Should().BeOfType<ChannelClosedException>();
        channel.TrySend(9).Should().BeFalse();
        List<int> drained = await Consumer.RunAsync(async () =>
        {
            var items = new List<int>();
            await foreach (int item in channel.ReadAllAsync())
            {
                items.Add(item);
            }

            return items;
        });
        drained.Should().Equal(1, 2);
    }

    [Fact]
    public async Task Closing_wakes_a_waiting_receiver()
    {
        var channel = new SharedMpscChannel<int>(4);
        Task<Type> receiving = Consumer.RunAsync(async () =>
        {
            try
            {
                await channel.ReceiveAsync();
                return typeof(void);
            }
            catch (ChannelClosedException exception)
            {
                return exception.GetType();
            }
        });

        Until(() => channel.IsReceiverWaiting, "the receive waits");
        channel.Close();

        (await receiving).Should().Be<ChannelClosedException>();
    }

    [Fact]
    public async Task A_cancelled_send_sends_nothing_and_others_go_on()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1);
        channel.TrySend(2);
        using var cts = new CancellationTokenSource();
        Task<bool> cancelled = _pool[1].RunAsync(async () =>
        {
            try
            {
                await channel.SendAsync(3, cts.Token);
                return false;
            }
            catch (OperationCanceledException)
            {
                return _pool[1].IsOwnerThread;
            }
        });
        Until(() => channel.WaitingSenders >= 1, "the send waits");

        await cts.CancelAsync();

        (await cancelled).Should().BeTrue();
        int[] items = await Consumer.RunAsync(async () => new[] { await channel.ReceiveAsync(), await channel.ReceiveAsync() });
        items.Should().Equal(1, 2);
        channel.TrySend(4).Should().BeTrue();
        channel.Count.Should().Be(1);
    }

    [Fact]
    public async Task A_send_whose_local_task_was_cancelled_while_it_waited_is_not_delivered()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();
        LocalTask<bool> blocked = _pool[1].Start(() => SendOnceAsync(channel, 3));
        Until(() => channel.WaitingSenders == 1, "the send of 3 waits");

        blocked.Cancel();
        Func<Task> awaitBlocked = () => blocked.AsTask().WaitAsync(Bound);
        await awaitBlocked.Should().ThrowAsync<OperationCanceledException>();

        int[] first = await Consumer.RunAsync(async () => new[] { await channel.ReceiveAsync(), await channel.ReceiveAsync() });
        first.Should().Equal(1, 2);
        channel.WaitingSenders.Should().Be(0, "the room went to the abandoned send, which was dropped");
        channel.TrySend(4).Should().BeTrue();
        (await Consumer.RunAsync(async () => await channel.ReceiveAsync())).Should().Be(4, "the cancelled send of 3 was dropped, not delivered later");
        channel.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_send_whose_local_task_is_cancelled_after_the_consumer_took_its_item_but_before_it_ran_is_not_reported_cancelled()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();
        LocalTask<bool> send = _pool[1].Start(() => SendOnceAsync(channel, 3));
        Until(() => channel.WaitingSenders == 1, "the send of 3 waits");

        // Hold the sender's executor so that the wake and the cancel queue up in its inbox in that order.
        using ExecutorHold hold = ExecutorHold.Of(_pool[1]);
        (await Consumer.RunAsync(() => Task.FromResult(channel.TryReceive(out int item) ? item : -1))).Should().Be(1); // room: 3 goes in
        send.Cancel();
        hold.Release();
        await FluentActions.Awaiting(() => send.AsTask().WaitAsync(Bound)).Should().NotThrowAsync<TimeoutException>();

        int[] rest = await Consumer.RunAsync(() => Task.FromResult(new[] { channel.TryReceive(out int a) ? a : -1, channel.TryReceive(out int b) ? b : -1 }));
        bool delivered = rest.Contains(3);
        send.IsCanceled.Should().Be(!delivered, "a send reported cancelled must not have been delivered, and a delivered one must not be reported cancelled");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_receive_waiting_at_the_room_a_cancelled_send_gave_up_gets_the_next_item_or_the_close(bool close)
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();
        LocalTask<bool> send = _pool[1].Start(() => SendOnceAsync(channel, 3));
        Until(() => channel.WaitingSenders == 1, "the send of 3 waits");

        // Hold the sender's executor: the room the consumer makes is reserved for the send, which cannot fill it yet.
        using ExecutorHold hold = ExecutorHold.Of(_pool[1]);
        int[] first = await Consumer.RunAsync(async () => new[] { await channel.ReceiveAsync(), await channel.ReceiveAsync() });
        first.Should().Equal(1, 2);
        Task<int> waiting = Consumer.RunAsync(async () => await channel.ReceiveAsync());
        Until(() => channel.IsReceiverWaiting, "the receive waits at the position reserved for the send of 3");

        send.Cancel();
        hold.Release(); // the cancel runs: the reserved position becomes a hole
        await FluentActions.Awaiting(() => send.AsTask().WaitAsync(Bound)).Should().ThrowAsync<TaskCanceledException>();
        waiting.IsCompleted.Should().BeFalse("a hole alone is neither an item nor the end: the receive keeps waiting");

        if (close)
        {
            channel.Close();
            await FluentActions.Awaiting(() => waiting.WaitAsync(Bound)).Should().ThrowAsync<ChannelClosedException>(
                "after the hole the channel is closed and drained");
        }
        else
        {
            channel.TrySend(4).Should().BeTrue();
            (await waiting.WaitAsync(Bound)).Should().Be(4, "the receive skips the hole to the next item");
            channel.Count.Should().Be(0);

            // The cancelled send's wait went back to the pool, released: the next send that waits reuses it and ends.
            channel.TrySend(5).Should().BeTrue();
            channel.TrySend(6).Should().BeTrue();
            LocalTask<bool> next = _pool[1].Start(() => SendOnceAsync(channel, 7));
            Until(() => channel.WaitingSenders == 1, "the send of 7 waits");
            int[] rest = await Consumer.RunAsync(async () => new[] { await channel.ReceiveAsync(), await channel.ReceiveAsync(), await channel.ReceiveAsync() });
            rest.Should().Equal(5, 6, 7);
            (await next.AsTask().WaitAsync(Bound)).Should().BeTrue();
        }
    }

    [Fact]
    public async Task Room_given_up_by_cancelled_sends_goes_to_the_next_waiting_send_while_the_receive_waits()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();
        LocalTask<bool> three = _pool[1].Start(() => SendOnceAsync(channel, 3));
        Until(() => channel.WaitingSenders == 1, "the send of 3 waits");
        LocalTask<bool> four = _pool[1].Start(() => SendOnceAsync(channel, 4));
        Until(() => channel.WaitingSenders == 2, "the send of 4 waits");
        Task five = Task.Run(async () => await channel.SendAsync(5)); // a thread-pool send, behind them
        Until(() => channel.WaitingSenders == 3, "the send of 5 waits");

        using ExecutorHold hold = ExecutorHold.Of(_pool[1]);
        int[] first = await Consumer.RunAsync(async () => new[] { await channel.ReceiveAsync(), await channel.ReceiveAsync() });
        first.Should().Equal(1, 2); // both slots now reserved for the held sends of 3 and 4
        Task<int> waiting = Consumer.RunAsync(async () => await channel.ReceiveAsync());
        Until(() => channel.IsReceiverWaiting, "the receive waits");

        three.Cancel();
        four.Cancel();
        hold.Release();
        (await waiting.WaitAsync(Bound)).Should().Be(5, "the room the cancelled sends gave up went to the send of 5");
        await five.WaitAsync(Bound);
        three.IsCanceled.Should().BeTrue();
        four.IsCanceled.Should().BeTrue();
        channel.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_send_that_timed_out_is_not_delivered_later_so_a_retry_sends_it_once()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();

        Type outcome = await _pool[1].RunAsync(async () =>
        {
            try
            {
                await SendOnceAsync(channel, 3).WithTimeout(TimeSpan.FromMilliseconds(20));
                return typeof(void);
            }
            catch (TimeoutException exception)
            {
                return exception.GetType();
            }
        });
        outcome.Should().Be<TimeoutException>("nobody receives while the send waits");

        int[] first = await Consumer.RunAsync(async () => new[] { await channel.ReceiveAsync(), await channel.ReceiveAsync() });
        first.Should().Equal(1, 2);
        await _pool[1].RunAsync(async () => await channel.SendAsync(3)); // the retry
        (await Consumer.RunAsync(async () => await channel.ReceiveAsync())).Should().Be(3);
        channel.Count.Should().Be(0, "the timed-out send was not delivered beside its retry");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the consumer closes the channel midway, racing the sends that start to wait
    public async Task Sends_cancelled_while_the_consumer_serves_them_are_delivered_exactly_when_they_report_success(bool closeWhileSending)
    {
        // Two producers cancel every send the moment it waits, racing the consumer that frees room and serves the
        // waiting sends: a send either completes (its item arrives, once), is cancelled or is refused by the close (it
        // never arrives). None is left waiting.
        const int perProducer = 1_000;
        var channel = new SharedMpscChannel<int>(2);
        var received = new List<int>();
        Task consuming = Consumer.RunAsync(async () =>
        {
            while (true)
            {
                try
                {
                    received.Add(await channel.ReceiveAsync());
                    if (closeWhileSending && received.Count == perProducer / 2)
                    {
                        channel.Close();
                    }
                }
                catch (ChannelClosedException)
                {
                    return;
                }
            }
        });

        Task<List<int>>[] producers = [Task.Run(() => SendCancellingEach(channel, 0, perProducer)), Task.Run(() => SendCancellingEach(channel, perProducer, perProducer))];
        List<int>[] sent = await Task.WhenAll(producers).Within("both producers to finish");
        channel.Close();
        await consuming.Within("the consumer to drain the channel");

        int cancelled = (2 * perProducer) - sent.Sum(s => s.Count);
        cancelled.Should().BeGreaterThan(0, "some sends lost the race to their cancel (or came after the close)");
        received.Should().BeEquivalentTo(sent.SelectMany(s => s), "an item arrives once, exactly when its send reported success");
    }

    private static async Task<List<int>> SendCancellingEach(SharedMpscChannel<int> channel, int first, int count)
    {
        var sent = new List<int>();
        for (int item = first; item < first + count; item++)
        {
            using var cts = new CancellationTokenSource();
            Task send = channel.SendAsync(item, cts.Token).AsTask(); // arms a wait when the channel is full
            await cts.CancelAsync();
            try
            {
                await send;
                sent.Add(item);
            }
            catch (OperationCanceledException)
            {
                // cancelled while it waited: the item must not arrive
            }
            catch (ChannelClosedException)
            {
                break; // refused by the close, as every later send would be
            }
        }

        return sent;
    }

    [Fact]
    public async Task Token_cancelled_sends_into_a_full_channel_leave_no_wait_behind()
    {
        const int cancelled = 20_000;
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();

        int cancellations = await _pool[1].RunAsync(async () =>
        {
            int seen = 0;
            for (int i = 0; i < cancelled; i++)
            {
                using var cts = new CancellationTokenSource();
                ValueTask send = channel.SendAsync(100 + i, cts.Token);
                Task waiting = send.AsTask(); // awaited: the wait is armed before its token fires
                await cts.CancelAsync();
                try
                {
                    await waiting;
                }
                catch (OperationCanceledException)
                {
                    seen++;
                }
            }

            return seen;
        });

        cancellations.Should().Be(cancelled);
        channel.WaitingSenders.Should().Be(0, "a cancelled wait leaves the list when its token fires, not at the next receive");
        int[] items = await Consumer.RunAsync(async () => new[] { await channel.ReceiveAsync(), await channel.ReceiveAsync() });
        items.Should().Equal(1, 2);
        channel.Count.Should().Be(0);
    }

    [Fact]
    public async Task Sends_of_cancelled_local_tasks_into_a_full_channel_hold_at_most_one_wait()
    {
        const int cancelled = 20_000;
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();

        await _pool[1].RunAsync(() =>
        {
            for (int i = 0; i < cancelled; i++)
            {
                LocalTask<bool> sending = SendOnceAsync(channel, 100 + i); // starts inline and waits for room
                sending.IsCompleted.Should().BeFalse();
                sending.Cancel();
            }

            return Task.CompletedTask;
        });

        channel.WaitingSenders.Should().BeLessThanOrEqualTo(1, "each new wait drops the abandoned one before it");
        int[] items = await Consumer.RunAsync(async () => new[] { await channel.ReceiveAsync(), await channel.ReceiveAsync() });
        items.Should().Equal(1, 2);
        channel.WaitingSenders.Should().Be(0);
        channel.Count.Should().Be(0, "no cancelled send was delivered");
    }

    [Fact]
    public async Task Waiting_sends_get_room_in_the_order_they_started_waiting()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(0).Should().BeTrue();
        channel.TrySend(0).Should().BeTrue();
        var sends = new List<Task>();
        for (int i = 1; i <= 4; i++)
        {
            int item = i;
            sends.Add(_pool[1 + (i % 2)].RunAsync(async () => await channel.SendAsync(item)));
            Until(() => channel.WaitingSenders == item, $"send {item} waits");
        }

        List<int> received = await Consumer.RunAsync(async () =>
        {
            var items = new List<int>();
            for (int i = 0; i < 6; i++)
            {
                items.Add(await channel.ReceiveAsync());
            }

            return items;
        });

        await Task.WhenAll(sends).WaitAsync(Bound);
        received.Should().Equal(0, 0, 1, 2, 3, 4);
    }

    [Fact]
    public async Task The_receiving_side_is_bound_to_one_executor()
    {
        var channel = new SharedMpscChannel<int>(4);
        channel.TrySend(1);
        await Consumer.RunAsync(async () => await channel.ReceiveAsync());

        Func<Task> elsewhere = () => _pool[1].RunAsync(async () => await channel.ReceiveAsync());

        (await elsewhere.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain(Consumer.Name);
    }

    internal static async LocalTask<bool> SendOnceAsync(SharedMpscChannel<int> channel, int item)
    {
        await channel.SendAsync(item);
        return true;
    }

    private static async Task ProduceAsync(SharedMpscChannel<(int, int)> channel, int producer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!channel.TrySend((producer, i)))
            {
                await channel.SendAsync((producer, i));
            }
        }
    }
}
