using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.IO;
using ThreadPerCore.Tests.Platform;
using Xunit;
using static ThreadPerCore.Tests.IO.IoTestSupport;

namespace ThreadPerCore.Tests.IO;

/// <summary>The reactor's promise: socket operations complete on the executor's thread, with no other thread in
/// between, and a warm connection allocates nothing per operation.</summary>
public sealed class ReactorEchoTests
{
    private const int RoundTrips = 300;

    [LinuxFact]
    public async Task Every_receive_resumes_on_the_executor_thread_with_no_cross_thread_hop()
    {
        await using LocalExecutor executor = StartExecutor(nameof(Every_receive_resumes_on_the_executor_thread_with_no_cross_thread_hop));
        executor.HasReactor.Should().BeTrue(executor.ReactorUnavailableReason);
        using LocalListener listener = await ListenAsync(executor);

        Task<EchoReport> server = executor.Spawn(() => EchoAsync(listener, RoundTrips)).AsTask();
        using (Socket client = Connect(listener.LocalEndPoint))
        {
            var message = new byte[16];
            for (int i = 0; i < RoundTrips; i++)
            {
                message[0] = (byte)i;
                client.Send(message);
                ReceiveExactly(client, message.Length)[0].Should().Be((byte)i);
            }
        }

        EchoReport report = await server.Within("the echo server to finish");
        report.IsReactorDriven.Should().BeTrue();
        report.ResumedOffExecutor.Should().Be(0, "every await resumed on the executor's own thread");
        report.CrossThreadWorkItems.Should().Be(0, "readiness reached the waiting task without the inbox");
        report.IoEvents.Should().BePositive("receives that found no data waited for the reactor's readiness");
    }

    [LinuxFact]
    public async Task The_same_echo_on_dotnet_sockets_crosses_threads_for_its_reads()
    {
        await using LocalExecutor executor = StartExecutor(nameof(The_same_echo_on_dotnet_sockets_crosses_threads_for_its_reads));
        using LocalListener listener = await ListenAsync(executor, SocketTransport.DotNetSockets);

        Task<EchoReport> server = executor.Spawn(() => EchoAsync(listener, RoundTrips)).AsTask();
        using (Socket client = Connect(listener.LocalEndPoint))
        {
            var message = new byte[16];
            for (int i = 0; i < RoundTrips; i++)
            {
                client.Send(message);
                ReceiveExactly(client, message.Length);
            }
        }

        EchoReport report = await server.Within("the echo server to finish");
        report.IsReactorDriven.Should().BeFalse();
        report.ResumedOffExecutor.Should().Be(0, "the executor's context brings continuations back");
        report.CrossThreadWorkItems.Should().BePositive("a read completed by the runtime's I/O thread comes back through the inbox");
    }

    [LinuxFact]
    public async Task A_warm_connection_allocates_nothing_per_receive_and_send()
    {
        await using LocalExecutor executor = StartExecutor(nameof(A_warm_connection_allocates_nothing_per_receive_and_send));
        using LocalListener listener = await ListenAsync(executor);

        Task<long> server = executor.Spawn(() => MeasureAllocationAsync(listener)).AsTask();
        using (Socket client = Connect(listener.LocalEndPoint))
        {
            var message = new byte[64];
            for (int i = 0; i < 1100; i++)
            {
                client.Send(message);
                ReceiveExactly(client, message.Length);
            }
        }

        long allocated = await server.Within("the measuring server to finish");
        allocated.Should().Be(0, "receives and sends on a warm connection reuse their awaitables");
    }

