using System;
using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.IO;
using ThreadPerCore.Tests.Platform;
using Xunit;
using static ThreadPerCore.Tests.IO.IoTestSupport;

namespace ThreadPerCore.Tests.IO;

/// <summary>A connection as <see cref="IDuplexPipe"/> and as <see cref="Stream"/>: continuations on the core, back
/// pressure, and the end of the stream in both directions.</summary>
public sealed class ConnectionPipeTests
{
    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Pipe_reads_and_flushes_resume_on_the_executor_and_echo_a_large_transfer(bool reactor)
    {
        const int Size = 4 * 1024 * 1024; // four times the pipe's pause threshold: back pressure both ways
        await using LocalExecutor executor = StartExecutor(nameof(Pipe_reads_and_flushes_resume_on_the_executor_and_echo_a_large_transfer), reactor);
        using LocalListener listener = await ListenAsync(executor);
        Task<(long, int, bool)> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            IDuplexPipe pipe = connection.Pipe;
            long echoed = 0;
            int offCore = 0;
            while (true)
            {
                ReadResult read = await pipe.Input.ReadAsync();
                offCore += executor.IsOwnerThread ? 0 : 1;
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    pipe.Output.Write(segment.Span);
                }

                echoed += read.Buffer.Length;
                pipe.Input.AdvanceTo(read.Buffer.End);
                await pipe.Output.FlushAsync();
                offCore += executor.IsOwnerThread ? 0 : 1;
                if (read.IsCompleted)
                {
                    break;
                }
            }

