using System;
using System.Runtime.InteropServices;

namespace ThreadPerCore.Platform;

/// <summary>
/// The operating system's id of the calling thread (Linux <c>gettid</c>): the name of the thread under
/// <c>/proc/self/task/</c>, where the kernel accounts its CPU time. Managed thread ids and
/// <c>Thread.ManagedThreadId</c> have no relation to it.
/// </summary>
internal static partial class ThreadIds
{
    /// <summary>The calling thread's kernel id on Linux; -1 elsewhere or if the call is unavailable.</summary>
    public static int TryGetCurrentOsThreadId()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        try
        {
            return GetTid();
        }
        catch (EntryPointNotFoundException)
        {
            return -1; // a C library older than glibc 2.30 has no gettid wrapper
        }
        catch (DllNotFoundException)
        {
            return -1;
        }
    }

    /// <summary><c>pid_t gettid(void)</c> (glibc 2.30+, musl).</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();
}
