using System.Runtime.InteropServices;

namespace ThreadPerCore.Platform.Native;

/// <summary>The few glibc/musl functions the platform layer calls on Linux.</summary>
/// <remarks>
/// The runtime maps the library name <c>libc</c> to the C library itself (<c>libc.so.6</c> on glibc), so the
/// <c>libc.so</c> linker script of a development install is never loaded by mistake.
/// </remarks>
internal static unsafe partial class LinuxNative
{
    private const string LibC = "libc";

    /// <summary><c>int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)</c>; pid 0 is the calling thread.</summary>
    [LibraryImport(LibC, EntryPoint = "sched_setaffinity", SetLastError = true)]
    internal static partial int SchedSetAffinity(int pid, nuint cpuSetSize, ulong* mask);

    /// <summary><c>int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask)</c>; pid 0 is the calling thread.</summary>
    [LibraryImport(LibC, EntryPoint = "sched_getaffinity", SetLastError = true)]
    internal static partial int SchedGetAffinity(int pid, nuint cpuSetSize, ulong* mask);

    /// <summary><c>int sched_getcpu(void)</c>: the CPU the calling thread runs on, or -1.</summary>
    [LibraryImport(LibC, EntryPoint = "sched_getcpu", SetLastError = true)]
    internal static partial int SchedGetCpu();

    /// <summary><c>pid_t getpid(void)</c>: the process id, which is also the thread id of the main thread.</summary>
    [LibraryImport(LibC, EntryPoint = "getpid")]
    internal static partial int GetPid();

    /// <summary>The <c>CLOCK_THREAD_CPUTIME_ID</c> clock: CPU time consumed by the calling thread.</summary>
    internal const int ClockThreadCpuTimeId = 3;

    /// <summary><c>int clock_gettime(clockid_t, struct timespec *)</c>. Short and non-blocking (a system call for the
    /// thread CPU clock, which the vDSO does not serve), so the GC transition is skipped.</summary>
    [LibraryImport(LibC, EntryPoint = "clock_gettime")]
    [SuppressGCTransition]
    internal static partial int ClockGetTime(int clockId, out TimeSpec time);

    /// <summary><c>struct timespec</c> with the C library's native <c>time_t</c> and <c>long</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeSpec
    {
        /// <summary>Seconds.</summary>
        public nint Seconds;

        /// <summary>Nanoseconds, 0 to 999,999,999.</summary>
        public nint Nanoseconds;
    }
}