    [LinuxFact]
    public async Task A_receive_of_data_already_in_the_kernel_completes_synchronously_and_a_drained_socket_waits_without_a_call()
    {
        await using LocalExecutor executor = StartExecutor(nameof(A_receive_of_data_already_in_the_kernel_completes_synchronously_and_a_drained_socket_waits_without_a_call));
        using LocalListener listener = await ListenAsync(executor);
        Task<LocalConnection> accept = executor.Spawn(async () => await listener.AcceptAsync()).AsTask();
        using Socket client = Connect(listener.LocalEndPoint);
        using LocalConnection connection = await accept.Within("the accept");
        client.Send(new byte[5]);
        Bounded.Until(() => connection.Socket.Available == 5, "the five bytes to reach the server's receive buffer");

        var secondIsWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<TryFirstReport> server = executor.Spawn(async () =>
        {
            var buffer = new byte[16];
            long calls = connection.ReceiveCalls;
            long waits = connection.ReceiveWaits;
            ValueTask<int> first = connection.ReceiveAsync(buffer);
            bool firstAtOnce = first.IsCompletedSuccessfully;
            (long firstCalls, long firstWaits) = (connection.ReceiveCalls - calls, connection.ReceiveWaits - waits);
            if (!firstAtOnce)
            {
                secondIsWaiting.SetResult(); // the client's next bytes end this wait, and the report says what went wrong
                return new TryFirstReport(firstAtOnce, firstCalls, firstWaits, await first, false, 0, 0, 0);
            }

            int firstBytes = await first;

            // Five bytes into sixteen drained the socket: the next receive must not ask the kernel again.
            (calls, waits) = (connection.ReceiveCalls, connection.ReceiveWaits);
            ValueTask<int> second = connection.ReceiveAsync(buffer);
            bool secondPending = !second.IsCompleted;
            (long secondCalls, long secondWaits) = (connection.ReceiveCalls - calls, connection.ReceiveWaits - waits);
            secondIsWaiting.SetResult();
            int secondBytes = await second;
            return new TryFirstReport(firstAtOnce, firstCalls, firstWaits, firstBytes, secondPending, secondCalls, secondWaits, secondBytes);
        }).AsTask();
        await secondIsWaiting.Task.Within("the second receive to wait");
        client.Send(new byte[3]);

        TryFirstReport report = await server.Within("the two receives");
        report.Should().Be(new TryFirstReport(
            FirstCompletedAtOnce: true, FirstCalls: 1, FirstWaits: 0, FirstBytes: 5,
            SecondPending: true, SecondCalls: 0, SecondWaits: 1, SecondBytes: 3));
    }

