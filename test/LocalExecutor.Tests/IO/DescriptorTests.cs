using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.IO;
using ThreadPerCore.Tests.Platform;
using Xunit;
using static ThreadPerCore.Tests.IO.IoTestSupport;

namespace ThreadPerCore.Tests.IO;

/// <summary>Tests that count or exhaust the process's descriptors, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DescriptorSensitive
{
    public const string Name = "Descriptor-sensitive";
}

/// <summary>Stopping an executor in the middle of I/O: pending operations end with a clear exception, and every
/// descriptor it opened is closed.</summary>
[Collection(DescriptorSensitive.Name)]
public sealed class DescriptorTests
{
    [LinuxFact]
    public async Task Disposing_the_executor_fails_pending_operations_and_closes_every_descriptor()
    {
        await StopInTheMiddleOfIoAsync(); // the first run opens what the process keeps for good (runtime, libraries)
        HashSet<string> baseline = OpenDescriptors();

        (Exception? receive, Exception? accept) = await StopInTheMiddleOfIoAsync();

        receive.Should().BeOfType<ObjectDisposedException>().Which.Message.Should().Contain("stopped");
        accept.Should().BeOfType<ObjectDisposedException>();
        OpenedSince(baseline).Should().BeEmpty("the executor's epoll, eventfd, listener and connection are all closed");
    }

    [LinuxFact]
    public async Task Disposing_the_executor_fails_pending_operations_on_dotnet_sockets_and_closes_their_descriptors()
    {
        // The fallback path (no reactor, or SocketTransport.DotNetSockets): the reactor never sees these sockets, so
        // the executor must close them itself; before it did, the receive and the accept stayed pending for good and
        // both descriptors stayed open.
        await StopInTheMiddleOfIoAsync(SocketTransport.DotNetSockets);
        HashSet<string> baseline = OpenDescriptors();

        (Exception? receive, Exception? accept) = await StopInTheMiddleOfIoAsync(SocketTransport.DotNetSockets);

        receive.Should().BeOfType<ObjectDisposedException>().Which.Message.Should().Contain("stopped");
        accept.Should().BeOfType<ObjectDisposedException>();
        OpenedSince(baseline).Should().BeEmpty("the listener and the connection on .NET sockets are closed with the executor");
    }

    [LinuxFact]
    public async Task Disposing_a_pool_fails_the_pending_receives_and_accepts_of_every_executor_and_closes_every_descriptor()
    {
        await StopPoolInTheMiddleOfIoAsync(); // the first run opens what the process keeps for good
        HashSet<string> baseline = OpenDescriptors();

        (Exception? Receive, Exception? Accept)[] ended = await StopPoolInTheMiddleOfIoAsync();

        ended.Should().HaveCount(2);
        foreach ((Exception? receive, Exception? accept) in ended)
        {
            receive.Should().BeOfType<ObjectDisposedException>().Which.Message.Should().Contain("stopped");
            accept.Should().BeOfType<ObjectDisposedException>();
        }

        OpenedSince(baseline).Should().BeEmpty("both executors' epoll and eventfd, their listeners and their connections are all closed");
    }

    [LinuxFact]
    public void Dispose_closes_the_executors_reactor()
    {
        int before = OpenEpollInstances();
        LocalExecutor executor = StartExecutor(nameof(Dispose_closes_the_executors_reactor));
        executor.HasReactor.Should().BeTrue(executor.ReactorUnavailableReason);
        OpenEpollInstances().Should().Be(before + 1, "the executor's reactor has an epoll instance of its own");

        executor.Dispose();

        OpenEpollInstances().Should().Be(before, "Dispose returns once the thread exited and its reactor is closed");
    }

    [LinuxFact]
    public async Task A_shutdown_that_timed_out_closes_the_executors_descriptors_once_its_thread_returns_without_another_dispose()
    {
        int before = OpenEpollInstances();

        await TimeOutAndReturnAsync();

        // Nobody disposes again: the executor closes its reactor itself once its thread is gone, on the thread pool
        // after Completion, so the count is awaited (bounded) rather than read once.
        SpinWait.SpinUntil(() => OpenEpollInstances() == before, TimeSpan.FromSeconds(5));
        OpenEpollInstances().Should().Be(before, "the reactor is closed once the thread that outlived the shutdown timeout exits");
    }

