using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Channels;
using Xunit;
using static ThreadPerCore.Tests.Channels.ExecutorExtensions;

namespace ThreadPerCore.Tests.Channels;

/// <summary>
/// What a <see cref="LocalChannel{T}"/> refuses and keeps, found missing by mutation testing (docs/testing.md): a
/// channel without an owner or room, use from any thread but its owner's (the channel has no lock or atomic: a
/// foreign thread would race the owner's tasks), room given to a raw task's send kept for it until it runs, a
/// recycled wait that carries nothing of its last use, and a cancel that loses to a completion.
/// </summary>
public sealed class LocalChannelContractTests : IAsyncLifetime, IDisposable
{
    private readonly LocalExecutor _owner = new(new LocalExecutorOptions { Name = "local-channel-owner" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _owner.DisposeAsync();

    public void Dispose() => _owner.Dispose();

    [Fact]
    public void A_channel_needs_an_owner_and_room_for_one_item()
    {
        Action noOwner = () => _ = new LocalChannel<int>(null!, 4);
        Action noRoom = () => _ = new LocalChannel<int>(_owner, 0);

        noOwner.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("owner");
        noRoom.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("capacity");
    }

    [Theory]
    [InlineData("Count")]
    [InlineData("IsClosed")]
    [InlineData("SendAsync")]
    [InlineData("ReceiveAsync")]
    public async Task Every_member_refuses_a_thread_that_is_not_the_owner_naming_the_owner(string member)
    {
        LocalChannel<int> channel = await _owner.OnExecutor(() => new LocalChannel<int>(_owner, 4));
        await _owner.OnExecutor(() => channel.TrySend(1)); // an item there, so a receive that got through would not wait

        Action use = member switch
        {
            "Count" => () => _ = channel.Count,
            "IsClosed" => () => _ = channel.IsClosed,
            "SendAsync" => () => _ = channel.SendAsync(2).AsTask(),
            _ => () => _ = channel.ReceiveAsync().AsTask(),
        };

        use.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain(_owner.Name);
        (await _owner.OnExecutor(() => channel.Count)).Should().Be(1, "the refused call changed nothing");
    }

    [Fact]
    public async Task Room_given_to_a_waiting_local_task_send_is_kept_for_it_until_the_task_runs()
    {
        (bool sentMeanwhile, int countMeanwhile, int[] items) = await _owner.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            channel.TrySend(1).Should().BeTrue();
            LocalTask send = LocalChannelTests.SendOnceAsync(channel, 2);
            channel.TryReceive(out _).Should().BeTrue(); // room for 2, whose task has not run yet
            bool sentMeanwhile = channel.TrySend(9);     // the room is reserved: no other send may take it
            int countMeanwhile = channel.Count;
            await send.WithTimeout(Bound);
            return (sentMeanwhile, countMeanwhile, Drain(channel));
        });

        sentMeanwhile.Should().BeFalse("the room freed by the receive belongs to the send that waited for it");
        countMeanwhile.Should().Be(0);
        items.Should().Equal([2], "the waiting send's item entered, and nothing else");
    }

