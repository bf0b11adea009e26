using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using ThreadPerCore.Benchmarks.Infrastructure;
using ThreadPerCore.IO;

namespace ThreadPerCore.Benchmarks.Workloads;

/// <summary>
/// Workload 7: TCP echo over loopback. The driver thread (CPU 0) is a plain blocking client that sends 32 bytes and
/// waits for them to come back; the server side differs: a <see cref="LocalConnection"/> on a pinned executor
/// (CPU 1) driven by its reactor, the same connection on .NET's asynchronous sockets (completions reach the executor
/// through the runtime's I/O thread and the inbox), and a plain async socket server on the thread pool. One
/// operation is one round trip.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("W7")]
public class W7_TcpEcho
{
    public const int RoundTrips = 10_000;
    private const int MessageSize = 32;

    private readonly byte[] _message = new byte[MessageSize];
    private readonly byte[] _reply = new byte[MessageSize];
    private LocalExecutor _executor = null!;
    private Socket _threadPoolListener = null!;
    private Socket _reactorClient = null!;
    private Socket _dotNetClient = null!;
    private Socket _threadPoolClient = null!;
    private Task _threadPoolServer = null!;

    [GlobalSetup]
    public void Setup()
    {
        Cpus.PinDriver();
        _executor = new LocalExecutor(Cpus.Pinned(Cpus.Worker, name: "bench-echo"));
        Check.True(_executor.HasReactor || !OperatingSystem.IsLinux(), "the executor has no reactor: " + _executor.ReactorUnavailableReason);
        _reactorClient = StartLocalServer(SocketTransport.Auto);
        _dotNetClient = StartLocalServer(SocketTransport.DotNetSockets);

        _threadPoolListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _threadPoolListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _threadPoolListener.Listen();
        _threadPoolServer = Task.Run(async () =>
        {
            using Socket connection = await _threadPoolListener.AcceptAsync();
            connection.NoDelay = true;
            var buffer = new byte[MessageSize];
            while (await ReceiveAllAsync(connection, buffer))
            {
                await connection.SendAsync(buffer, SocketFlags.None);
            }
        });
        _threadPoolClient = Connect(_threadPoolListener.LocalEndPoint!);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reactorClient.Dispose();
        _dotNetClient.Dispose();
        _threadPoolClient.Dispose();
        _threadPoolServer.Wait(TimeSpan.FromSeconds(10));
        _threadPoolListener.Dispose();
        _executor.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public int ThreadPool() => Drive(_threadPoolClient);

    /// <summary><see cref="LocalConnection"/> on .NET's asynchronous sockets: two thread hops per read.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int Local_DotNetSockets() => Drive(_dotNetClient);

    /// <summary><see cref="LocalConnection"/> on the executor's reactor: readiness observed on the core.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int Local_Reactor() => Drive(_reactorClient);

    private int Drive(Socket client)
    {
        int echoed = 0;
        for (int i = 0; i < RoundTrips; i++)
        {
            client.Send(_message);
            int read = 0;
            while (read < MessageSize)
            {
                read += client.Receive(_reply, read, MessageSize - read, SocketFlags.None);
            }

            echoed++;
        }

        return Check.Equal(echoed, RoundTrips, "round trips");
    }

    private Socket StartLocalServer(SocketTransport transport)
    {
        LocalListener listener = _executor.Spawn(() => LocalListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), new LocalListenerOptions { Transport = transport }))
            .AsTask().GetAwaiter().GetResult();
        _executor.Post(() => _ = EchoAsync(listener)); // the echo loop starts on the executor and runs until the client leaves
        return Connect(listener.LocalEndPoint);
    }

    private static async LocalTask EchoAsync(LocalListener listener)
    {
        using LocalConnection connection = await listener.AcceptAsync();
        listener.Dispose();
        var buffer = new byte[MessageSize];
        while (true)
        {
            int read = 0;
            while (read < MessageSize)
            {
                int n = await connection.ReceiveAsync(buffer.AsMemory(read));
                if (n == 0)
                {
                    return;
                }

                read += n;
            }

            await connection.SendAsync(buffer);
        }
    }

    private static async Task<bool> ReceiveAllAsync(Socket socket, byte[] buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private static Socket Connect(EndPoint endPoint)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(endPoint);
        return client;
    }
}
