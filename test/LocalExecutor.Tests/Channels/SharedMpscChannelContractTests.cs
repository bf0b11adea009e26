using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Channels;
using Xunit;
using static ThreadPerCore.Tests.Channels.ExecutorExtensions;

namespace ThreadPerCore.Tests.Channels;

// These tests drive the IValueTaskSource contract itself (status before the result, a stale token) step by step.
#pragma warning disable CA2012, xUnit1031

/// <summary>
/// What a <see cref="SharedMpscChannel{T}"/> promises beyond moving items, each found missing by mutation testing
/// (docs/testing.md): a raw task's send that was given room delivers its item exactly once, the single consumer is
/// enforced on every receive, received items are not kept alive, a waiting send's <see cref="ValueTask"/> reports
/// success (or, once the close refused it, failure) before it is awaited and refuses a stale token, and a close refuses
/// a waiting raw task's send.
/// </summary>
public sealed class SharedMpscChannelContractTests : IAsyncLifetime, IDisposable
{
    private readonly LocalExecutorPool _pool = new(PoolPlacement.Unbound(2));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    public void Dispose() => _pool.Dispose();

    [Fact]
    public async Task A_waiting_local_task_send_that_is_given_room_delivers_its_item_exactly_once()
    {
        var channel = new SharedMpscChannel<int>(2);
        LocalTask<bool> send = await FillAndWaitToSendThreeAsync(channel);

        // The consumer's receive reserves the room it makes for the waiting raw task, which puts its item there when it
        // resumes on its own executor.
        channel.TryReceive(out int first).Should().BeTrue();
        first.Should().Be(1);
        (await send.AsTask().WaitAsync(Bound)).Should().BeTrue();

        channel.TryReceive(out int second).Should().BeTrue();
        channel.TryReceive(out int third).Should().BeTrue("the send reported success, so its item is in the channel");
        (second, third).Should().Be((2, 3));
        channel.TryReceive(out _).Should().BeFalse("the item was delivered once");
        channel.Count.Should().Be(0);
    }

    [Theory]
    [InlineData("TryReceive")]
    [InlineData("ReceiveAsync")]
    public async Task Every_receive_refuses_a_second_consumer_naming_the_side(string entry)
    {
        var channel = new SharedMpscChannel<int>(4);
        channel.TrySend(1).Should().BeTrue(); // items there, so a receive that got through would not wait
        channel.TrySend(2).Should().BeTrue();
        channel.TryReceive(out _).Should().BeTrue(); // the test thread is the consumer now

        Func<Task> fromAnExecutor = entry == "TryReceive"
            ? () => _pool[0].RunAsync(() => Task.FromResult(channel.TryReceive(out _)))
            : () => _pool[0].RunAsync(async () => await channel.ReceiveAsync());

        (await fromAnExecutor.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should()
            .Contain("receiving side of this SharedMpscChannel").And.Contain(_pool[0].Name).And.Contain("single consumer");
        channel.Count.Should().Be(1, "the refused receive took nothing");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData((1 << 30) + 1)]
    public void A_capacity_outside_2_to_2_to_the_30_is_refused_naming_it(int capacity)
    {
        Action create = () => _ = new SharedMpscChannel<int>(capacity);

        create.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("capacity");
    }

    [Fact]
    public void Only_the_call_that_closed_the_channel_says_so()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.IsClosed.Should().BeFalse("an open channel holding an item is not closed");

        channel.Close().Should().BeTrue();
        channel.Close().Should().BeFalse("the channel was already closed");
        channel.IsClosed.Should().BeTrue();
    }

    [Fact]
    public void A_received_item_is_not_kept_alive_by_the_channel()
    {
        var channel = new SharedMpscChannel<object>(4);
        WeakReference sent = SendAndReceive(channel);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        sent.IsAlive.Should().BeFalse("the ring clears a slot once its item is received");
    }

    [Fact]
    public void A_waiting_send_reports_success_once_served_and_refuses_a_stale_token()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(9).Should().BeTrue();
        ValueTask send = channel.SendAsync(2);
        send.IsCompleted.Should().BeFalse("the channel is full");
        using var woken = new ManualResetEventSlim();
        send.GetAwaiter().UnsafeOnCompleted(woken.Set); // as an await does

        channel.TryReceive(out int first).Should().BeTrue();
        first.Should().Be(1);
        woken.Wait(Bound).Should().BeTrue("the room the receive made serves the waiting send");
        send.IsCompletedSuccessfully.Should().BeTrue("the status an awaiter reads after its continuation ran");

