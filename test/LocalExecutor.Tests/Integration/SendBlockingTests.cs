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
    public async Task Send_from_another_thread_to_an_executor_that_is_draining_is_refused_and_its_callback_never_runs()
    {
        // New work is refused once the stop is requested, and a Send is new work: it would otherwise run in the drain
        // (or, arriving at its end, fail late) although its caller was told the executor is stopping.
        LocalExecutor executor = Executors.Start(nameof(Send_from_another_thread_to_an_executor_that_is_draining_is_refused_and_its_callback_never_runs));
        var never = new TaskCompletionSource();
        LocalTask<int> stuck = executor.Start(() => Shutdown.DrainTests.WaitForeverAsync(never.Task));
        Task<ShutdownReport> stopping = executor.ShutdownAsync(Bounded.Timeout); // the drain waits for the stuck task
        SpinWait.SpinUntil(() => executor.IsStopping, Bounded.Timeout).Should().BeTrue("the stop to be requested");

        bool ran = false;
        Action send = () => executor.SynchronizationContext.Send(_ => ran = true, null);

        send.Should().Throw<ObjectDisposedException>("the executor is draining").Which.ObjectName.Should().Be(executor.Name);
        never.SetResult();
        ShutdownReport report = await stopping.Within("the drain, once the stuck task can end");
        ran.Should().BeFalse("the refused callback was not queued");
        report.CancelledTasks.Should().Be(0, "the stuck task ended in the drain");
        (await stuck.Within("the stuck task")).Should().Be(1);
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