    [LinuxFact]
    public async Task Readiness_reaches_a_waiting_receive_while_the_run_queue_never_empties()
    {
        await using LocalExecutor executor = StartExecutor(nameof(Readiness_reaches_a_waiting_receive_while_the_run_queue_never_empties));
        using LocalListener listener = await ListenAsync(executor);
        bool stop = false;
        long spins = 0;
        Task spinner = executor.Spawn(async () =>
        {
            while (!Volatile.Read(ref stop))
            {
                spins++;
                await Task.Yield(); // always runnable: the executor never parks while this runs
            }
        }).AsTask();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> receive = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            ValueTask<int> pending = connection.ReceiveAsync(new byte[8]);
            waiting.SetResult();
            return await pending;
        }).AsTask();

        using Socket client = Connect(listener.LocalEndPoint);
        await waiting.Task.Within("the receive to wait");
        long spinsAtSend = Volatile.Read(ref spins);
        client.Send(new byte[3]);
        while (!receive.IsCompleted && Volatile.Read(ref spins) - spinsAtSend < 5_000_000)
        {
            await Task.Delay(1);
        }

        receive.IsCompleted.Should().BeTrue("the busy loop looks for readiness at least once a slice, long before 5,000,000 yields");
        (await receive).Should().Be(3);
        Volatile.Write(ref stop, true);
        await spinner.Within("the spinner");
        spins.Should().BePositive();
    }

    [LinuxFact]
    public async Task A_compute_only_executor_with_a_reactor_makes_no_reactor_calls_while_it_runs()
    {
        await using LocalExecutor executor = StartExecutor(nameof(A_compute_only_executor_with_a_reactor_makes_no_reactor_calls_while_it_runs));
        (ExecutorStats before, ExecutorStats after) = await executor.Spawn(async () =>
        {
            ExecutorStats start = executor.GetStats();
            for (int i = 0; i < 5000; i++)
            {
                await Task.Yield();
            }

            return (start, executor.GetStats());
        }).Within("the yield loop");

        (after.IoPolls - before.IoPolls).Should().Be(after.Parks - before.Parks, "with nothing registered the only reactor calls are the idle waits");
        (after.TasksRun - before.TasksRun).Should().BeGreaterThanOrEqualTo(5000);
    }

    [LinuxFact]
    public async Task An_idle_executor_sleeps_in_the_reactor_and_a_foreign_spawn_wakes_it()
    {
        await using LocalExecutor executor = StartExecutor(nameof(An_idle_executor_sleeps_in_the_reactor_and_a_foreign_spawn_wakes_it));
        await executor.Drain();
        ExecutorStats before = executor.GetStats();
        for (int i = 0; i < 20; i++)
        {
            (await executor.Spawn(() => Environment.CurrentManagedThreadId).Within("a spawn into the sleeping executor"))
                .Should().Be(executor.Thread.ManagedThreadId);
        }

        ExecutorStats after = executor.GetStats();
        (after.ForeignWakeups - before.ForeignWakeups).Should().BeGreaterThan(0, "the spawns found it asleep in epoll_wait and woke it through the eventfd");
        (after.IoPolls - before.IoPolls).Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Without_a_reactor_the_same_api_runs_on_dotnet_sockets()
    {
        await using LocalExecutor executor = StartExecutor(nameof(Without_a_reactor_the_same_api_runs_on_dotnet_sockets), reactor: false);
        executor.HasReactor.Should().BeFalse();
        executor.ReactorUnavailableReason.Should().Contain("EnableReactor");
        using LocalListener listener = await ListenAsync(executor);
        listener.IsReactorDriven.Should().BeFalse();

        Task<EchoReport> server = executor.Spawn(() => EchoAsync(listener, 20)).AsTask();
        using (Socket client = Connect(listener.LocalEndPoint))
        {
            var message = new byte[16];
            for (int i = 0; i < 20; i++)
            {
                client.Send(message);
                ReceiveExactly(client, message.Length);
            }
        }

        EchoReport report = await server.Within("the echo server to finish");
        report.ResumedOffExecutor.Should().Be(0);
        report.IsReactorDriven.Should().BeFalse();
    }

    [Fact]
    public async Task Requiring_the_reactor_on_an_executor_without_one_is_refused_with_the_reason()
    {
        await using LocalExecutor executor = StartExecutor(nameof(Requiring_the_reactor_on_an_executor_without_one_is_refused_with_the_reason), reactor: false);
        Func<Task> bind = () => executor.Spawn(() => LocalListener.Bind(AnyLoopbackPort, new LocalListenerOptions { Transport = SocketTransport.Reactor })).AsTask();
        (await bind.Should().ThrowAsync<PlatformNotSupportedException>()).WithMessage("*no reactor*EnableReactor*");
    }

    private static async Task<EchoReport> EchoAsync(LocalListener listener, int roundTrips)
    {
        LocalExecutor executor = listener.Executor;
        using LocalConnection connection = await listener.AcceptAsync();
        ExecutorStats start = executor.GetStats();
        var buffer = new byte[16];
        int offExecutor = 0;
        for (int i = 0; i < roundTrips; i++)
        {
            int received = 0;
            while (received < buffer.Length)
            {
                int n = await connection.ReceiveAsync(buffer.AsMemory(received));
                offExecutor += executor.IsOwnerThread ? 0 : 1;
                n.Should().BePositive("the client sends until it has its echoes");
                received += n;
            }

            await connection.SendAsync(buffer);
            offExecutor += executor.IsOwnerThread ? 0 : 1;
        }

        ExecutorStats end = executor.GetStats();
        return new EchoReport(connection.IsReactorDriven, offExecutor, end.CrossThreadWorkItems - start.CrossThreadWorkItems, end.IoEvents - start.IoEvents);
    }

    private static async LocalTask<long> MeasureAllocationAsync(LocalListener listener)
    {
        using LocalConnection connection = await listener.AcceptAsync();
        var buffer = new byte[64];
        long start = 0;
        for (int i = 0; i < 1100; i++)
        {
            if (i == 100)
            {
                start = GC.GetAllocatedBytesForCurrentThread(); // warm: the awaitables and the task exist by now
            }

            int received = 0;
            while (received < buffer.Length)
            {
                received += await connection.ReceiveAsync(buffer.AsMemory(received));
            }

            await connection.SendAsync(buffer);
        }

        return GC.GetAllocatedBytesForCurrentThread() - start;
    }

    private sealed record TryFirstReport(
        bool FirstCompletedAtOnce, long FirstCalls, long FirstWaits, int FirstBytes,
        bool SecondPending, long SecondCalls, long SecondWaits, int SecondBytes);

    private sealed record EchoReport(bool IsReactorDriven, int ResumedOffExecutor, long CrossThreadWorkItems, long IoEvents);
}
