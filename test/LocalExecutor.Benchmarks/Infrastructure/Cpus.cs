using System;
using System.Linq;
using System.Threading;
using ThreadPerCore.Platform;

namespace ThreadPerCore.Benchmarks.Infrastructure;

/// <summary>
/// Which CPU each thread of a benchmark gets. The machine this was written for has two cores: the driver (the
/// BenchmarkDotNet thread that starts work and waits for it) takes the first, the executor under test, and every
/// peer's dedicated thread, the second, so the thread being measured never shares its core with the driver.
/// The thread pool and the ConcurrentExclusiveSchedulerPair keep the process affinity (both cores): that is what a
/// user of them gets.
/// </summary>
internal static class Cpus
{
    private static readonly int[] s_available = SystemCpus.GetAvailableCpus().ToArray();

    /// <summary>The driver's CPU.</summary>
    public static int Driver => s_available[0];

    /// <summary>The CPU of the thread under test (the executor, AsyncContextThread, the vs-threading main thread).</summary>
    public static int Worker => s_available.Length > 1 ? s_available[1] : s_available[0];

    /// <summary>Pins the calling thread or throws: a benchmark that silently ran unpinned would report wrong numbers.</summary>
    public static void PinCurrentThread(int cpu)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            return; // no pinning API: the numbers are still valid, only noisier
        }

        if (!ThreadAffinity.TryPinCurrentThread(cpu, out string? error))
        {
            throw new InvalidOperationException($"Could not pin the benchmark thread to CPU {cpu}: {error}");
        }
    }

    /// <summary>
    /// Pins the driver thread; called from each [GlobalSetup] (it runs on the thread that runs the benchmark). Never
    /// the process's main thread: on Linux the CPUs available to the process are read from the main thread's mask
    /// (<see cref="SystemCpus.GetAvailableCpus"/>), so pinning it would make CPU 1 "unavailable" to the executors.
    /// Program runs BenchmarkDotNet on a thread of its own for this reason.
    /// </summary>
    public static void PinDriver()
    {
        Check.True(Environment.CurrentManagedThreadId != MainThreadId, "the driver must not be the main thread (see Program)");
        PinCurrentThread(Driver);
        VerifyNewThreadsAreUnpinned();
    }

    /// <summary>The managed id of the process's main thread, recorded by Program.</summary>
    public static int MainThreadId { get; set; } = -1;

    /// <summary>
    /// Thread-pool threads created after the driver was pinned must still get every CPU, or the thread-pool peers
    /// would be measured on one core. The runtime starts new threads with the process mask; this checks it.
    /// </summary>
    private static void VerifyNewThreadsAreUnpinned()
    {
        CpuSet? allowed = null;
        var probe = new Thread(() => allowed = ThreadCpu.Allowed);
        probe.Start();
        probe.Join();
        Check.True(allowed is null || allowed.Value.Count == s_available.Length, $"a new thread inherited the driver's CPU mask ({allowed})");
    }

    /// <summary>Options of an executor pinned to <paramref name="cpu"/>.</summary>
    public static LocalExecutorOptions Pinned(int cpu, TimeSpan spinBeforePark = default, string? name = null) => new()
    {
        Placement = Placement.Fixed(cpu),
        SpinBeforePark = spinBeforePark,
        Name = name,
    };
}