    /// <summary>Disposes an executor whose thread is blocked in a work item past its shutdown timeout, then lets the
    /// item return, and waits for the thread to end.</summary>
    private static async Task TimeOutAndReturnAsync()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions
        {
            Name = "stuck-with-reactor",
            DrainTimeout = TimeSpan.Zero,
            ShutdownTimeout = TimeSpan.FromMilliseconds(100),
        });
        executor.HasReactor.Should().BeTrue(executor.ReactorUnavailableReason);
        using var release = new ManualResetEventSlim();
        using var busy = new ManualResetEventSlim();
        executor.Post(() =>
        {
            busy.Set();
            release.Wait(Bounded.Timeout);
        });
        busy.Wait(Bounded.Timeout).Should().BeTrue("the work item started");
        try
        {
            await FluentActions.Awaiting(() => Task.Run(() => executor.Dispose()).Within("Dispose to give up"))
                .Should().ThrowAsync<ShutdownTimeoutException>();
        }
        finally
        {
            release.Set();
        }

        await executor.Completion.Within("the thread to end once its work item returned");
    }

    [LinuxFact]
    public void Accepting_out_of_descriptors_backs_off_without_spinning_and_recovers()
    {
        // In a process of its own: the runtime aborts a process that must start a thread while no descriptor is
        // left, which the test host (thread pool, runner) cannot promise not to do.
        Dictionary<string, string> result = Probe.Run("descriptor-exhaustion");

        int exhaustions = int.Parse(result["exhaustions-in-window"], CultureInfo.InvariantCulture);
        double windowMs = long.Parse(result["window-us"], CultureInfo.InvariantCulture) / 1000.0;
        exhaustions.Should().BeGreaterThanOrEqualTo(5);
        result["accepted-while-exhausted"].Should().Be("0", "no descriptor was free to accept into");

        // Each failed try counts one exhaustion and then sleeps its back-off on the executor's timer (which never fires
        // early), so the n-th try comes at least the sum of the n-1 back-offs before it after the loop started. A loop
        // that retried at once, on a yield, or without doubling would make many more tries in the same window.
        BackoffBefore(exhaustions).TotalMilliseconds.Should().BeLessThanOrEqualTo(windowMs,
            $"{exhaustions} tries in {windowMs:F1} ms: accepting must sleep 10 ms, doubling to 1 s, between tries");
        result["responsive"].Should().Be("1", "the executor keeps running other work meanwhile");
        result["accepted-after-recovery"].Should().Be("3", "the listener survived and takes the queued connections once descriptors are back");
    }

    /// <summary>The least time before the <paramref name="tries"/>-th try: the back-offs of the tries before it
    /// (LocalListener's schedule: 10 ms, doubling, at most 1 s).</summary>
    private static TimeSpan BackoffBefore(int tries)
    {
        TimeSpan total = TimeSpan.Zero;
        TimeSpan backoff = TimeSpan.FromMilliseconds(10);
        for (int i = 1; i < tries; i++)
        {
            total += backoff;
            backoff = backoff * 2 < TimeSpan.FromSeconds(1) ? backoff * 2 : TimeSpan.FromSeconds(1);
        }

        return total;
    }

    private static async Task<(Exception? Receive, Exception? Accept)> StopInTheMiddleOfIoAsync(SocketTransport transport = SocketTransport.Auto)
    {
        LocalExecutor executor = StartExecutor(nameof(Disposing_the_executor_fails_pending_operations_and_closes_every_descriptor));
        LocalListener listener = await ListenAsync(executor, transport);
        listener.IsReactorDriven.Should().Be(transport != SocketTransport.DotNetSockets);
        var receiving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Plain tasks on the executor's scheduler, not raw tasks: shutdown cancels raw tasks, and these must see the
        // failure their pending operation ends with.
        Task<Exception?> pendingReceive = OnExecutorAsTask(executor, async () =>
        {
            LocalConnection connection = await listener.AcceptAsync();
            ValueTask<int> receive = connection.ReceiveAsync(new byte[8]);
            receiving.SetResult();
            return await FailureOf(receive.AsTask());
        });
        using Socket client = Connect(listener.LocalEndPoint);
        await receiving.Task.Within("the receive to wait");
        Task<Exception?> pendingAccept = OnExecutorAsTask(executor, async () => await FailureOf(listener.AcceptAsync().AsTask()));
        await executor.Drain();

        await executor.DisposeAsync();
        if (transport != SocketTransport.DotNetSockets)
        {
            // .NET sockets report the failure from the runtime's own socket thread, which may come after the executor
            // stopped (late work, run on the thread pool): only the reactor's is known to have ended by now.
            AssertEndedOnTheCore(pendingReceive, pendingAccept);
        }

        return (await pendingReceive.Within("the receive to fail"), await pendingAccept.Within("the accept to fail"));
    }

    /// <summary>A pool of two executors, each with a connection waiting in a receive and a second accept waiting on
    /// its listener, disposed with all four operations in flight.</summary>
    private static async Task<(Exception? Receive, Exception? Accept)[]> StopPoolInTheMiddleOfIoAsync()
    {
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions
        {
            Placement = PoolPlacement.Unbound(2),
            NamePrefix = "io-pool",
            DrainTimeout = TimeSpan.Zero, // nothing here can finish: do not serve the waits until a deadline
        });
        var clients = new List<Socket>();
        var pending = new List<(Task<Exception?> Receive, Task<Exception?> Accept)>();
        try
        {
            foreach (LocalExecutor executor in pool.Executors)
            {
                executor.HasReactor.Should().BeTrue(executor.ReactorUnavailableReason);
                LocalListener listener = await ListenAsync(executor);
                var receiving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Task<Exception?> receive = OnExecutorAsTask(executor, async () =>
                {
                    LocalConnection connection = await listener.AcceptAsync();
                    ValueTask<int> waiting = connection.ReceiveAsync(new byte[8]);
                    receiving.SetResult();
                    return await FailureOf(waiting.AsTask());
                });
                clients.Add(Connect(listener.LocalEndPoint));
                await receiving.Task.Within($"the receive on {executor.Name} to wait");
                Task<Exception?> accept = OnExecutorAsTask(executor, async () => await FailureOf(listener.AcceptAsync().AsTask()));
                await executor.Drain(); // the second accept has started and waits for readiness
                pending.Add((receive, accept));
            }

            await pool.DisposeAsync().AsTask().Within("the pool to stop");
            var ended = new (Exception?, Exception?)[pending.Count];
            for (int i = 0; i < pending.Count; i++)
            {
                AssertEndedOnTheCore(pending[i].Receive, pending[i].Accept);
                ended[i] = (await pending[i].Receive.Within("a receive to fail"), await pending[i].Accept.Within("an accept to fail"));
            }

            return ended;
        }
        finally
        {
            await pool.DisposeAsync();
            foreach (Socket client in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>Once the executor has stopped, the pending operations on its reactor's sockets have already failed:
    /// shutdown closes them after the drain and runs what their failure resumes on the core before the thread exits.
    /// (Without the close they would wait for good, which a bounded await would only report after its 30 s.)</summary>
    private static void AssertEndedOnTheCore(Task<Exception?> receive, Task<Exception?> accept)
    {
        receive.IsCompleted.Should().BeTrue("the executor closed its connection as it stopped, which fails the pending receive");
        accept.IsCompleted.Should().BeTrue("the executor closed its listener as it stopped, which fails the pending accept");
    }

    private static async Task<Exception?> FailureOf(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static Task<T> OnExecutorAsTask<T>(LocalExecutor executor, Func<Task<T>> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.None, executor.Scheduler).Unwrap();
}