            await pipe.Output.CompleteAsync(); // sends the rest, then the end of the stream
            await pipe.Input.CompleteAsync();
            return (echoed, offCore, connection.IsReactorDriven);
        }).AsTask();

        byte[] payload = Enumerable.Range(0, Size).Select(i => (byte)(i % 251)).ToArray();
        using Socket client = Connect(listener.LocalEndPoint);
        Task send = Task.Run(() =>
        {
            client.Send(payload);
            client.Shutdown(SocketShutdown.Send);
        });
        byte[] echo = ReceiveExactly(client, Size);
        await send.Within("the client's send");
        client.Receive(new byte[1]).Should().Be(0, "completing the output pipe ends the stream");

        (long echoed, int offCore, bool driven) = await server.Within("the pipe server");
        driven.Should().Be(reactor);
        echoed.Should().Be(Size);
        offCore.Should().Be(0);
        echo.AsSpan().SequenceEqual(payload).Should().BeTrue();
    }

    [LinuxFact]
    public async Task A_warm_pipe_connection_allocates_nothing_per_request_on_the_core()
    {
        const int Warmup = 200;
        const int Measured = 2000;
        await using LocalExecutor executor = StartExecutor(nameof(A_warm_pipe_connection_allocates_nothing_per_request_on_the_core));
        using LocalListener listener = await ListenAsync(executor);
        Task<long> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            IDuplexPipe pipe = connection.Pipe;
            long start = 0;
            for (int request = 0; request < Warmup + Measured; request++)
            {
                if (request == Warmup)
                {
                    start = GC.GetAllocatedBytesForCurrentThread();
                }

                ReadResult read = await pipe.Input.ReadAsync();
                while (read.Buffer.Length < 32)
                {
                    pipe.Input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                    read = await pipe.Input.ReadAsync();
                }

                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    pipe.Output.Write(segment.Span);
                }

                pipe.Input.AdvanceTo(read.Buffer.End);
                await pipe.Output.FlushAsync();
            }

            return GC.GetAllocatedBytesForCurrentThread() - start;
        }).AsTask();

        using Socket client = Connect(listener.LocalEndPoint);
        var message = new byte[32];
        for (int i = 0; i < Warmup + Measured; i++)
        {
            client.Send(message);
            ReceiveExactly(client, message.Length);
        }

        (await server.Within("the pipe server")).Should().Be(0, "pipe buffers come from the core's pool and every await reuses its awaitable");
    }

    [LinuxFact]
    public async Task Hundreds_of_connections_ready_at_once_allocate_no_buffers_once_warm()
    {
        // One readiness batch fills a buffer for every ready connection before the application consumes any; a pool
        // with a ceiling (the shared ArrayPool keeps a few dozen per size) would allocate most of them every round.
        const int Connections = 256;
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(1) });
        LocalExecutor executor = pool[0];
        await using LocalServer server = await LocalServer.StartAsync(pool, AnyLoopbackPort, async (connection, stopping) =>
        {
            IDuplexPipe pipe = connection.Pipe;
            while (true)
            {
                ReadResult read = await pipe.Input.ReadAsync(CancellationToken.None);
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    pipe.Output.Write(segment.Span);
                }

                pipe.Input.AdvanceTo(read.Buffer.End);
                await pipe.Output.FlushAsync(CancellationToken.None);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        });

        Socket[] clients = Enumerable.Range(0, Connections).Select(_ => Connect(server.EndPoint)).ToArray();
        var message = new byte[64];
        void Round()
        {
            foreach (Socket client in clients)
            {
                client.Send(message);
            }

            foreach (Socket client in clients)
            {
                ReceiveExactly(client, message.Length);
            }
        }

        for (int i = 0; i < 5; i++)
        {
            Round();
        }

        long before = await executor.Spawn(() => GC.GetAllocatedBytesForCurrentThread()).Within("a reading");
        for (int i = 0; i < 10; i++)
        {
            Round();
        }

        long allocated = await executor.Spawn(() => GC.GetAllocatedBytesForCurrentThread()).Within("a reading") - before;
        foreach (Socket client in clients)
        {
            client.Dispose();
        }

        allocated.Should().BeLessThan(64 * 1024, $"{10 * Connections} requests in batches of up to {Connections} reuse the core's blocks ({allocated} B allocated)");
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_peer_reset_completes_the_input_pipe_with_the_socket_error(bool reactor)
    {
        await using LocalExecutor executor = StartExecutor(nameof(A_peer_reset_completes_the_input_pipe_with_the_socket_error), reactor);
        using LocalListener listener = await ListenAsync(executor);
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<Exception?> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            connection.IsReactorDriven.Should().Be(reactor);
            PipeReader input = connection.Pipe.Input;
            reading.SetResult();
            try
            {
                while (true)
                {
                    ReadResult read = await input.ReadAsync();
                    input.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted)
                    {
                        return null;
                    }
                }
            }
            catch (Exception e)
            {
                return e;
            }
        }).AsTask();

        using (Socket client = Connect(listener.LocalEndPoint))
        {
            await reading.Task.Within("the pipe to be read");
            client.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        }

        (await server.Within("the pipe to fail")).Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.ConnectionReset);
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Direct_operations_are_refused_once_the_pipe_owns_the_connection(bool reactor)
    {
        await using LocalExecutor executor = StartExecutor(nameof(Direct_operations_are_refused_once_the_pipe_owns_the_connection), reactor);
        using LocalListener listener = await ListenAsync(executor);
        Task<string> server = executor.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            connection.IsReactorDriven.Should().Be(reactor);
            _ = connection.Pipe;
            try
            {
                await connection.ReceiveAsync(new byte[1]);
                return "no exception";
            }
            catch (InvalidOperationException e)
            {
                return e.Message;
            }
        }).AsTask();

        using Socket client = Connect(listener.LocalEndPoint);
        (await server.Within("the server")).Should().Contain("pipe owns");
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_stream_adapter_reads_and_writes_asynchronously_and_refuses_blocking_reads(bool reactor)
    {
        await using LocalExecutor executor = StartExecutor(nameof(The_stream_adapter_reads_and_writes_asynchronously_and_refuses_blocking_reads), reactor);
        using LocalListener listener = await ListenAsync(executor);
        Task<(string, string)> server = executor.Spawn(async () =>
        {
            LocalConnection connection = await listener.AcceptAsync();
            connection.IsReactorDriven.Should().Be(reactor);
            await using Stream stream = connection.GetStream();
            using var reader = new StreamReader(stream, leaveOpen: true);
            string line = await reader.ReadLineAsync() ?? "";
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(line.ToUpperInvariant() + "\n"));
            string blocking;
            try
            {
#pragma warning disable CA1835, CA1849 // the blocking overload is what is being refused
                _ = stream.Read(new byte[1], 0, 1);
#pragma warning restore CA1835, CA1849
                blocking = "no exception";
            }
            catch (NotSupportedException e)
            {
                blocking = e.Message;
            }

            return (line, blocking);
        }).AsTask();

        using Socket client = Connect(listener.LocalEndPoint);
        client.Send("shout\n"u8.ToArray());
        System.Text.Encoding.ASCII.GetString(ReceiveExactly(client, 6)).Should().Be("SHOUT\n");
        (string line, string blocking) = await server.Within("the stream server");
        line.Should().Be("shout");
        blocking.Should().Contain("stall the executor");
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_connection_made_from_an_executor_works_as_a_stream_against_a_pipe_server_on_the_core(bool reactor)
    {
        await using LocalExecutor server = StartExecutor(nameof(A_connection_made_from_an_executor_works_as_a_stream_against_a_pipe_server_on_the_core) + "-server", reactor);
        await using LocalExecutor clientExecutor = StartExecutor(nameof(A_connection_made_from_an_executor_works_as_a_stream_against_a_pipe_server_on_the_core) + "-client", reactor);
        using LocalListener listener = await ListenAsync(server);
        Task<(bool, int)> serve = server.Spawn(async () =>
        {
            using LocalConnection connection = await listener.AcceptAsync();
            IDuplexPipe pipe = connection.Pipe;
            int offCore = 0;
            while (true)
            {
                ReadResult read = await pipe.Input.ReadAsync();
                offCore += server.IsOwnerThread ? 0 : 1;
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    pipe.Output.Write(segment.Span); // echo
                }

                pipe.Input.AdvanceTo(read.Buffer.End);
                await pipe.Output.FlushAsync();
                offCore += server.IsOwnerThread ? 0 : 1;
                if (read.IsCompleted)
                {
                    break;
                }
            }

            await pipe.Output.CompleteAsync();
            return (connection.IsReactorDriven, offCore);
        }).AsTask();

        (bool driven, int offCore, string echoed, int atEnd) = await clientExecutor.Spawn(async () =>
        {
            await using LocalConnection connection = await LocalConnection.ConnectAsync(listener.LocalEndPoint);
            int off = clientExecutor.IsOwnerThread ? 0 : 1;
            await using Stream stream = connection.GetStream(ownsConnection: false);
            await stream.WriteAsync("ping pong\n"u8.ToArray());
            off += clientExecutor.IsOwnerThread ? 0 : 1;
            var buffer = new byte[10];
            int read = 0;
            while (read < buffer.Length)
            {
                int n = await stream.ReadAsync(buffer.AsMemory(read));
                off += clientExecutor.IsOwnerThread ? 0 : 1;
                n.Should().BePositive("the server echoes all ten bytes before it ends the stream");
                read += n;
            }

            connection.ShutdownSend(); // the server's pipe reads its end, completes its output, and ends ours
            int end = await stream.ReadAsync(buffer);
            off += clientExecutor.IsOwnerThread ? 0 : 1;
            return (connection.IsReactorDriven, off, System.Text.Encoding.ASCII.GetString(buffer), end);
        }).Within("the client");

        (driven, offCore, echoed, atEnd).Should().Be((reactor, 0, "ping pong\n", 0));
        (await serve.Within("the pipe server")).Should().Be((reactor, 0));
    }
}
