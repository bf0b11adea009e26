using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Integration;

/// <summary>
/// <see cref="LocalSynchronizationContext.Send"/> from another thread returns only after the callback ran, seen
/// deterministically: the callback holds on a barrier, and the test looks at the sending thread while it holds.
/// </summary>
public sealed class SendBlockingTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(SendBlockingTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public void Send_from_another_thread_has_not_returned_while_the_callback_still_runs()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int finished = 0;
        int seenBySender = -1;
        Thread? ranOn = null;
        var sender = new Thread(() =>
        {
            _executor.SynchronizationContext.Send(
                _ =>
                {
                    ranOn = Thread.CurrentThread;
                    entered.Set();
                    release.Wait(Bounded.Timeout);
                    Volatile.Write(ref finished, 1);
                },
                null);
            Volatile.Write(ref seenBySender, Volatile.Read(ref finished));
        }) { IsBackground = true, Name = "sender" };

        sender.Start();
        bool returnedEarly;
        try
        {
            entered.Wait(Bounded.Timeout).Should().BeTrue("the executor runs the sent callback");
            // The sender either returned already (the bug) or blocks in Send until the callback finishes.
            SpinWait.SpinUntil(() => !sender.IsAlive || sender.ThreadState.HasFlag(ThreadState.WaitSleepJoin), Bounded.Timeout)
                .Should().BeTrue("the sender returns or blocks");
            returnedEarly = !sender.IsAlive || Volatile.Read(ref seenBySender) != -1;
        }
        finally
        {
            release.Set(); // a failed assertion must not leave the executor blocked for the teardown
        }

        returnedEarly.Should().BeFalse("Send must not return while the callback is still running");
        sender.Join(Bounded.Timeout).Should().BeTrue("Send returns once the callback finished");
        Volatile.Read(ref seenBySender).Should().Be(1, "when Send returns, everything the callback did is visible to the sender");
        ranOn.Should().BeSameAs(_executor.Thread);
    }

    [Fact]
    public async Task Send_from_another_thread_rethrows_after_the_callback_ran_to_its_throw()
    {
        var failure = new InvalidOperationException("thrown by the sent callback");
        int steps = 0;

        Exception? caught = await Task.Run(() =>
        {
            try
            {
                _executor.SynchronizationContext.Send(
                    _ =>
                    {
                        Interlocked.Increment(ref steps);
                        throw failure;
                    },
                    null);
                return null;
            }
            catch (Exception exception)
            {
                return exception;
            }
        }).Within("Send of a throwing callback");

        caught.Should().BeSameAs(failure, "the callback's exception reaches the sender unwrapped");
        steps.Should().Be(1, "the callback ran exactly once");
    }

    [Fact]
    public async Task Send_rejects_a_null_callback_on_any_thread_before_queueing_anything()
    {
        Action fromHere = () => _executor.SynchronizationContext.Send(null!, null);
        fromHere.Should().Throw<ArgumentNullException>().WithParameterName("d");

        Type? onExecutor = await _executor.OnExecutor(() =>
        {
            try
            {
                _executor.SynchronizationContext.Send(null!, null);
                return null;
            }
            catch (Exception exception)
            {
                return exception.GetType();
            }
        });
        onExecutor.Should().Be<ArgumentNullException>();
    }
}
