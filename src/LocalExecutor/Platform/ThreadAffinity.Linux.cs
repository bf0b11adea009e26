using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using ThreadPerCore.Platform.Native;

namespace ThreadPerCore.Platform;

// The Linux half of ThreadAffinity.
internal static partial class ThreadAffinity
{
    private const string ThreadStatusPath = "/proc/thread-self/status";
    private const string AllowedListKey = "Cpus_allowed_list:";

    /// <summary>Reads the affinity of a thread: 0 is the calling thread, a process id is that process's main thread.</summary>
    /// <param name="pid">The thread id.</param>
    /// <returns>The set, or null if the call failed.</returns>
    [SupportedOSPlatform("linux")]
    internal static unsafe CpuSet? GetLinux(int pid)
    {
        ulong* mask = stackalloc ulong[CpuSet.MaskWords];
        new Span<ulong>(mask, CpuSet.MaskWords).Clear();
        if (LinuxNative.SchedGetAffinity(pid, CpuSet.MaskBytes, mask) != 0)
        {
            return null;
        }

        return CpuSet.FromMask(new ReadOnlySpan<ulong>(mask, CpuSet.MaskWords));
    }

    [SupportedOSPlatform("linux")]
    private static unsafe bool TrySetLinux(CpuSet cpus, out string? error)
    {
        ulong* mask = stackalloc ulong[CpuSet.MaskWords];
        cpus.CopyTo(new Span<ulong>(mask, CpuSet.MaskWords));
        if (LinuxNative.SchedSetAffinity(0, CpuSet.MaskBytes, mask) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            error = string.Create(
                CultureInfo.InvariantCulture,
                $"sched_setaffinity to CPUs {cpus} failed with errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)}).");
            return false;
        }

        error = null;
        return true;
    }

    [SupportedOSPlatform("linux")]
    private static int GetCurrentCpuLinux()
    {
        int cpu = LinuxNative.SchedGetCpu();
        return cpu >= 0 ? cpu : -1;
    }

    [SupportedOSPlatform("linux")]
    private static string? ReadAllowedCpuListLinux()
    {
        try
        {
            foreach (string line in File.ReadLines(ThreadStatusPath))
            {
                if (line.StartsWith(AllowedListKey, StringComparison.Ordinal))
                {
                    return line[AllowedListKey.Length..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
