using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;
using static ThreadPerCore.Tests.Channels.ExecutorExtensions;

namespace ThreadPerCore.Tests.Channels;

// These tests drive the IValueTaskSource contract itself (the status before the result, an early result).
#pragma warning disable CA2012, xUnit1031

/// <summary>
/// What a send into a full cross-core channel reports, on either kind (found missing for <c>SharedMpscChannel</c> by
/// mutation testing, docs/testing.md): a token that already fired ends it at once, a token that fires while it waits
/// makes its status Canceled before anybody takes the result, and a result asked for before the send ended is refused
/// without ending it. In every case a cancelled item is not sent.
/// </summary>
public sealed class CrossCoreSendTests
{
    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public void A_send_whose_token_already_fired_ends_cancelled_at_once_and_sends_nothing(string kind)
    {
        CrossCoreChannel channel = Full(kind);
        using var fired = new CancellationTokenSource();
        fired.Cancel();

        ValueTask send = channel.SendWith(3, fired.Token);

        send.IsCanceled.Should().BeTrue("a send with a cancelled token into a full channel does not start a wait");
        channel.TryReceive(out int first).Should().BeTrue();
        channel.TryReceive(out int second).Should().BeTrue();
        (first, second).Should().Be((1, 2));
        channel.TryReceive(out _).Should().BeFalse("the cancelled item was not sent when room came");
    }

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public void A_waiting_send_reports_cancelled_when_its_token_fires(string kind)
    {
        CrossCoreChannel channel = Full(kind);
        using var cts = new CancellationTokenSource();
        ValueTask send = channel.SendWith(3, cts.Token);
        using ManualResetEventSlim woken = AwaitWithoutTakingTheResult(send);

        cts.Cancel();

        woken.Wait(Bound).Should().BeTrue("the cancel wakes the send's continuation");
        send.IsCanceled.Should().BeTrue("the status an awaiter reads after its continuation ran");
        Action result = () => send.GetAwaiter().GetResult();
        result.Should().Throw<OperationCanceledException>();
        channel.Count().Should().Be(2, "the cancelled item was not sent");
    }

    [Theory]
    [MemberData(nameof(CrossCoreChannel.Kinds), MemberType = typeof(CrossCoreChannel))]
    public void A_send_asked_for_its_result_before_it_ended_throws_and_still_sends(string kind)
    {
        CrossCoreChannel channel = Full(kind);
        ValueTask send = channel.SendWith(3, CancellationToken.None);

        Action early = () => send.GetAwaiter().GetResult();
        early.Should().Throw<InvalidOperationException>("the channel is full: the send has not ended");

        using ManualResetEventSlim woken = AwaitWithoutTakingTheResult(send);
        channel.TryReceive(out int first).Should().BeTrue();
        first.Should().Be(1);
        woken.Wait(Bound).Should().BeTrue("the early read left the wait in place, and the room serves it");
        send.GetAwaiter().GetResult();
        channel.TryReceive(out int second).Should().BeTrue();
        channel.TryReceive(out int third).Should().BeTrue();
        (second, third).Should().Be((2, 3));
    }

    /// <summary>A channel of the kind with room for two items, holding 1 and 2.</summary>
    private static CrossCoreChannel Full(string kind)
    {
        CrossCoreChannel channel = CrossCoreChannel.Create(kind, capacity: 2);
        channel.TrySend(1).Should().BeTrue();
        channel.TrySend(2).Should().BeTrue();
        return channel;
    }

    /// <summary>Registers a continuation the way an await does (which arms the wait and subscribes to its token), and
    /// leaves the result to the test.</summary>
    internal static ManualResetEventSlim AwaitWithoutTakingTheResult(ValueTask operation)
    {
        var woken = new ManualResetEventSlim();
        operation.IsCompleted.Should().BeFalse("the operation must wait for this test to mean anything");
        operation.GetAwaiter().UnsafeOnCompleted(woken.Set);
        return woken;
    }
}
