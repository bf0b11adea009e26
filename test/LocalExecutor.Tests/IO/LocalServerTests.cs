using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.IO;
using ThreadPerCore.Tests.Platform;
using Xunit;
using static ThreadPerCore.Tests.IO.IoTestSupport;

namespace ThreadPerCore.Tests.IO;

/// <summary>The pool-level server: a listener per core, each connection served start to end on the core that
/// accepted it, and a stop that drains, then closes what is left.</summary>
public sealed class LocalServerTests
{
    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Every_connection_is_served_entirely_on_the_core_that_accepted_it(bool reactor)
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), EnableReactor = reactor });
        var threadsByConnection = new ConcurrentDictionary<int, ConcurrentBag<int>>();
        var transports = new ConcurrentBag<bool>();
        int next = 0;
        await using LocalServer server = await LocalServer.StartAsync(pool, AnyLoopbackPort, async (connection, stopping) =>
        {
            transports.Add(connection.IsReactorDriven);
            int id = Interlocked.Increment(ref next);
            ConcurrentBag<int> seen = threadsByConnection.GetOrAdd(id, _ => []);
            var buffer = new byte[4];
            while (true)
            {
                seen.Add(Environment.CurrentManagedThreadId);
                int n = await connection.ReceiveAsync(buffer, stopping);
                seen.Add(Environment.CurrentManagedThreadId);
                if (n == 0)
                {
                    return;
                }

                await connection.SendAsync(buffer.AsMemory(0, n), stopping);
            }
        });

        Task[] clients = Enumerable.Range(0, 24).Select(_ => Task.Run(() =>
        {
            using Socket client = Connect(server.EndPoint);
            for (int i = 0; i < 20; i++)
            {
                client.Send(new byte[4]);
                ReceiveExactly(client, 4);
            }
        })).ToArray();
        await Task.WhenAll(clients).Within("the clients");
        await Eventually(() => server.ConnectionCount == 0, "the handlers to see the clients leave");

        int[] executorThreads = pool.Executors.Select(e => e.Thread.ManagedThreadId).ToArray();
        threadsByConnection.Should().HaveCount(24);
        transports.Should().HaveCount(24).And.OnlyContain(driven => driven == reactor);
        threadsByConnection.Values.Should().OnlyContain(seen => seen.Distinct().Count() == 1 && executorThreads.Contains(seen.First()),
            "each connection's code ran on one executor thread from start to end");
        threadsByConnection.Values.Select(seen => seen.First()).Distinct().Should().HaveCount(2,
            "SO_REUSEPORT spreads 24 connections over both cores (all on one: 1 in 8 million)");
        server.AcceptedConnections.Should().Be(24);
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stopping_lets_handlers_finish_by_their_token_and_refuses_new_connections(bool reactor)
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), EnableReactor = reactor });
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalServer server = await LocalServer.StartAsync(pool, AnyLoopbackPort, async (connection, stopping) =>
        {
            serving.TrySetResult();
            try
            {
                await connection.ReceiveAsync(new byte[8], stopping);
            }
            catch (OperationCanceledException)
            {
                await connection.SendAsync("bye"u8.ToArray(), CancellationToken.None); // a last word: the connection is still open while draining
            }
        });
        using Socket client = Connect(server.EndPoint);
        await serving.Task.Within("the handler to start");

        await server.StopAsync(TimeSpan.FromSeconds(10)).Within("the stop");

        System.Text.Encoding.ASCII.GetString(ReceiveExactly(client, 3)).Should().Be("bye");
        server.ForcedCloses.Should().Be(0);
        server.ConnectionCount.Should().Be(0);
        Action connectAgain = () => Connect(server.EndPoint).Dispose();
        connectAgain.Should().Throw<SocketException>().Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connections_still_open_at_the_deadline_are_closed_and_their_handlers_end(bool reactor)
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(1), EnableReactor = reactor });
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Exception? seenByHandler = null;
        LocalServer server = await LocalServer.StartAsync(pool, AnyLoopbackPort, async (connection, _) =>
        {
            serving.TrySetResult();
            try
            {
                await connection.ReceiveAsync(new byte[8], CancellationToken.None); // ignores the stop token
            }
            catch (Exception e)
            {
                seenByHandler = e;
                throw;
            }
        });
        using Socket client = Connect(server.EndPoint);
        await serving.Task.Within("the handler to start");

        await server.StopAsync(TimeSpan.FromMilliseconds(100)).Within("the stop past its deadline");

        server.ForcedCloses.Should().Be(1);
        seenByHandler.Should().BeOfType<ObjectDisposedException>();
        Action read = () => client.Receive(new byte[1]);
        read.Should().Throw<SocketException>("a connection closed by the deadline is aborted, with a reset")
            .Which.SocketErrorCode.Should().Be(SocketError.ConnectionReset);
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_handler_that_throws_is_reported_to_its_executor(bool reactor)
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(1), EnableReactor = reactor });
        var reported = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        pool[0].UnhandledException += (_, e) => reported.TrySetResult(e.Exception);
        await using LocalServer server = await LocalServer.StartAsync(pool, AnyLoopbackPort, (_, _) => throw new InvalidOperationException("handler bug"));

        using Socket client = Connect(server.EndPoint);
        (await reported.Task.Within("the report")).Message.Should().Be("handler bug");
        client.Receive(new byte[1]).Should().Be(0, "the connection of a failed handler is closed");
    }

    [LinuxFact]
    public async Task An_accept_that_keeps_failing_is_reported_and_retried_after_a_growing_wait_not_at_once()
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(1) });
        var reports = new ConcurrentQueue<(long Ticks, Exception Exception)>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int Failures = 5;
        pool[0].UnhandledException += (_, e) =>
        {
            reports.Enqueue((Stopwatch.GetTimestamp(), e.Exception));
            if (reports.Count >= Failures)
            {
                enough.TrySetResult();
            }
        };
        await using LocalServer server = await LocalServer.StartAsync(pool, AnyLoopbackPort, (_, _) => Task.CompletedTask);

        // A listening socket shut down for reading fails every accept (EINVAL) from now on: an error that persists.
        server.Listeners[0].Socket.Shutdown(SocketShutdown.Receive);
        await enough.Task.Within("five failed accepts to be reported");

        (long Ticks, Exception Exception)[] seen = reports.ToArray();
        seen.Should().AllSatisfy(r => r.Exception.Should().BeOfType<SocketException>());
        TimeSpan expected = LocalListener.FirstRetryDelay;
        for (int i = 1; i < Failures; i++)
        {
            TimeSpan gap = Stopwatch.GetElapsedTime(seen[i - 1].Ticks, seen[i].Ticks);
            // The executor's timers never fire early; 1 ms of slack for the clocks' rounding. A loop that retried at
            // once reported thousands of failures a second here and spun its core.
            gap.Should().BeGreaterThanOrEqualTo(expected - TimeSpan.FromMilliseconds(1), $"retry {i} waits at least {expected.TotalMilliseconds} ms");
            expected = LocalListener.NextRetryDelay(expected);
        }
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_start_that_cannot_bind_every_core_fails_and_leaves_nothing_listening(bool reactor)
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), EnableReactor = reactor });
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(AnyLoopbackPort); // no SO_REUSEPORT: nobody else may bind this port
        squatter.Listen();
        var taken = (IPEndPoint)squatter.LocalEndPoint!;

        Func<Task> start = () => LocalServer.StartAsync(pool, taken, (_, _) => Task.CompletedTask);

        (await start.Should().ThrowAsync<SocketException>()).Which.SocketErrorCode.Should().Be(SocketError.AddressAlreadyInUse);
        pool.Executors.Sum(e => e.GetStats().IoDescriptors).Should().Be(0, "no listener is left registered on any core");
    }

    [LinuxFact]
    public async Task Without_SO_REUSEPORT_the_cores_share_one_listening_socket_and_another_core_accepts_from_it()
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2) });
        var served = new ConcurrentQueue<(int Thread, bool Driven)>();
        await using LocalServer server = await LocalServer.StartAsync(pool, AnyLoopbackPort, async (connection, stopping) =>
        {
            served.Enqueue((Environment.CurrentManagedThreadId, connection.IsReactorDriven));
            var buffer = new byte[1];
            while (await connection.ReceiveAsync(buffer, stopping) != 0)
            {
                await connection.SendAsync(buffer, stopping);
            }
        }, new LocalServerOptions { Listener = new LocalListenerOptions { ReusePort = false } });

        // One socket, bound once, without SO_REUSEPORT: core 0 owns it on its reactor, core 1 accepts from the same
        // queue on .NET sockets (LocalListener.Share), and nobody else can join the port.
        pool[0].GetStats().IoDescriptors.Should().Be(1, "core 0 watches the one listening socket");
        pool[1].GetStats().IoDescriptors.Should().Be(0, "core 1 shares it through .NET's engine instead of binding its own");
        using (var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            intruder.SetRawSocketOption(1, 15, BitConverter.GetBytes(1)); // SOL_SOCKET, SO_REUSEPORT
            Action bind = () => intruder.Bind(server.EndPoint);
            bind.Should().Throw<SocketException>("a per-core listener would have set SO_REUSEPORT and let this bind")
                .Which.SocketErrorCode.Should().Be(SocketError.AddressAlreadyInUse);
        }

        // With core 0 held, only core 1 can take the connection off the shared queue.
        using (ExecutorHold.Of(pool[0]))
        {
            using Socket client = Connect(server.EndPoint);
            client.Send([7]);
            ReceiveExactly(client, 1).Should().Equal(7);
        }

        served.Should().ContainSingle().Which.Should().Be((pool[1].Thread.ManagedThreadId, false));

        // Released, both cores serve from the one queue.
        for (int i = 0; i < 8; i++)
        {
            using Socket client = Connect(server.EndPoint);
            client.Send([(byte)i]);
            ReceiveExactly(client, 1).Should().Equal((byte)i);
        }

        server.AcceptedConnections.Should().Be(9);
        served.Select(s => s.Thread).Should().OnlyContain(thread => pool.Executors.Any(e => e.Thread.ManagedThreadId == thread));
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Bounded.Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(5);
        }
    }
}
