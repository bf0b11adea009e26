using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using ThreadPerCore.IO;

namespace ThreadPerCore.Probes;

/// <summary>
/// A listener whose process runs out of descriptors: three connections wait in the kernel's queue, the descriptor
/// limit is lowered to what is open, and the accept loop starts. It must back off (not spin, not fail), keep the
/// executor serving, and accept all three once descriptors are back.
/// </summary>
/// <remarks>The .NET runtime aborts the process if it must create a thread while no descriptor is left, so the probe
/// runs alone, with tiered compilation and background GC off (their threads start lazily), entirely on its main
/// thread (no awaits, no thread pool) which waits by sleeping.</remarks>
internal static class DescriptorExhaustion
{
    public static int Run()
    {
        using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "probe" });
        LocalListener? listener = null;
        executor.Post(() => listener = LocalListener.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        WaitFor(() => Volatile.Read(ref listener) is not null);

        Socket[] clients = new Socket[3];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            clients[i].Connect(listener!.LocalEndPoint); // completes in the kernel; nothing accepts yet
        }

        Console.WriteLine("scenario=descriptor-exhaustion"); // opens standard output now: nothing may be opened later
        int accepted = 0;
        int acceptedWhileExhausted;
        int responsive = 0;
        ExecutorStats before;
        ExecutorStats after;
        using (DescriptorLimit.LowerTo(Directory.GetFiles("/proc/self/fd").Length - 1)) // the listing's own descriptor is closed again
        using (DescriptorLimit.FillRemaining())
        {
            _ = executor.Spawn(async () =>
            {
                for (int i = 0; i < clients.Length; i++)
                {
                    using LocalConnection connection = await listener!.AcceptAsync();
                    Interlocked.Increment(ref accepted);
                }
            });

            WaitFor(() => listener!.DescriptorExhaustions >= 3);
            before = executor.GetStats();
            WaitFor(() => listener!.DescriptorExhaustions >= 5);
            after = executor.GetStats();
            executor.Post(() => Volatile.Write(ref responsive, 1));
            WaitFor(() => Volatile.Read(ref responsive) == 1);
            acceptedWhileExhausted = Volatile.Read(ref accepted);
        }

        Console.WriteLine($"accepted-while-exhausted={acceptedWhileExhausted}");
        WaitFor(() => Volatile.Read(ref accepted) == clients.Length);
        Console.WriteLine($"exhaustions={listener!.DescriptorExhaustions}");
        Console.WriteLine($"tasks-run-between-retries={after.TasksRun - before.TasksRun}");
        Console.WriteLine($"responsive={responsive}");
        Console.WriteLine($"accepted-after-recovery={Volatile.Read(ref accepted)}");
        foreach (Socket client in clients)
        {
            client.Dispose();
        }

        listener.Dispose();
        return 0;
    }

    private static void WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The condition did not hold within 30 s.");
            }

            Thread.Sleep(5);
        }
    }
}