    [Fact]
    public async Task A_wait_reused_after_its_send_filled_its_room_delivers_the_next_item_once()
    {
        // The room-given send's wait goes back to the channel's pool when its task takes the outcome; the next wait
        // rents the same instance, and must not fill that room a second time with its own item.
        (int received, int[] rest) = await _owner.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            channel.TrySend(1).Should().BeTrue();
            LocalTask send = LocalChannelTests.SendOnceAsync(channel, 2);
            channel.TryReceive(out _).Should().BeTrue();
            await send.WithTimeout(Bound);
            channel.TryReceive(out int two).Should().BeTrue();
            two.Should().Be(2);

            LocalTask<int> receive = ReceiveOnceAsync(channel, CancellationToken.None); // waits, on the recycled wait
            channel.TrySend(7).Should().BeTrue(); // handed to the waiting receive
            int received = await receive.WithTimeout(Bound);
            return (received, Drain(channel));
        });

        received.Should().Be(7);
        rest.Should().BeEmpty("the item was delivered once, to the receive");
    }

    [Fact]
    public async Task Closing_after_a_send_filled_its_given_room_fails_every_later_waiting_send()
    {
        (Type?[] errors, int[] items) = await _owner.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            channel.TrySend(1).Should().BeTrue();
            LocalTask given = LocalChannelTests.SendOnceAsync(channel, 2);
            channel.TryReceive(out _).Should().BeTrue();
            await given.WithTimeout(Bound); // 2 filled its room: nothing is reserved any more
            LocalTask third = LocalChannelTests.SendOnceAsync(channel, 3);
            LocalTask fourth = LocalChannelTests.SendOnceAsync(channel, 4);
            channel.Close();
            await Task.Yield(); // behind the two sends the close woke (the run queue is FIFO)
            if (!third.IsCompleted || !fourth.IsCompleted)
            {
                return ([third.IsCompleted ? null : typeof(void), fourth.IsCompleted ? null : typeof(void)], Drain(channel));
            }

            Type?[] errors = [await ErrorOf(third), await ErrorOf(fourth)];
            return (errors, Drain(channel));
        });

        errors.Should().Equal([typeof(ChannelClosedException), typeof(ChannelClosedException)],
            "both sends were waiting when the channel closed (void: that send still waited after the close)");
        items.Should().Equal([2], "only the item that entered before the close is received");
    }

    [Fact]
    public async Task A_token_cancelled_on_the_owner_thread_cancels_the_waiting_receive()
    {
        bool canceled = await _owner.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            using var source = new CancellationTokenSource();
            LocalTask<int> receive = ReceiveOnceAsync(channel, source.Token); // waits: the channel is empty
            source.Cancel();
            bool kept = channel.TrySend(5) && channel.Count == 1; // not handed to the receive: it no longer waits
            try
            {
                await receive.WithTimeout(Bound);
                return false;
            }
            catch (OperationCanceledException)
            {
                return kept;
            }
        });

        canceled.Should().BeTrue("the receive ended cancelled at once, and the next item stays in the channel");
    }

    [Fact]
    public async Task A_finished_receive_refuses_its_stale_token_while_its_recycled_wait_serves_the_next_receive()
    {
        (bool earlyRefused, bool staleStatusRefused, bool staleResultRefused, int first, int second) = await _owner.OnExecutor(() =>
        {
            var channel = new LocalChannel<int>(1);
#pragma warning disable CA2012 // drives the IValueTaskSource contract itself: status, an early result, a stale token
            ValueTask<int> receive = channel.ReceiveAsync(); // waits: the channel is empty
            channel.TrySend(1).Should().BeTrue();            // completes it on this thread
            int one = receive.Result;
            ValueTask<int> next = channel.ReceiveAsync();    // waits, on the recycled wait
            bool early = Refused(() => _ = next.Result);
            bool staleStatus = Refused(() => _ = receive.IsCompleted);
            channel.TrySend(2).Should().BeTrue();
            bool staleResult = Refused(() => _ = receive.Result);
            return (early, staleStatus, staleResult, one, next.Result);
#pragma warning restore CA2012
        });

        earlyRefused.Should().BeTrue("a receive that has not completed has no result to give, not a default one");
        staleStatusRefused.Should().BeTrue("the first receive ended: its token is stale");
        staleResultRefused.Should().BeTrue("a stale read must not take the next receive's item");
        (first, second).Should().Be((1, 2));
    }

    [Fact]
    public async Task Awaiting_a_receive_from_another_thread_is_refused()
    {
        var channel = await _owner.OnExecutor(() => new LocalChannel<int>(_owner, 1));
#pragma warning disable CA2012 // the ValueTask is handed to another thread on purpose: that is the misuse under test
        ValueTask<int> receive = await _owner.OnExecutor(() => channel.ReceiveAsync());

        Action register = () => receive.GetAwaiter().UnsafeOnCompleted(() => { });
#pragma warning restore CA2012

        register.Should().Throw<InvalidOperationException>("the channel's waits live on its owner's thread");
    }

    [Fact]
    public async Task A_token_that_already_fired_ends_a_waiting_send_or_receive_at_once_and_a_second_close_is_refused()
    {
        (bool receiveCanceled, bool sendCanceled, int count, bool closedAgain) = await _owner.OnExecutor(() =>
        {
            var channel = new LocalChannel<int>(1);
            using var fired = new CancellationTokenSource();
            fired.Cancel();
#pragma warning disable CA2012 // the status at once is what is tested: a cancelled ValueTask has nothing to consume
            bool receive = channel.ReceiveAsync(fired.Token).IsCanceled; // empty: it would wait
            channel.TrySend(1).Should().BeTrue();
            bool send = channel.SendAsync(2, fired.Token).IsCanceled;    // full: it would wait
#pragma warning restore CA2012
            int items = channel.Count;
            channel.Close().Should().BeTrue();
            return (receive, send, items, channel.Close());
        });

        receiveCanceled.Should().BeTrue("a receive with a cancelled token on an empty channel does not start a wait");
        sendCanceled.Should().BeTrue("a send with a cancelled token into a full channel does not start a wait");
        count.Should().Be(1, "neither took nor sent an item");
        closedAgain.Should().BeFalse("only the first Close closes the channel");
    }

    [Fact]
    public async Task A_token_cancelled_after_the_receive_began_but_before_it_was_awaited_ends_it_cancelled()
    {
        // The token is subscribed when the wait arms (on the first await): its callback then runs at once, ends the
        // wait, and the arming waiter must wake itself, since nobody else will.
        bool canceled = await _owner.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(1);
            using var source = new CancellationTokenSource();
            ValueTask<int> receive = channel.ReceiveAsync(source.Token); // waits: the channel is empty
            source.Cancel();
            return await CanceledWithinBound(receive);
        });

        canceled.Should().BeTrue("a receive whose token fired before its await ends cancelled, not never");
    }

    [Fact]
    public async Task A_receive_cancelled_from_between_two_waiting_receives_leaves_them_in_order()
    {
        (int first, int last, bool middleCanceled) = await _owner.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            using var middleToken = new CancellationTokenSource();
            LocalTask<int> a = ReceiveOnceAsync(channel, CancellationToken.None);
            LocalTask<int> b = ReceiveOnceAsync(channel, middleToken.Token);
            LocalTask<int> c = ReceiveOnceAsync(channel, CancellationToken.None);
            middleToken.Cancel(); // on the owner: b leaves the list from between a and c at once
            channel.TrySend(1).Should().BeTrue();
            channel.TrySend(2).Should().BeTrue();
            bool canceled = await CanceledWithinBound(b);
            return (await a.WithTimeout(Bound), await c.WithTimeout(Bound), canceled);
        });

        middleCanceled.Should().BeTrue();
        (first, last).Should().Be((1, 2), "the items go to the receives still waiting, in order");
    }

    [Fact]
    public async Task A_cancel_from_another_thread_that_arrives_after_its_wait_was_reused_leaves_the_next_receive_alone()
    {
        LocalChannel<int> channel = await _owner.OnExecutor(() => new LocalChannel<int>(_owner, 1));
        using var source = new CancellationTokenSource();
        using var firstWoken = new ManualResetEventSlim();
#pragma warning disable CA2012 // each ValueTask is read once, on the owner; they cross threads only as values
        ValueTask<int> first = await _owner.OnExecutor(() =>
        {
            ValueTask<int> receive = channel.ReceiveAsync(source.Token);
            receive.GetAwaiter().UnsafeOnCompleted(firstWoken.Set); // arms it: the token is subscribed
            return receive;
        });
        ValueTask<int> next = default;
        int firstItem = 0;

        // With the owner held: the first receive gets its item and ends, and the next receive reuses its wait, all before
        // the cancel of the first (handed to the owner from this thread) arrives.
        using (ExecutorHold hold = ExecutorHold.Of(_owner))
        {
            _owner.Post(() =>
            {
                channel.TrySend(8).Should().BeTrue();
                firstItem = first.Result;
                next = channel.ReceiveAsync(); // waits, on the recycled wait
            });
            source.Cancel();
            hold.Release();
        }

        (bool pending, int nextItem) = await _owner.OnExecutor(() =>
        {
            bool stillWaiting = !next.IsCompleted;
            channel.TrySend(9).Should().BeTrue();
            return (stillWaiting, next.IsCompletedSuccessfully ? next.Result : -1);
        });
#pragma warning restore CA2012

        firstItem.Should().Be(8);
        pending.Should().BeTrue("the late cancel belonged to the first receive, which had ended");
        nextItem.Should().Be(9);
    }

    [Fact]
    public async Task A_send_cancelled_on_the_owner_thread_leaves_the_list_and_is_not_delivered_when_room_comes()
    {
        (bool canceled, int[] items) = await _owner.RunAsync(async () =>
        {
            var channel = new LocalChannel<int>(2);
            channel.TrySend(1).Should().BeTrue();
            channel.TrySend(2).Should().BeTrue();
            using var source = new CancellationTokenSource();
            LocalTask send = SendOnceAsync(channel, 3, source.Token); // waits: the channel is full
            source.Cancel();
            bool ended;
            try
            {
                await send.WithTimeout(Bound);
                ended = false;
            }
            catch (OperationCanceledException)
            {
                ended = true;
            }

            var received = new List<int>();
            while (channel.TryReceive(out int item))
            {
                received.Add(item);
            }

            return (ended, received.ToArray());
        });

        canceled.Should().BeTrue();
        items.Should().Equal([1, 2], "the cancelled send's item never entered, not even when room came");
    }

    [Fact]
    public async Task A_cancel_from_another_thread_that_arrives_after_the_item_loses_to_it()
    {
        LocalChannel<int> channel = await _owner.OnExecutor(() => new LocalChannel<int>(_owner, 1));
        using var source = new CancellationTokenSource();
        LocalTask<int> receive = await _owner.OnExecutor(() => ReceiveOnceAsync(channel, source.Token));

        // With the owner held, the send is queued first and the cancel (handed to the owner, whose lists it touches)
        // behind it: the receive has its item when the cancel arrives.
        using (ExecutorHold hold = ExecutorHold.Of(_owner))
        {
            _owner.Post(() => channel.TrySend(8).Should().BeTrue());
            source.Cancel();
            hold.Release();
        }

        (await receive.AsTask().WaitAsync(Bound)).Should().Be(8, "the item was handed over before the cancel arrived");
        (await _owner.OnExecutor(() => channel.Count)).Should().Be(0);
    }

    [Fact]
    public async Task A_finished_wait_leaves_nothing_registered_on_a_long_lived_token()
    {
        // An application-lifetime token passed to every receive: each wait must take its callback back when it ends, or
        // the token keeps every channel it ever saw alive (and its callback list grows with each wait).
        using var lifetime = new CancellationTokenSource();
        WeakReference channel = await _owner.OnExecutor(() => ReceiveOnceWith(_owner, lifetime.Token));
        await _owner.OnExecutor(() => { }); // the receive's posted continuation has run

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        channel.IsAlive.Should().BeFalse("nothing but the token could still reach the dropped channel");
    }

    private static bool Refused(Action misuse)
    {
        try
        {
            misuse();
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static LocalTask<bool> CanceledWithinBound(ValueTask<int> receive) => CanceledWithinBound(AwaitOnce(receive));

    private static async LocalTask<bool> CanceledWithinBound(LocalTask<int> receive)
    {
        try
        {
            await receive.WithTimeout(Bound);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    private static async LocalTask<int> AwaitOnce(ValueTask<int> receive) => await receive;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference ReceiveOnceWith(LocalExecutor owner, CancellationToken token)
    {
        var channel = new LocalChannel<int>(owner, 1);
#pragma warning disable CA2012 // registers, then reads the result, as an awaiter does: without a state machine to keep the channel
        ValueTask<int> receive = channel.ReceiveAsync(token);
        receive.GetAwaiter().UnsafeOnCompleted(() => { }); // arms the wait: the token is subscribed now
        channel.TrySend(1).Should().BeTrue();
        receive.Result.Should().Be(1); // ends the wait
#pragma warning restore CA2012
        return new WeakReference(channel);
    }

    private static async LocalTask SendOnceAsync(LocalChannel<int> channel, int item, CancellationToken cancellationToken) =>
        await channel.SendAsync(item, cancellationToken);

    private static async LocalTask<int> ReceiveOnceAsync(LocalChannel<int> channel, CancellationToken cancellationToken) =>
        await channel.ReceiveAsync(cancellationToken);

    private static async LocalTask<Type?> ErrorOf(LocalTask task)
    {
        try
        {
            await task.WithTimeout(Bound);
            return null;
        }
        catch (Exception exception)
        {
            return exception.GetType();
        }
    }

    private static int[] Drain(LocalChannel<int> channel)
    {
        var items = new List<int>();
        while (channel.TryReceive(out int item))
        {
            items.Add(item);
        }

        return items.ToArray();
    }
}
