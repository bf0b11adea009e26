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
/// <see cref="AsyncLocal{T}"/> values), an await resumes on the executor it started on unless it said
/// <c>ConfigureAwait(false)</c>, a token reaches only the wait it was given to, and a wait refuses a second
/// continuation and a stale token.
/// </summary>
public sealed class ChannelOperationContractTests
{
    private static readonly AsyncLocal<int> s_flowing = new();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_continuation_runs_in_the_registering_execution_context_only_when_registered_with_OnCompleted(bool flow)
    {
        // OnCompleted asks the source to flow the context: what a custom awaiter or combinator relies on (an async method
        // restores its own context, so it would not notice). UnsafeOnCompleted asks for no flow: capturing it anyway would
        // cost a capture per wait and leak the registering code's AsyncLocal values into a thread-pool continuation.
        var channel = new SharedChannel<int>(1);
        ValueTask<int> receive = channel.ReceiveAsync(); // waits: the channel is empty
        int seen = -1;
        using var ran = new ManualResetEventSlim();
        Action continuation = () =>
        {
            seen = s_flowing.Value;
            ran.Set();
        };
        s_flowing.Value = 7;
        if (flow)
        {
            receive.GetAwaiter().OnCompleted(continuation);
        }
        else
        {
            receive.GetAwaiter().UnsafeOnCompleted(continuation);
        }

        s_flowing.Value = 0;

        channel.TrySend(42).Should().BeTrue(); // wakes the continuation on the thread pool

        ran.Wait(Bound).Should().BeTrue("the send wakes the receive's continuation");
        seen.Should().Be(flow ? 7 : 0, flow
            ? "the continuation runs in the execution context captured when it was registered"
            : "the continuation runs in the thread pool's own context, not the one it was registered in");
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

    [Fact]
    public async Task An_await_resumes_on_its_executor_and_with_ConfigureAwait_false_off_it()
    {
        // Each receive waits on its own channel, so the test sends only once that receive is known to wait: an item
        // already there would complete the await synchronously, on the executor, and hide where a wake goes.
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "channel-awaiter" });
        var first = new SharedChannel<int>(1);
        var second = new SharedChannel<int>(1);
        Task<(bool FirstOnExecutor, bool SecondOnExecutor)> body = executor.Spawn(async Task<(bool, bool)> () =>
        {
            int owner = Environment.CurrentManagedThreadId;
            await first.ReceiveAsync();
            bool firstOnExecutor = Environment.CurrentManagedThreadId == owner;
            await second.ReceiveAsync().ConfigureAwait(false);
            return (firstOnExecutor, Environment.CurrentManagedThreadId == owner);
        }).AsTask();

        Until(() => first.IsReceiverWaiting, "the first receive waits");
        first.TrySend(1).Should().BeTrue(); // the wake comes from this thread
        Until(() => second.IsReceiverWaiting, "the second receive waits");
        second.TrySend(2).Should().BeTrue();

        (bool firstOnExecutor, bool secondOnExecutor) = await body.WaitAsync(Bound);
        firstOnExecutor.Should().BeTrue("an await captures the executor's context and resumes there");
        secondOnExecutor.Should().BeFalse("ConfigureAwait(false) asks for no scheduling context: the continuation runs on the thread pool");
    }

    [Fact]
    public void A_token_given_to_a_finished_receive_does_not_cancel_the_next_one()
    {
        // The channel reuses its receive operation: the first wait's cancellation registration must end with it.
        var channel = new SharedChannel<int>(1);
        using var source = new CancellationTokenSource();
        ValueTask<int> first = channel.ReceiveAsync(source.Token);
        using var firstWoken = new ManualResetEventSlim();
        first.GetAwaiter().UnsafeOnCompleted(firstWoken.Set);
        channel.TrySend(1).Should().BeTrue();
        firstWoken.Wait(Bound).Should().BeTrue();
        first.Result.Should().Be(1);

        ValueTask<int> next = channel.ReceiveAsync(); // no token
        using var nextWoken = new ManualResetEventSlim();
        next.GetAwaiter().UnsafeOnCompleted(nextWoken.Set);
        source.Cancel(); // runs any callback still registered on this thread, before returning

        next.IsCompleted.Should().BeFalse("the token belonged to the first receive, which had ended");
        channel.TrySend(2).Should().BeTrue();
        nextWoken.Wait(Bound).Should().BeTrue();
        next.Result.Should().Be(2);
    }

    [Fact]
    public void A_finished_receive_refuses_its_stale_token_and_leaves_the_next_item_to_the_next_receive()
    {
        var channel = new SharedChannel<int>(2);
        ValueTask<int> receive = channel.ReceiveAsync();
        using var woken = new ManualResetEventSlim();
        receive.GetAwaiter().UnsafeOnCompleted(woken.Set);
        channel.TrySend(1).Should().BeTrue();
        woken.Wait(Bound).Should().BeTrue("the send wakes the receive");
        receive.Result.Should().Be(1);

        channel.TrySend(2).Should().BeTrue();
        Func<bool> status = () => receive.IsCompleted;
        status.Should().Throw<InvalidOperationException>("the wait ended: asking its status with its token is a misuse");
        Func<int> result = () => receive.Result;
        result.Should().Throw<InvalidOperationException>("a second read of a finished receive must not take the next item");
        channel.TryReceive(out int next).Should().BeTrue();
        next.Should().Be(2);

        ValueTask<int> following = channel.ReceiveAsync(); // the same operation serves the next wait
        status.Should().Throw<InvalidOperationException>("a stale token stays stale while the next wait is pending");
        result.Should().Throw<InvalidOperationException>();
        channel.TrySend(3).Should().BeTrue();
        following.IsCompletedSuccessfully.Should().BeTrue("the item went to the current wait");
        following.Result.Should().Be(3);
    }

    [Fact]
    public void A_receive_asked_for_its_result_before_it_ended_throws_and_still_receives()
    {
        var channel = new SharedChannel<int>(1);
        ValueTask<int> receive = channel.ReceiveAsync();

        Func<int> early = () => receive.Result;
        early.Should().Throw<InvalidOperationException>("the channel is empty: there is no result yet, not a default one");

        using var woken = new ManualResetEventSlim();
        receive.GetAwaiter().UnsafeOnCompleted(woken.Set);
        channel.TrySend(5).Should().BeTrue();
        woken.Wait(Bound).Should().BeTrue("the early read left the wait in place");
        receive.Result.Should().Be(5);
    }

    [Fact]
    public void A_receive_cancelled_while_it_waits_reports_Canceled_to_whoever_checks_its_status()
    {
        var channel = new SharedChannel<int>(1);
        using var source = new CancellationTokenSource();
        ValueTask<int> receive = channel.ReceiveAsync(source.Token);
        using var woken = new ManualResetEventSlim();
        receive.GetAwaiter().UnsafeOnCompleted(woken.Set); // subscribes the token

        source.Cancel();

        woken.Wait(Bound).Should().BeTrue("the cancel wakes the receive");
        receive.IsCanceled.Should().BeTrue("its status is Canceled before anybody reads the result");
        Func<int> result = () => receive.Result;
        result.Should().Throw<OperationCanceledException>().Which.CancellationToken.Should().Be(source.Token);
    }
}
