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
/// executor serving, and accept all three once descriptors are back. It reports how many tries the loop made in a
/// window it measured, so the test can check that the tries were spaced by the back-off.
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
        int exhaustionsInWindow;
        long windowTicks;
        using (DescriptorLimit.LowerTo(Directory.GetFiles("/proc/self/fd").Length - 1)) // the listing's own descriptor is closed again
        using (DescriptorLimit.FillRemaining())
        {
            // The window starts before the accept loop, so every try it makes falls inside it.
            long windowStart = Stopwatch.GetTimestamp();
            _ = executor.Spawn(async () =>
            {
                for (int i = 0; i < clients.Length; i++)
                {
                    using LocalConnection connection = await listener!.AcceptAsync();
                    Interlocked.Increment(ref accepted);
                }
            });

            // At least 5 tries and 500 ms: with the back-off (10 ms, doubling) that is 6 or 7 tries; a loop that retried
            // without sleeping would make thousands.
            WaitFor(() => listener!.DescriptorExhaustions >= 5 && Stopwatch.GetElapsedTime(windowStart) >= TimeSpan.FromMilliseconds(500));
            exhaustionsInWindow = (int)listener!.DescriptorExhaustions;
            windowTicks = Stopwatch.GetTimestamp() - windowStart; // read after the count: the tries counted all fell inside
            executor.Post(() => Volatile.Write(ref responsive, 1));
            WaitFor(() => Volatile.Read(ref responsive) == 1);
            acceptedWhileExhausted = Volatile.Read(ref accepted);
        }

        Console.WriteLine($"accepted-while-exhausted={acceptedWhileExhausted}");
        WaitFor(() => Volatile.Read(ref accepted) == clients.Length);
        Console.WriteLine($"exhaustions-in-window={exhaustionsInWindow}");
        Console.WriteLine($"window-us={windowTicks * 1_000_000 / Stopwatch.Frequency}");
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
