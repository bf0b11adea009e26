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

public sealed class SharedChannelTests : IAsyncLifetime, IDisposable
{
    private readonly LocalExecutorPool _pool = new(PoolPlacement.Unbound(2));

    private LocalExecutor Producer => _pool[0];

    private LocalExecutor Consumer => _pool[1];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    public void Dispose() => _pool.Dispose();

    [Fact]
    public async Task Items_arrive_in_the_order_they_were_sent()
    {
        var channel = new SharedChannel<int>(4);
        Task sending = Producer.RunAsync(async () =>
        {
            for (int i = 0; i < 1000; i++)
            {
                await channel.SendAsync(i);
            }

            channel.Close();
        });

        List<int> received = await Consumer.RunAsync(async () =>
        {
            var items = new List<int>();
            await foreach (int item in channel.ReadAllAsync())
            {
                items.Add(item);
            }

            return items;
        });

        await sending;
        received.Should().Equal(Enumerable.Range(0, 1000));
    }

    [Fact]
    public async Task A_send_into_a_full_channel_waits_until_the_receiver_takes_an_item()
    {
        var channel = new SharedChannel<int>(2);
        var pendingSend = await Producer.RunAsync(() =>
        {
            channel.TrySend(1).Should().BeTrue();
            channel.TrySend(2).Should().BeTrue();
            channel.TrySend(3).Should().BeFalse("the channel holds two items");
            ValueTask send = channel.SendAsync(3);
            send.IsCompleted.Should().BeFalse("no room until the receiver takes one");
            return Task.FromResult(send.AsTask());
        });

        Until(() => channel.IsSenderWaiting, "the send waits for room");
        pendingSend.IsCompleted.Should().BeFalse();

        int first = await Consumer.RunAsync(async () => await channel.ReceiveAsync());
        await pendingSend.WaitAsync(Bound);

        first.Should().Be(1);
        channel.Count.Should().Be(2);
        int[] rest = await Consumer.RunAsync(async () => new[] { await channel.ReceiveAsync(), await channel.ReceiveAsync() });
        rest.Should().Equal(2, 3);
    }

    [Fact]
    public async Task Closing_wakes_a_waiting_receiver_with_ChannelClosedException()
    {
        var channel = new SharedChannel<int>(2);
        Task<Type> receiving = Consumer.RunAsync(async () =>
        {
            try
            {
                await channel.ReceiveAsync();
                return typeof(void);
            }
            catch (ChannelClosedException exception)
            {
                Consumer.IsOwnerThread.Should().BeTrue("the receiver resumes on its own executor");
                return exception.GetType();
            }
        });

        Until(() => channel.IsReceiverWaiting, "the receive waits");
        channel.Close().Should().BeTrue();
        channel.Close().Should().BeFalse("closing twice is harmless");

        (await receiving).Should().Be<ChannelClosedException>();
    }

    [Fact]
    public async Task Closing_fails_a_waiting_sender_and_receivers_still_drain_what_was_sent()
    {
        var channel = new SharedChannel<string>(2);
        Task<Exception?> sending = Producer.RunAsync(async () =>
        {
            await channel.SendAsync("a");
            await channel.SendAsync("b");
            try
            {
                await channel.SendAsync("c");
                return (Exception?)null;
            }
            catch (ChannelClosedException exception)
            {
                return exception;
            }
        });

        Until(() => channel.IsSenderWaiting, "the third send waits for room");
        channel.Close();

        (await sending).Should().BeOfType<ChannelClosedException>();
        List<string> drained = await Consumer.RunAsync(async () =>
        {
            var items = new List<string> { await channel.ReceiveAsync(), await channel.ReceiveAsync() };
            Func<Task> after = async () => await channel.ReceiveAsync();
            await after.Should().ThrowAsync<ChannelClosedException>();
            return items;
        });
        drained.Should().Equal("a", "b");
    }

