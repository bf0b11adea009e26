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

// These tests drive the IValueTaskSource contract itself (status and result before and after completion, a stale
// token), step by step on one thread; awaiting would hide what they look at.
#pragma warning disable CA2012, xUnit1031

/// <summary>
/// What a <see cref="SharedChannel{T}"/> promises beyond moving items, each found missing by mutation testing
/// (docs/testing.md): every entry point refuses a second executor, the capacity is checked, items are not kept alive
/// after they left, and a waiting operation's <see cref="ValueTask"/> reports its status and refuses reuse as the
/// <c>IValueTaskSource</c> contract says. The sides are used from the test thread (bound to "no executor"), so each
/// step runs in order with no scheduling in between.
/// </summary>
public sealed class SharedChannelContractTests : IAsyncLifetime, IDisposable
{
    private readonly LocalExecutorPool _pool = new(PoolPlacement.Unbound(2));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    public void Dispose() => _pool.Dispose();

    [Theory]
    [InlineData("TrySend", "sending")]
    [InlineData("SendAsync", "sending")]
    [InlineData("TryReceive", "receiving")]
    [InlineData("ReceiveAsync", "receiving")]
    public async Task Every_entry_point_refuses_a_second_executor_naming_the_side_both_executors_and_the_alternative(string entry, string side)
    {
        var channel = new SharedChannel<int>(4);
        channel.TrySend(1).Should().BeTrue(); // items for the receives, so none of them waits (a refused one must fail by
        channel.TrySend(2).Should().BeTrue(); // the assertion, not by waiting forever)
        Func<Task> use = entry switch
        {
            "TrySend" => () => _pool[0].RunAsync(() => Task.FromResult(channel.TrySend(2))),
            "SendAsync" => () => _pool[0].RunAsync(async () => await channel.SendAsync(2)),
            "TryReceive" => () => _pool[0].RunAsync(() => Task.FromResult(channel.TryReceive(out _))),
            _ => () => _pool[0].RunAsync(async () => await channel.ReceiveAsync()),
        };
        Func<Task> useFromAnother = entry switch
        {
            "TrySend" => () => _pool[1].RunAsync(() => Task.FromResult(channel.TrySend(3))),
            "SendAsync" => () => _pool[1].RunAsync(async () => await channel.SendAsync(3)),
            "TryReceive" => () => _pool[1].RunAsync(() => Task.FromResult(channel.TryReceive(out _))),
            _ => () => _pool[1].RunAsync(async () => await channel.ReceiveAsync()),
        };

        // The test thread used the sending side first (TrySend above): a send from an executor is a second user too.
        if (side == "sending")
        {
            (await use.Should().ThrowAsync<InvalidOperationException>())
                .Which.Message.Should().Contain($"{side} side of this SharedChannel").And.Contain("threads outside any executor")
                .And.Contain(_pool[0].Name).And.Contain("SharedMpscChannel");
            return;
        }

        await use(); // binds the receiving side to the first executor
        (await useFromAnother.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should()
            .Contain($"{side} side of this SharedChannel").And.Contain(_pool[0].Name).And.Contain(_pool[1].Name)
            .And.Contain("SharedMpscChannel");
        Action fromOutside = () => channel.TryReceive(out _);
        fromOutside.Should().Throw<InvalidOperationException>().Which.Message.Should()
            .Contain(_pool[0].Name).And.Contain("a thread outside any executor", "the message names the thread that broke the rule too");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData((1 << 30) + 1)]
    public void A_capacity_outside_1_to_2_to_the_30_is_refused_naming_it(int capacity)
    {
        Action create = () => _ = new SharedChannel<int>(capacity);

        create.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("capacity");
    }

    [Fact]
    public void A_received_item_is_not_kept_alive_by_the_channel()
    {
        var channel = new SharedChannel<object>(4);
        WeakReference sent = SendAndReceive(channel);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        sent.IsAlive.Should().BeFalse("the ring clears a slot once its item is received");
    }

    [Fact]
    public void A_send_that_waited_for_room_keeps_its_item_no_longer_than_until_it_is_received()
    {
        var channel = new SharedChannel<object>(1);
        WeakReference sent = SendAfterWaitingThenReceive(channel);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        sent.IsAlive.Should().BeFalse("the send's operation drops its item once the item is in the ring");
    }

    [Fact]
    public void A_cancelled_waiting_send_does_not_keep_its_item_alive()
    {
        var channel = new SharedChannel<object>(1);
        WeakReference sent = CancelAWaitingSend(channel);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        sent.IsAlive.Should().BeFalse("a cancelled send drops the item it never sent");
        channel.Count.Should().Be(1, "only the filler is in the channel");
    }

    [Fact]
    public void A_waiting_send_reports_success_once_there_is_room_and_refuses_to_be_awaited_twice()
    {
        var channel = new SharedChannel<int>(1);
        channel.TrySend(1).Should().BeTrue();
        ValueTask send = channel.SendAsync(2);
        send.IsCompleted.Should().BeFalse("the channel is full");

        channel.TryReceive(out int first).Should().BeTrue();
        first.Should().Be(1);
        send.IsCompletedSuccessfully.Should().BeTrue("there is room now, so the send's status is success before it is awaited");
        send.GetAwaiter().GetResult();
        channel.TryReceive(out int second).Should().BeTrue();
        second.Should().Be(2);

        // The operation serves the next wait now: the old ValueTask's token is stale, and the channel has room, so a
        // second result taken from it would send again.
        bool completed = false;
        Action status = () => completed = send.IsCompleted;
        status.Should().Throw<InvalidOperationException>("a ValueTask may be awaited once");
        Action again = () => send.GetAwaiter().GetResult();
        again.Should().Throw<InvalidOperationException>("getting the result twice would send a second item");
        completed.Should().BeFalse();
        channel.Count.Should().Be(0, "nothing more was sent");
    }

    [Fact]
    public void A_waiting_send_reports_faulted_when_the_channel_closes()
    {
        var channel = new SharedChannel<int>(1);
        channel.TrySend(1).Should().BeTrue();
        ValueTask send = channel.SendAsync(2);

        channel.Close();

        send.IsFaulted.Should().BeTrue("the channel closed under the waiting send");
        Action result = () => send.GetAwaiter().GetResult();
        result.Should().Throw<ChannelClosedException>();
    }

    [Fact]
    public void A_waiting_receive_reports_success_once_an_item_is_there()
    {
        var channel = new SharedChannel<int>(4);
        ValueTask<int> receive = channel.ReceiveAsync();
        receive.IsCompleted.Should().BeFalse("the channel is empty");

        channel.TrySend(42).Should().BeTrue();

        receive.IsCompletedSuccessfully.Should().BeTrue("an item is there, so the receive's status is success before it is awaited");
        receive.Result.Should().Be(42);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SendAndReceive(SharedChannel<object> channel)
    {
        var item = new object();
        channel.TrySend(item).Should().BeTrue();
        channel.TryReceive(out object? received).Should().BeTrue();
        received.Should().BeSameAs(item);
        return new WeakReference(item);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SendAfterWaitingThenReceive(SharedChannel<object> channel)
    {
        channel.TrySend("filler").Should().BeTrue();
        var item = new object();
        ValueTask send = channel.SendAsync(item);
        channel.TryReceive(out _).Should().BeTrue();
        Until(() => send.IsCompleted, "the send to see the room");
        send.GetAwaiter().GetResult();
        channel.TryReceive(out object? received).Should().BeTrue();
        received.Should().BeSameAs(item);
        return new WeakReference(item);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CancelAWaitingSend(SharedChannel<object> channel)
    {
        channel.TrySend("filler").Should().BeTrue();
        var item = new object();
        using var cts = new CancellationTokenSource();
        ValueTask send = channel.SendAsync(item, cts.Token);
        using ManualResetEventSlim woken = CrossCoreSendTests.AwaitWithoutTakingTheResult(send);
        cts.Cancel();
        woken.Wait(Bound).Should().BeTrue("the cancel wakes the send's continuation");
        Action result = () => send.GetAwaiter().GetResult();
        result.Should().Throw<OperationCanceledException>();
        return new WeakReference(item);
    }
}