        // Before the result is taken: only a raw task's send fills its room itself; this one was filled when served.
        channel.TryReceive(out int nine).Should().BeTrue();
        nine.Should().Be(9);
        channel.TryReceive(out int second).Should().BeTrue();
        second.Should().Be(2);
        send.GetAwaiter().GetResult();
        bool completed = false;
        Action status = () => completed = send.IsCompleted;
        status.Should().Throw<InvalidOperationException>("a ValueTask may be awaited once");
        Action again = () => send.GetAwaiter().GetResult();
        again.Should().Throw<InvalidOperationException>();
        completed.Should().BeFalse();
        channel.Count.Should().Be(0, "nothing more was sent");
    }

    [Fact]
    public async Task A_waiting_local_task_send_fails_as_closed_when_the_channel_closes_and_sends_nothing()
    {
        var channel = new SharedMpscChannel<int>(2);
        LocalTask<bool> send = await FillAndWaitToSendThreeAsync(channel);

        channel.Close().Should().BeTrue();

        // Room is reserved only for a send served while the channel is open; the close refuses this one.
        await FluentActions.Awaiting(() => send.AsTask().WaitAsync(Bound)).Should().ThrowAsync<ChannelClosedException>();
        channel.TryReceive(out int first).Should().BeTrue();
        channel.TryReceive(out int second).Should().BeTrue();
        (first, second).Should().Be((1, 2));
        channel.TryReceive(out _).Should().BeFalse("the refused send put nothing in the channel");
    }

    [Fact]
    public void A_waiting_send_reports_faulted_once_the_close_refuses_it()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();
        ValueTask send = channel.SendAsync(3);
        using var woken = new ManualResetEventSlim();
        send.GetAwaiter().UnsafeOnCompleted(woken.Set); // as an await does

        channel.Close().Should().BeTrue();

        woken.Wait(Bound).Should().BeTrue("the close ends the waiting send");
        send.IsFaulted.Should().BeTrue("the status an awaiter reads after its continuation ran");
        Action result = () => send.GetAwaiter().GetResult();
        result.Should().Throw<ChannelClosedException>();
    }

    [Fact]
    public void Sends_cancelled_in_the_middle_and_at_the_end_of_the_wait_list_leave_the_others_in_order_and_are_not_sent()
    {
        var channel = new SharedMpscChannel<int>(2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();
        using var middleToken = new CancellationTokenSource();
        using var lastToken = new CancellationTokenSource();
        ValueTask first = channel.SendAsync(3);
        ValueTask middle = channel.SendAsync(4, middleToken.Token);
        ValueTask last = channel.SendAsync(5, lastToken.Token);
        ValueTask after = channel.SendAsync(6);
        ValueTask[] sends = [first, middle, last, after];
        ManualResetEventSlim[] woken = Array.ConvertAll(sends, CrossCoreSendTests.AwaitWithoutTakingTheResult);

        middleToken.Cancel(); // taken out from between two waits
        lastToken.Cancel();   // then the one whose neighbour that was

        channel.WaitingSenders.Should().Be(2);
        var received = new System.Collections.Generic.List<int>();
        while (channel.TryReceive(out int item))
        {
            received.Add(item);
        }

        received.Should().Equal([1, 2, 3, 6], "each receive serves the next send still waiting; the cancelled ones are gone");
        Array.ForEach(woken, w => w.Wait(Bound).Should().BeTrue("every send ended"));
        middle.IsCanceled.Should().BeTrue();
        last.IsCanceled.Should().BeTrue();
        first.IsCompletedSuccessfully.Should().BeTrue();
        after.IsCompletedSuccessfully.Should().BeTrue();
        channel.WaitingSenders.Should().Be(0);
        Array.ForEach(woken, w => w.Dispose());
    }

    /// <summary>Fills the channel with 1 and 2, and starts a raw task on the second executor whose send of 3 waits for
    /// room; returns once that task has registered with the wait.</summary>
    [Fact]
    public async Task A_local_task_send_served_before_it_awaits_succeeds_while_the_serving_thread_has_not_signalled_it_yet()
    {
        // The window: the serving thread has taken the send out of the list and published its item, and has not signalled
        // it yet, when the send's raw task first awaits it. The task must go on with the outcome it finds, not wait for
        // the signal or fail. The serving thread is held inside the window by the wake it gives the consumer on the way:
        // the consumer's receive continuation is posted to a context whose Post blocks.
        var channel = new SharedMpscChannel<int>(2);
        LocalTask<bool> three = await FillAndWaitToSendThreeAsync(channel);
        using (ExecutorHold hold = ExecutorHold.Of(_pool[1]))
        {
            channel.TryReceive(out _).Should().BeTrue(); // room for 3 at position 2, reserved: its held task fills it
            channel.TryReceive(out _).Should().BeTrue();
            channel.TrySend(4).Should().BeTrue(); // position 3; the ring is full again behind the reserved position

            using var enqueued = new ManualResetEventSlim();
            using var awaitNow = new ManualResetEventSlim();
            LocalTask<bool> five = _pool[0].Start(() => SendThenAwaitAsync(channel, 5, enqueued, awaitNow));
            enqueued.Wait(Bound).Should().BeTrue("the send of 5 waits for room, not awaited yet");

            using var context = new BlockingPostContext();
            ValueTask<int> receive = ReceiveWithContinuationOn(channel, context, out TaskCompletionSource<int> received);
            Until(() => channel.IsReceiverWaiting, "the receive waits at the reserved position");

            three.Cancel();
            hold.Release(); // 3's cancel gives its position up; that serves the send of 5 and wakes the receive, whose Post blocks
            context.Entered.Wait(Bound).Should().BeTrue("the serving thread wakes the receive before it signals the send of 5");

            awaitNow.Set();
            (await five.AsTask().WaitAsync(Bound)).Should().BeTrue("the send of 5 was served: its task succeeds without the signal");

            context.Release();
            (await received.Task.WaitAsync(Bound)).Should().Be(4, "the receive skips the hole of 3");
            _ = receive;
        }

        channel.TryReceive(out int last).Should().BeTrue();
        last.Should().Be(5);
        channel.Count.Should().Be(0, "5 was delivered once");
        three.IsCanceled.Should().BeTrue();
    }

    [Fact]
    public async Task A_cancelled_local_task_send_whose_wait_was_dropped_and_reused_leaves_the_next_send_alone()
    {
        // A cancelled raw task withdraws its send after its completion is published. In between, the channel may drop
        // the abandoned wait and pool it, and another send may take it: the late withdrawal must see the wait is no
        // longer its own. Held open on the task's executor by a callback that runs inline as the completion is published.
        var channel = new SharedMpscChannel<int>(2);
        LocalTask<bool> three = await FillAndWaitToSendThreeAsync(channel);
        ValueTask five = default;
        three.OnCompletedInline(state =>
        {
            channel.TryReceive(out _).Should().BeTrue(); // room: the abandoned send of 3 at the head is dropped and pooled
            channel.TrySend(4).Should().BeTrue();
            five = channel.SendAsync(5); // the channel is full again: this send waits, in the pooled wait
        }, null);

        three.Cancel();
        Func<Task> awaitThree = () => three.AsTask().WaitAsync(Bound);
        await awaitThree.Should().ThrowAsync<OperationCanceledException>();

        channel.WaitingSenders.Should().Be(1, "the send of 5 still waits: the withdrawal of 3 came after its wait was reused");
        int[] received = await _pool[1].OnExecutor(() => new[] { channel.TryReceive(out int a) ? a : -1, channel.TryReceive(out int b) ? b : -1, channel.TryReceive(out int c) ? c : -1 });
        received.Should().Equal(2, 4, 5);
        five.IsCompletedSuccessfully.Should().BeTrue("the send of 5 was given room and delivered");
    }

    private async Task<LocalTask<bool>> FillAndWaitToSendThreeAsync(SharedMpscChannel<int> channel)
    {
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();
        LocalTask<bool> send = _pool[1].Start(() => SharedMpscChannelTests.SendOnceAsync(channel, 3));
        Until(() => channel.WaitingSenders == 1, "the send of 3 waits for room");
        await _pool[1].OnExecutor(() => { }); // after the poll that started the send: its task has registered with it
        return send;
    }

    private static async LocalTask<bool> SendThenAwaitAsync(SharedMpscChannel<int> channel, int item, ManualResetEventSlim enqueued, ManualResetEventSlim awaitNow)
    {
        ValueTask send = channel.SendAsync(item);
        enqueued.Set();
        awaitNow.Wait(Bound); // the task's own code between starting the send and awaiting it: the window under test
        await send;
        return true;
    }

    /// <summary>Starts a receive and awaits it with a continuation captured on <paramref name="context"/>, as an await
    /// under that context would.</summary>
    private static ValueTask<int> ReceiveWithContinuationOn(SharedMpscChannel<int> channel, SynchronizationContext context, out TaskCompletionSource<int> received)
    {
        SynchronizationContext? previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            var result = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            ValueTask<int> receive = channel.ReceiveAsync();
            ValueTaskAwaiter<int> awaiter = receive.GetAwaiter();
            awaiter.OnCompleted(() => result.SetResult(awaiter.GetResult()));
            received = result;
            return receive;
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>A context whose Post holds the posting thread until released, then runs the callback there.</summary>
    private sealed class BlockingPostContext : SynchronizationContext, IDisposable
    {
        private readonly ManualResetEventSlim _release = new();

        public ManualResetEventSlim Entered { get; } = new();

        public void Release() => _release.Set();

        public override void Post(SendOrPostCallback d, object? state)
        {
            Entered.Set();
            _release.Wait(Bound);
            d(state);
        }

        public void Dispose()
        {
            _release.Set();
            _release.Dispose();
            Entered.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SendAndReceive(SharedMpscChannel<object> channel)
    {
        var item = new object();
        channel.TrySend(item).Should().BeTrue();
        channel.TryReceive(out object? received).Should().BeTrue();
        received.Should().BeSameAs(item);
        return new WeakReference(item);
    }
}