    [Fact]
    public async Task Sending_into_a_closed_channel_throws_and_TrySend_refuses()
    {
        var channel = new SharedChannel<int>(4);
        channel.Close();

        await Producer.RunAsync(async () =>
        {
            channel.TrySend(1).Should().BeFalse();
            Func<Task> send = async () => await channel.SendAsync(1);
            await send.Should().ThrowAsync<ChannelClosedException>();
        });
        channel.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_cancelled_receive_takes_nothing_and_the_channel_goes_on()
    {
        var channel = new SharedChannel<int>(4);
        using var cts = new CancellationTokenSource();
        var cancelSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> receiving = Consumer.RunAsync(async () =>
        {
            try
            {
                await channel.ReceiveAsync(cts.Token);
                return -1;
            }
            catch (OperationCanceledException exception) when (exception.CancellationToken == cts.Token)
            {
                cancelSeen.SetResult();
                return await channel.ReceiveAsync();
            }
        });

        Until(() => channel.IsReceiverWaiting, "the receive waits");
        await cts.CancelAsync();
        await cancelSeen.Task.WaitAsync(Bound);
        Until(() => channel.IsReceiverWaiting, "the second receive waits");
        await Producer.RunAsync(async () => await channel.SendAsync(7));

        (await receiving).Should().Be(7);
    }

    [Fact]
    public async Task A_cancelled_send_sends_nothing()
    {
        var channel = new SharedChannel<int>(1);
        using var cts = new CancellationTokenSource();
        Task<bool> sending = Producer.RunAsync(async () =>
        {
            await channel.SendAsync(1);
            try
            {
                await channel.SendAsync(2, cts.Token);
                return false;
            }
            catch (OperationCanceledException)
            {
                return Producer.IsOwnerThread;
            }
        });

        Until(() => channel.IsSenderWaiting, "the second send waits");
        await cts.CancelAsync();

        (await sending).Should().BeTrue();
        channel.Count.Should().Be(1);
    }

    [Fact]
    public async Task A_side_used_from_a_second_executor_is_refused_naming_both()
    {
        var channel = new SharedChannel<int>(4);
        await Producer.RunAsync(async () => await channel.SendAsync(1));

        Func<Task> fromConsumer = () => Consumer.RunAsync(async () => await channel.SendAsync(2));

        (await fromConsumer.Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().Contain(Producer.Name).And.Contain(Consumer.Name).And.Contain("sending");
    }

    [Fact]
    public async Task While_a_send_waits_no_other_send_can_overtake_it()
    {
        var channel = new SharedChannel<int>(1);
        await Producer.RunAsync(async () =>
        {
            channel.TrySend(1).Should().BeTrue();
            ValueTask waiting = channel.SendAsync(2);
            channel.TrySend(3).Should().BeFalse("3 would overtake 2");
            Action another = () => _ = channel.SendAsync(3).AsTask();
            another.Should().Throw<InvalidOperationException>().WithMessage("*still pending*");
            channel.Close();
            Func<Task> end = async () => await waiting;
            await end.Should().ThrowAsync<ChannelClosedException>();
        });
    }

    [Fact]
    public async Task A_local_task_consumer_resumes_on_its_executor_through_its_waker()
    {
        var channel = new SharedChannel<int>(2);
        LocalTask<(long Sum, bool OnOwner)> consuming = Consumer.Start(() => SumAsync(channel, Consumer));

        await Producer.RunAsync(async () =>
        {
            for (int i = 1; i <= 100; i++)
            {
                await channel.SendAsync(i);
            }

            channel.Close();
        });

        (long sum, bool onOwner) = await consuming.AsTask().WaitAsync(Bound);
        sum.Should().Be(5050);
        onOwner.Should().BeTrue();
    }

    [Fact]
    public async Task A_local_task_awaiting_a_receive_registers_its_waker_and_an_async_task_its_continuation()
    {
        var forWaker = new SharedChannel<int>(1);
        LocalTask<int> viaWaker = Consumer.Start(() => ReceiveOnceAsync(forWaker));
        Until(() => forWaker.IsReceiverWaiting, "the LocalTask receive waits");
        forWaker.ReceiverWaitsOnWaker.Should().BeTrue("an async LocalTask method is woken directly, one hop, no delegate");

        var forContinuation = new SharedChannel<int>(1);
        Task<int> viaContinuation = Consumer.RunAsync(async () => await forContinuation.ReceiveAsync());
        Until(() => forContinuation.IsReceiverWaiting, "the Task receive waits");
        forContinuation.ReceiverWaitsOnWaker.Should().BeFalse("an async Task method resumes through its captured context");

        await Producer.RunAsync(async () =>
        {
            await forWaker.SendAsync(1);
            return true;
        });
        forContinuation.TrySend(2).Should().BeTrue("a first use off any executor binds the sending side there");
        (await viaWaker.AsTask().WaitAsync(Bound)).Should().Be(1);
        (await viaContinuation).Should().Be(2);
    }

    [Fact]
    public async Task A_sending_local_task_cancelled_while_it_waits_sends_nothing_and_frees_the_producer()
    {
        var channel = new SharedChannel<int>(1);
        LocalTask blocked = await Producer.RunAsync(() =>
        {
            channel.TrySend(1).Should().BeTrue();
            return Task.FromResult(SendOnceAsync(channel, 2)); // starts inline on the producer and waits for room
        });
        Until(() => channel.IsSenderWaiting, "the send of 2 waits");

        blocked.Cancel();
        Func<Task> awaitBlocked = () => blocked.AsTask().WaitAsync(Bound);
        await awaitBlocked.Should().ThrowAsync<OperationCanceledException>();

        (await Consumer.RunAsync(async () => await channel.ReceiveAsync())).Should().Be(1);
        await Producer.RunAsync(async () =>
        {
            await channel.SendAsync(3);
            return true;
        });
        (await Consumer.RunAsync(async () => await channel.ReceiveAsync())).Should().Be(3, "the cancelled send of 2 was dropped");
        channel.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_token_cancel_racing_the_arming_of_a_receive_always_ends_it()
    {
        const int rounds = 10_000;
        var channel = new SharedChannel<int>(1);
        var race = new CancelRace();
        var lost = new List<int>();
        var canceller = new Thread(() =>
        {
            for (int round = 1; round <= rounds; round++)
            {
                if (!race.WaitForRound(round))
                {
                    lost.Add(-round); // the consumer never started this round
                    return;
                }

                race.Current!.Cancel(); // lands anywhere in ReceiveAsync: before, during or after the wait arms
                if (!race.WaitUntilFinished(round))
                {
                    lost.Add(round);
                    channel.Close(); // frees the stuck receive, so the test fails on the assertion below, not by hanging
                    return;
                }
            }
        }) { IsBackground = true, Name = "canceller" };
        canceller.Start();

        await Consumer.RunAsync(async () =>
        {
            for (int round = 1; round <= rounds; round++)
            {
                var cts = new CancellationTokenSource();
                race.Begin(round, cts);
                try
                {
                    await channel.ReceiveAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                }
                catch (ChannelClosedException)
                {
                    return;
                }

                race.Finish(round);
            }
        });

        canceller.Join(Bound).Should().BeTrue();
        lost.Should().BeEmpty("every receive whose token fired ended (a negative round never started)");
    }

    [Fact]
    public async Task Cancelling_tasks_and_tokens_on_both_sides_delivers_exactly_the_completed_sends_in_order()
    {
        const int items = 5_000;
        var channel = new SharedChannel<int>(2);
        var chaos = new Chaos();
        var sent = new List<int>();
        var received = new List<int>();

        Task producing = Producer.RunAsync(async () =>
        {
            for (int i = 0; i < items; i++)
            {
                var cts = new CancellationTokenSource();
                LocalTask<bool> sending = SendWithTokenAsync(channel, i, cts.Token);
                chaos.Producer = (sending, cts);
                try
                {
                    if (await sending)
                    {
                        sent.Add(i);
                    }
                }
                catch (OperationCanceledException)
                {
                    // its token fired or the task was cancelled while it waited: the item must not arrive
                }
            }

            chaos.Producer = null;
            channel.Close();
        });

        Task consuming = Consumer.RunAsync(async () =>
        {
            while (true)
            {
                var cts = new CancellationTokenSource();
                LocalTask<int> receiving = ReceiveWithTokenAsync(channel, cts.Token);
                chaos.Consumer = (receiving, cts);
                try
                {
                    received.Add(await receiving);
                }
                catch (OperationCanceledException)
                {
                    // cancelled while it waited: it took nothing
                }
                catch (ChannelClosedException)
                {
                    chaos.Consumer = null;
                    return;
                }
            }
        });

        var havoc = new Thread(() => chaos.Run(seed: 9)) { IsBackground = true, Name = "chaos" };
        havoc.Start();
        try
        {
            await Task.WhenAll(producing, consuming).Within("both sides to finish while their waits are cancelled");
        }
        finally
        {
            chaos.Stop();
            havoc.Join(Bound);
        }

        chaos.Cancels.Should().BeGreaterThan(0, "the chaos thread cancelled tasks and tokens");
        received.Should().Equal(sent, "an item arrives once, in order, exactly when its send completed");
    }

    [Fact]
    public async Task A_million_messages_cross_cores_with_nothing_lost_or_duplicated()
    {
        const int count = 1_000_000;
        var channel = new SharedChannel<int>(1024);

        Task sending = Producer.RunAsync(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                if (!channel.TrySend(i))
                {
                    await channel.SendAsync(i);
                }
            }

            channel.Close();
        });

        (int received, int firstGap) = await Consumer.Spawn(async Task<(int, int)> () =>
        {
            int next = 0;
            int gap = -1;
            while (true)
            {
                int item;
                if (!channel.TryReceive(out item))
                {
                    try
                    {
                        item = await channel.ReceiveAsync();
                    }
                    catch (ChannelClosedException)
                    {
                        break;
                    }
                }

                if (item != next && gap < 0)
                {
                    gap = next;
                }

                next++;
            }

            return (next, gap);
        }).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        await sending.WaitAsync(Bound);
        firstGap.Should().Be(-1, "every item arrives once, in order");
        received.Should().Be(count);
    }

    [Fact]
    public async Task Ping_pong_waits_allocate_nothing_on_either_executor()
    {
        const int warmup = 2_000;
        const int measured = 20_000;
        var ping = new SharedChannel<int>(1);
        var pong = new SharedChannel<int>(1);

        LocalTask<long> echo = Consumer.Start(() => EchoAsync(ping, pong, warmup + measured));
        LocalTask<long> driver = Producer.Start(() => DriveAsync(ping, pong, warmup, measured));

        long driverBytes = await driver.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        long echoBytes = await echo.AsTask().WaitAsync(Bound);

        // Each round trip is two waits on each side; a few hundred bytes of slack cover one-off growth of a queue.
        driverBytes.Should().BeLessThan(measured / 8, "a waiting receive and its wake allocate nothing");
        echoBytes.Should().BeLessThan(measured / 8);
    }

    private static async LocalTask<(long, bool)> SumAsync(SharedChannel<int> channel, LocalExecutor owner)
    {
        long sum = 0;
        bool onOwner = true;
        while (true)
        {
            try
            {
                sum += await channel.ReceiveAsync();
            }
            catch (ChannelClosedException)
            {
                return (sum, onOwner);
            }

            onOwner &= owner.IsOwnerThread;
        }
    }

    private static async LocalTask SendOnceAsync(SharedChannel<int> channel, int item) => await channel.SendAsync(item);

    private static async LocalTask<bool> SendWithTokenAsync(SharedChannel<int> channel, int item, CancellationToken token)
    {
        await channel.SendAsync(item, token);
        return true;
    }

    private static async LocalTask<int> ReceiveWithTokenAsync(SharedChannel<int> channel, CancellationToken token) =>
        await channel.ReceiveAsync(token);

    private static async LocalTask<int> ReceiveOnceAsync(SharedChannel<int> channel) => await channel.ReceiveAsync();

    private static async LocalTask<long> EchoAsync(SharedChannel<int> ping, SharedChannel<int> pong, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            await pong.SendAsync(await ping.ReceiveAsync());
        }

        return 0;
    }

