using System;
using ThreadPerCore.Platform.Native;

namespace ThreadPerCore.Platform;

/// <summary>What the operating system lets this process run on: which CPUs, how many, and how they are laid out.</summary>
public static class SystemCpus
{
    private const string SysfsCpuRoot = "/sys/devices/system/cpu";
    private const string SysfsNodeRoot = "/sys/devices/system/node";

    /// <summary>
    /// Gets how many threads this process can usefully run at once: the smaller of
    /// <see cref="Environment.ProcessorCount"/> and the number of CPUs in <see cref="GetAvailableCpus"/>.
    /// </summary>
    /// <remarks>
    /// Both are needed because each misses something the other sees. <see cref="Environment.ProcessorCount"/> folds in
    /// the container's CPU quota (cgroup <c>cpu.max</c>, so two CPUs' worth of time on a 64-CPU host gives 2) and the
    /// <c>DOTNET_PROCESSOR_COUNT</c> override, but it is read once at startup. The affinity mask is read now, so it
    /// sees a <c>taskset</c>/cpuset restriction applied later, yet knows nothing of quotas.
    /// Running more busy threads than this only makes them take turns.
    /// </remarks>
    public static int UsableCpuCount => Math.Min(Environment.ProcessorCount, GetAvailableCpus().Count);

    /// <summary>Gets the CPUs this process may run on.</summary>
    /// <remarks>
    /// On Linux this is the affinity mask of the process's main thread (<c>sched_getaffinity(getpid())</c>), not of the
    /// calling thread, which may itself be pinned to one CPU by an executor. The .NET runtime starts every new thread
    /// with this same mask. On Windows it is the process affinity mask (processor group 0). Elsewhere, or if the OS call
    /// fails, it is CPUs 0 to <see cref="Environment.ProcessorCount"/> - 1.
    /// </remarks>
    /// <returns>The CPUs; never empty.</returns>
    public static CpuSet GetAvailableCpus()
    {
        CpuSet? cpus = null;
        if (OperatingSystem.IsLinux())
        {
            cpus = ThreadAffinity.GetLinux(LinuxNative.GetPid());
        }
        else if (OperatingSystem.IsWindows()
            && WindowsNative.GetProcessAffinityMask(WindowsNative.GetCurrentProcess(), out nuint processMask, out _))
        {
            cpus = CpuSet.FromMask([(ulong)processMask]);
        }

        return cpus is { IsEmpty: false } available
            ? available
            : CpuSet.Range(0, Math.Min(Environment.ProcessorCount, CpuSet.MaxCpu + 1));
    }

    /// <summary>Gets the layout (core, package, NUMA node) of the CPUs in <see cref="GetAvailableCpus"/>.</summary>
    /// <remarks>
    /// On Linux it is read from sysfs. Elsewhere, or where sysfs cannot be read, each CPU is taken to be its own core
    /// in package 0 and NUMA node 0.
    /// </remarks>
    /// <returns>The topology of the available CPUs.</returns>
    public static CpuTopology GetTopology()
    {
        CpuSet cpus = GetAvailableCpus();
        return OperatingSystem.IsLinux()
            ? CpuTopology.ReadFrom(SysfsCpuRoot, SysfsNodeRoot, cpus)
            : CpuTopology.Flat(cpus);
    }
}
