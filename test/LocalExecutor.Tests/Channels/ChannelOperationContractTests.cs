using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Channels;
using Xunit;
using static ThreadPerCore.Tests.Channels.ExecutorExtensions;

namespace ThreadPerCore.Tests.Channels;

// These tests drive the IValueTaskSource contract itself (continuations registered twice, a stale token).
#pragma warning disable CA2012, xUnit1031

/// <summary>
/// What the cross-core channels' waits (<c>ChannelOperation</c>) promise an awaiter, found missing by mutation testing
/// (docs/testing.md): a continuation registered to flow its execution context runs in it (its
/// <see cref="AsyncLocal{T}"/> values), and a wait refuses a second continuation and a stale token.
/// </summary>
public sealed class ChannelOperationContractTests
{
    private static readonly AsyncLocal<int> s_flowing = new();

    [Fact]
    public void A_continuation_registered_with_OnCompleted_runs_in_the_execution_context_it_was_registered_in()
    {
        // OnCompleted (not UnsafeOnCompleted) asks the source to flow the context: what a custom awaiter or combinator
        // relies on (an async method restores its own context, so it would not notice).
        var channel = new SharedChannel<int>(1);
        ValueTask<int> receive = channel.ReceiveAsync(); // waits: the channel is empty
        int seen = -1;
        using var ran = new ManualResetEventSlim();
        s_flowing.Value = 7;
        receive.GetAwaiter().OnCompleted(() =>
        {
            seen = s_flowing.Value;
            ran.Set();
        });
        s_flowing.Value = 0;

        channel.TrySend(42).Should().BeTrue(); // wakes the continuation on the thread pool

        ran.Wait(Bound).Should().BeTrue("the send wakes the receive's continuation");
        seen.Should().Be(7, "the continuation runs in the execution context captured when it was registered");
        receive.Result.Should().Be(42);
    }

    [Fact]
    public void A_wait_refuses_a_second_continuation_and_a_stale_token()
    {
        var channel = new SharedChannel<int>(1);
        ValueTask<int> receive = channel.ReceiveAsync();
        using var woken = new ManualResetEventSlim();
        receive.GetAwaiter().UnsafeOnCompleted(woken.Set);

        Action second = () => receive.GetAwaiter().UnsafeOnCompleted(() => { });
        second.Should().Throw<InvalidOperationException>("one continuation per wait");

        channel.TrySend(1).Should().BeTrue();
        woken.Wait(Bound).Should().BeTrue();
        receive.Result.Should().Be(1);

        Action stale = () => receive.GetAwaiter().UnsafeOnCompleted(() => { });
        stale.Should().Throw<InvalidOperationException>("the wait ended: its token is stale");
    }
}