    private static async LocalTask<long> DriveAsync(SharedChannel<int> ping, SharedChannel<int> pong, int warmup, int measured)
    {
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

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>Hands each round's token to the canceller thread and tells it when the round ended.</summary>
    private sealed class CancelRace
    {
        private CancellationTokenSource? _current;
        private int _begun;
        private int _finished;

        public CancellationTokenSource? Current => Volatile.Read(ref _current);

        public void Begin(int round, CancellationTokenSource cts)
        {
            Volatile.Write(ref _current, cts);
            Volatile.Write(ref _begun, round);
        }

        public void Finish(int round) => Volatile.Write(ref _finished, round);

        public bool WaitForRound(int round) => SpinWait.SpinUntil(() => Volatile.Read(ref _begun) >= round, Bound);

        public bool WaitUntilFinished(int round) => SpinWait.SpinUntil(() => Volatile.Read(ref _finished) >= round, TimeSpan.FromSeconds(5));
    }

    /// <summary>Cancels the current send and receive of the test at random moments: their tokens, or their raw tasks.</summary>
    private sealed class Chaos
    {
        private readonly Lock _gate = new();
        private (LocalTask Task, CancellationTokenSource Cts)? _producer;
        private (LocalTask Task, CancellationTokenSource Cts)? _consumer;
        private volatile bool _stopped;
        private int _cancels;

        public (LocalTask Task, CancellationTokenSource Cts)? Producer
        {
            get { lock (_gate) { return _producer; } }
            set { lock (_gate) { _producer = value; } }
        }

        public (LocalTask Task, CancellationTokenSource Cts)? Consumer
        {
            get { lock (_gate) { return _consumer; } }
            set { lock (_gate) { _consumer = value; } }
        }

        public int Cancels => Volatile.Read(ref _cancels);

        public void Stop() => _stopped = true;

        public void Run(int seed)
        {
            var random = new Random(seed);
            while (!_stopped)
            {
                (LocalTask Task, CancellationTokenSource Cts)? target = random.Next(2) == 0 ? Producer : Consumer;
                if (target is { } victim && !victim.Task.IsCompleted)
                {
                    switch (random.Next(4))
                    {
                        case 0:
                            victim.Cts.Cancel();
                            Interlocked.Increment(ref _cancels);
                            break;
                        case 1:
                            victim.Task.Cancel();
                            Interlocked.Increment(ref _cancels);
                            break;
                    }
                }

                Thread.SpinWait(random.Next(50, 2_000));
            }
        }
    }
}
