using System;
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

/// <summary>Faults and bad input on reactor-driven sockets: each ends with a clear exception or a clean end of stream,
/// never a hang or a lost descriptor (and no signal, because the runtime ignores SIGPIPE: see the broken-pipe test).</summary>
public sealed class ReactorFaultTests
{
    [LinuxFact]
    public async Task A_peer_reset_fails_the_waiting_receive_with_connection_reset()
    {
        await using LocalExecutor executor = StartExecutor(nameof(A_peer_reset_fails_the_waiting_receive_with_connection_reset));
        using LocalListener listener = await ListenAsync(executor);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<Exception?> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            ValueTask<int> receive = connection.ReceiveAsync(new byte[16]);
            waiting.SetResult();
            try
            {
                await receive;
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }).AsTask();

        using (Socket client = Connect(listener.LocalEndPoint))
        {
            await waiting.Task.Within("the server to wait in a receive");
            client.LingerState = new LingerOption(true, 0);
        }

        Exception? failure = await server.Within("the receive to end");
        failure.Should().BeOfType<SocketException>().Which.SocketErrorCode.Should().Be(SocketError.ConnectionReset);
    }

    [LinuxFact]
    public async Task A_half_close_ends_the_stream_and_the_other_direction_goes_on()
    {
        await using LocalExecutor executor = StartExecutor(nameof(A_half_close_ends_the_stream_and_the_other_direction_goes_on));
        using LocalListener listener = await ListenAsync(executor);
        Task<int> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            var buffer = new byte[64];
            int total = 0;
            int n;
            while ((n = await connection.ReceiveAsync(buffer.AsMemory(total))) != 0)
            {
                total += n;
            }

            await connection.SendAsync(buffer.AsMemory(0, total)); // the client still reads after its half-close
            connection.ShutdownSend();
            return total;
        }).AsTask();

        using Socket client = Connect(listener.LocalEndPoint);
        client.Send("hello, half"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        ReceiveExactly(client, 11).Should().Equal("hello, half"u8.ToArray());
        client.Receive(new byte[1]).Should().Be(0, "the server shut down its side after replying");
        (await server.Within("the server")).Should().Be(11);
    }

    [LinuxFact]
    public async Task An_end_of_stream_in_the_middle_of_a_message_returns_the_part_then_zero()
    {
        await using LocalExecutor executor = StartExecutor(nameof(An_end_of_stream_in_the_middle_of_a_message_returns_the_part_then_zero));
        using LocalListener listener = await ListenAsync(executor);
        Task<(int, int)> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            var buffer = new byte[10];
            int got = 0;
            int n;
            while ((n = await connection.ReceiveAsync(buffer.AsMemory(got))) != 0)
            {
                got += n;
            }

            return (got, await connection.ReceiveAsync(buffer)); // reading past the end keeps answering 0
        }).AsTask();

        using (Socket client = Connect(listener.LocalEndPoint))
        {
            client.Send(new byte[5]);
        }

        (await server.Within("the server")).Should().Be((5, 0));
    }

    [LinuxFact]
    public async Task Sending_to_a_peer_that_went_away_fails_with_a_socket_error()
    {
        await using LocalExecutor executor = StartExecutor(nameof(Sending_to_a_peer_that_went_away_fails_with_a_socket_error));
        using LocalListener listener = await ListenAsync(executor);
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var peerGone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<Exception?> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            accepted.SetResult();
            await peerGone.Task;
            try
            {
                for (int i = 0; i < 100; i++)
                {
                    await connection.SendAsync(new byte[1024]); // the first may still be taken by the kernel; then EPIPE/ECONNRESET
                }

                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }).AsTask();

        using (Socket client = Connect(listener.LocalEndPoint))
        {
            await accepted.Task.Within("the accept");
            client.LingerState = new LingerOption(true, 0);
        }

        peerGone.SetResult();
        Exception? failure = await server.Within("the sends to fail");
        failure.Should().BeOfType<SocketException>().Which.SocketErrorCode.Should().BeOneOf(SocketError.ConnectionReset, SocketError.Shutdown);
        (await executor.Spawn(() => 42).Within("the executor after the failed send")).Should().Be(42);
    }

    /// <remarks>What keeps a broken pipe from killing the process is not this library: its sends go through
    /// <c>Socket.Send</c>, which calls <c>send(fd, buffer, length, 0)</c> with no <c>MSG_NOSIGNAL</c> (strace shows
    /// <c>sendto(…, 0, NULL, 0) = -1 EPIPE</c>), and the kernel raises <c>SIGPIPE</c> with every <c>EPIPE</c>. The
    /// .NET runtime sets <c>SIGPIPE</c> to ignored when it starts, for every process. So this test checks that premise
    /// and then that an <c>EPIPE</c> (a send after our own half-close) reaches the caller as a
    /// <see cref="SocketException"/> and the executor goes on; were the signal not ignored, the test host would die.</remarks>
    [LinuxFact]
    public async Task A_broken_pipe_fails_the_send_with_shutdown_and_the_process_survives_because_the_runtime_ignores_SIGPIPE()
    {
        (IgnoredSignals() & SigPipeBit).Should().Be(SigPipeBit, "the runtime ignores SIGPIPE; the library sends without MSG_NOSIGNAL and relies on it");
        await using LocalExecutor executor = StartExecutor(nameof(A_broken_pipe_fails_the_send_with_shutdown_and_the_process_survives_because_the_runtime_ignores_SIGPIPE));
        using LocalListener listener = await ListenAsync(executor);
        Task<Exception?> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            connection.ShutdownSend();
            try
            {
                await connection.SendAsync(new byte[16]); // EPIPE: the sending side is shut down
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }).AsTask();

        using Socket client = Connect(listener.LocalEndPoint);
        (await server.Within("the send after the half-close")).Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.Shutdown, "EPIPE is the error the kernel pairs with SIGPIPE");
        (await executor.Spawn(() => 42).Within("the executor after the broken pipe")).Should().Be(42);
    }

    [LinuxFact]
    public async Task A_large_send_to_a_slow_reader_completes_once_the_reader_took_everything()
    {
        const int Size = 16 * 1024 * 1024;
        await using LocalExecutor executor = StartExecutor(nameof(A_large_send_to_a_slow_reader_completes_once_the_reader_took_everything));
        using LocalListener listener = await ListenAsync(executor);
        byte[] payload = Enumerable.Range(0, Size).Select(i => (byte)(i * 7)).ToArray();
        Task server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            await connection.SendAsync(payload); // far larger than the socket buffer: many partial writes and write edges
            connection.ShutdownSend();
        }).AsTask();

        using Socket client = Connect(listener.LocalEndPoint);
        byte[] received = ReceiveExactly(client, Size);
        await server.Within("the large send");
        received.AsSpan().SequenceEqual(payload).Should().BeTrue();
    }

    [LinuxFact]
    public async Task Operations_from_another_thread_or_after_dispose_fail_clearly()
    {
        await using LocalExecutor executor = StartExecutor(nameof(Operations_from_another_thread_or_after_dispose_fail_clearly));
        using LocalListener listener = await ListenAsync(executor);
        Task<LocalConnection> accept = executor.Spawn(async () => await listener.AcceptAsync()).AsTask();
        using Socket client = Connect(listener.LocalEndPoint);
        LocalConnection connection = await accept.Within("the accept");

        Func<Task> foreignReceive = async () => await connection.ReceiveAsync(new byte[1]);
        (await foreignReceive.Should().ThrowAsync<InvalidOperationException>()).WithMessage($"*thread of executor '{executor.Name}'*");

        await executor.OnExecutor(() => connection.Dispose());
        Exception? afterDispose = await executor.Spawn(async () =>
        {
            try
            {
                await connection.ReceiveAsync(new byte[1]);
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }).Within("a receive on the closed connection");
        afterDispose.Should().BeOfType<ObjectDisposedException>().Which.Message.Should().Contain("was closed");
    }

    [LinuxFact]
    public async Task A_second_receive_while_one_is_in_flight_is_refused()
    {
        await using LocalExecutor executor = StartExecutor(nameof(A_second_receive_while_one_is_in_flight_is_refused));
        using LocalListener listener = await ListenAsync(executor);
        var tried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<string> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            ValueTask<int> first = connection.ReceiveAsync(new byte[4]); // the client sends nothing yet: this one waits
            string message;
            try
            {
#pragma warning disable CA2012 // the second receive must throw before it returns anything to await
                _ = connection.ReceiveAsync(new byte[4]);
#pragma warning restore CA2012
                message = "no exception";
            }
            catch (InvalidOperationException e)
            {
                message = e.Message;
            }

            tried.SetResult();
            await first;
            return message;
        }).AsTask();

        using Socket client = Connect(listener.LocalEndPoint);
        await tried.Task.Within("the second receive to be tried");
        client.Send(new byte[4]);
        (await server.Within("the server")).Should().Contain("already in progress");
    }

    [LinuxFact]
    public async Task A_token_cancelled_on_another_thread_ends_a_waiting_receive_and_loses_no_data()
    {
        await using LocalExecutor executor = StartExecutor(nameof(A_token_cancelled_on_another_thread_ends_a_waiting_receive_and_loses_no_data));
        using LocalListener listener = await ListenAsync(executor);
        using var cancel = new CancellationTokenSource();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<(bool, int, byte)> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            var buffer = new byte[4];
            ValueTask<int> receive = connection.ReceiveAsync(buffer, cancel.Token);
            waiting.SetResult();
            bool cancelled = false;
            try
            {
                await receive;
            }
            catch (OperationCanceledException)
            {
                cancelled = executor.IsOwnerThread;
            }

            int n = await connection.ReceiveAsync(buffer); // the data sent after the cancellation is still there
            return (cancelled, n, buffer[0]);
        }).AsTask();

        using Socket client = Connect(listener.LocalEndPoint);
        await waiting.Task.Within("the receive to wait");
        await cancel.CancelAsync();
        client.Send([9]);
        (await server.Within("the server")).Should().Be((true, 1, (byte)9));
    }

    [LinuxFact]
    public async Task Connecting_from_an_executor_completes_on_it_and_a_refused_connect_says_so()
    {
        await using LocalExecutor server = StartExecutor(nameof(Connecting_from_an_executor_completes_on_it_and_a_refused_connect_says_so) + "-server");
        await using LocalExecutor clientExecutor = StartExecutor(nameof(Connecting_from_an_executor_completes_on_it_and_a_refused_connect_says_so) + "-client");
        using LocalListener listener = await ListenAsync(server);
        Task<byte> serve = server.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            var buffer = new byte[1];
            await connection.ReceiveAsync(buffer);
            await connection.SendAsync(new[] { (byte)(buffer[0] + 1) });
            return buffer[0];
        }).AsTask();

        (bool driven, bool onOwner, byte reply) = await clientExecutor.Spawn(async () =>
        {
            await using LocalConnection connection = await LocalConnection.ConnectAsync(listener.LocalEndPoint);
            bool owner = clientExecutor.IsOwnerThread;
            await connection.SendAsync(new byte[] { 41 });
            var buffer = new byte[1];
            await connection.ReceiveAsync(buffer);
            return (connection.IsReactorDriven, owner && clientExecutor.IsOwnerThread, buffer[0]);
        }).Within("the client");
        (driven, onOwner, reply).Should().Be((true, true, (byte)42));
        (await serve.Within("the server")).Should().Be((byte)41);

        var closedPort = new IPEndPoint(IPAddress.Loopback, listener.LocalEndPoint is IPEndPoint ep ? ep.Port : 0);
        listener.Dispose();
        await server.Drain();
        Func<Task> refused = () => clientExecutor.Spawn(async () => await LocalConnection.ConnectAsync(closedPort)).AsTask();
        (await refused.Should().ThrowAsync<SocketException>()).Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
    }

    private const ulong SigPipeBit = 1UL << (13 - 1); // SIGPIPE is signal 13; SigIgn's bit n-1 is signal n

    /// <summary>The process's ignored signals, from the <c>SigIgn</c> mask in <c>/proc/self/status</c>.</summary>
    private static ulong IgnoredSignals()
    {
        string line = System.IO.File.ReadLines("/proc/self/status").Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return ulong.Parse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    }
}
