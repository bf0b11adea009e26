using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using ThreadPerCore.Platform.Native;

namespace ThreadPerCore.Platform;

// The Windows half of ThreadAffinity: processor group 0 only, so CPUs 0-63.
internal static partial class ThreadAffinity
{
    private const int WindowsMaxCpu = 63;

    [SupportedOSPlatform("windows")]
    private static bool TrySetWindows(CpuSet cpus, out string? error)
    {
        if (cpus.Max > WindowsMaxCpu)
        {
            error = string.Create(
                CultureInfo.InvariantCulture,
                $"Cannot restrict a thread to CPUs {cpus}: on Windows only CPUs 0-{WindowsMaxCpu} of processor group 0 are supported.");
            return false;
        }

        Span<ulong> mask = stackalloc ulong[1];
        cpus.CopyTo(mask);
        if (WindowsNative.SetThreadAffinityMask(WindowsNative.GetCurrentThread(), (nuint)mask[0]) == 0)
        {
            int code = Marshal.GetLastPInvokeError();
            error = string.Create(
                CultureInfo.InvariantCulture,
                $"SetThreadAffinityMask to CPUs {cpus} failed with error {code} ({Marshal.GetPInvokeErrorMessage(code)}).");
            return false;
        }

        error = null;
        return true;
    }

    [SupportedOSPlatform("windows")]
    private static CpuSet? GetWindows()
    {
        int status = WindowsNative.NtQueryInformationThread(
            WindowsNative.GetCurrentThread(),
            WindowsNative.ThreadBasicInformationClass,
            out WindowsNative.ThreadBasicInformation information,
            Marshal.SizeOf<WindowsNative.ThreadBasicInformation>(),
            out _);
        if (status != 0 || information.AffinityMask == 0)
        {
            return null;
        }

        return CpuSet.FromMask([(ulong)information.AffinityMask]);
    }

    [SupportedOSPlatform("windows")]
    private static int GetCurrentCpuWindows() => (int)WindowsNative.GetCurrentProcessorNumber();
}
