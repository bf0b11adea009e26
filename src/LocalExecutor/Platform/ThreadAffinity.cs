using System;
using System.Globalization;

namespace ThreadPerCore.Platform;

/// <summary>
/// Pins the calling thread to CPUs and reads back where it may and does run. Every method acts on the
/// calling thread only; failures are reported as values, never thrown.
/// </summary>
/// <remarks>
/// Linux uses <c>sched_setaffinity</c>/<c>sched_getaffinity</c> with a full 1024-bit mask and <c>sched_getcpu</c>.
/// Windows uses <c>SetThreadAffinityMask</c> and is limited to CPUs 0-63 of processor group 0.
/// Other systems cannot pin threads.
/// </remarks>
internal static partial class ThreadAffinity
{
    /// <summary>Pins the calling thread to a single CPU.</summary>
    /// <param name="cpu">The CPU number.</param>
    /// <param name="error">Why pinning failed, including the OS error code; null on success.</param>
    /// <returns><see langword="true"/> when the thread now runs only on <paramref name="cpu"/>.</returns>
    public static bool TryPinCurrentThread(int cpu, out string? error)
    {
        if ((uint)cpu > CpuSet.MaxCpu)
        {
            error = string.Create(
                CultureInfo.InvariantCulture, $"Cannot pin to CPU {cpu}: CPU numbers run from 0 to {CpuSet.MaxCpu}.");
            return false;
        }

        return TrySetCurrentThreadAffinity(CpuSet.Of(cpu), out error);
    }

    /// <summary>Restricts the calling thread to a set of CPUs, for example to undo a pin with <see cref="SystemCpus.GetAvailableCpus"/>.</summary>
    /// <param name="cpus">The CPUs the thread may run on; must not be empty.</param>
    /// <param name="error">Why it failed, including the OS error code; null on success.</param>
    /// <returns><see langword="true"/> when the thread's affinity is now <paramref name="cpus"/>.</returns>
    public static bool TrySetCurrentThreadAffinity(CpuSet cpus, out string? error)
    {
        if (cpus.IsEmpty)
        {
            error = "Cannot restrict a thread to an empty CPU set.";
            return false;
        }

        if (OperatingSystem.IsLinux())
        {
            return TrySetLinux(cpus, out error);
        }

        if (OperatingSystem.IsWindows())
        {
            return TrySetWindows(cpus, out error);
        }

        error = $"Thread affinity is not supported on {Environment.OSVersion.Platform} ({Environment.OSVersion.VersionString}); only Linux and Windows can pin threads.";
        return false;
    }

    /// <summary>Gets the CPUs the calling thread may run on.</summary>
    /// <returns>The set, or null when the OS cannot tell.</returns>
    public static CpuSet? GetCurrentThreadAffinity()
    {
        if (OperatingSystem.IsLinux())
        {
            return GetLinux(pid: 0);
        }

        if (OperatingSystem.IsWindows())
        {
            return GetWindows();
        }

        return null;
    }

    /// <summary>Gets the CPU the calling thread is running on right now (it may move at any time unless pinned).</summary>
    /// <returns>The CPU number, or -1 when unknown.</returns>
    public static int GetCurrentCpu()
    {
        if (OperatingSystem.IsLinux())
        {
            return GetCurrentCpuLinux();
        }

        if (OperatingSystem.IsWindows())
        {
            return GetCurrentCpuWindows();
        }

        return -1;
    }

    /// <summary>
    /// Reads the <c>Cpus_allowed_list</c> line of <c>/proc/thread-self/status</c>: the calling thread's affinity as
    /// the kernel reports it, independent of the system calls used to set it.
    /// </summary>
    /// <returns>The list, for example <c>0-1</c>, or null when not on Linux or unreadable.</returns>
    public static string? ReadAllowedCpuListFromProcStatus() =>
        OperatingSystem.IsLinux() ? ReadAllowedCpuListLinux() : null;
}
