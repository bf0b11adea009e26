using System;
using System.Diagnostics;
using ThreadPerCore.Platform.Native;

namespace ThreadPerCore.Platform;

/// <summary>
/// The calling thread's CPU time, in <see cref="Stopwatch"/> ticks: a clock that stands still while the operating
/// system runs other threads on the CPU. Task-queue shares are charged with it, so time stolen from the executor by
/// another thread is billed to nobody (a wall clock would bill it to whichever queue happened to be running).
/// </summary>
/// <remarks>
/// <para>Linux: <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, nanoseconds. The vDSO does not serve this clock, so each
/// read is a system call (about 0.25 µs on a KVM guest, against 0.03 µs for the monotonic clock): the run loop reads it
/// only around the slices of an executor with several task queues, twice per slice.</para>
/// <para>Windows: <c>QueryThreadCycleTime</c>, which counts time-stamp-counter cycles while the thread runs (its
/// <c>GetThreadTimes</c> advances only at clock interrupts, 15.6 ms, too coarse for a slice). The counter's rate is
/// measured once against <see cref="Stopwatch"/> on first use.</para>
/// <para>Elsewhere, or if the call fails, <see cref="IsCpuTime"/> is false and the clock is <see cref="Stopwatch.GetTimestamp"/>.</para>
/// </remarks>
internal static class ThreadCpuClock
{
    private static readonly Source s_source = Probe();
    private static readonly double s_ticksPerUnit = s_source switch
    {
        Source.Linux => Stopwatch.Frequency / 1e9,
        Source.Windows => Stopwatch.Frequency / MeasureCyclesPerSecond(),
        _ => 1,
    };

    private enum Source
    {
        Wall,
        Linux,
        Windows,
    }

    /// <summary>True when <see cref="Now"/> is the thread's CPU time; false when it falls back to the wall clock.</summary>
    public static bool IsCpuTime => s_source != Source.Wall;

    /// <summary>The calling thread's CPU time in <see cref="Stopwatch"/> ticks (only differences are meaningful).</summary>
    public static long Now()
    {
        switch (s_source)
        {
            case Source.Linux:
                LinuxNative.ClockGetTime(LinuxNative.ClockThreadCpuTimeId, out LinuxNative.TimeSpec time);
                long nanoseconds = ((long)time.Seconds * 1_000_000_000) + time.Nanoseconds;
                return Stopwatch.Frequency == 1_000_000_000 ? nanoseconds : (long)(nanoseconds * s_ticksPerUnit);
            case Source.Windows:
                WindowsNative.QueryThreadCycleTime(WindowsNative.GetCurrentThread(), out ulong cycles);
                return (long)(cycles * s_ticksPerUnit);
            default:
                return Stopwatch.GetTimestamp();
        }
    }

    private static Source Probe()
    {
        try
        {
            if (OperatingSystem.IsLinux() && LinuxNative.ClockGetTime(LinuxNative.ClockThreadCpuTimeId, out _) == 0)
            {
                return Source.Linux;
            }

            if (OperatingSystem.IsWindows() && WindowsNative.QueryThreadCycleTime(WindowsNative.GetCurrentThread(), out _))
            {
                return Source.Windows;
            }
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }

        return Source.Wall;
    }

    /// <summary>The time-stamp counter's rate: cycles per second of a spinning thread against the stopwatch, the best of
    /// a few 2 ms samples (a sample during which the thread was descheduled counts fewer cycles, never more).</summary>
    private static double MeasureCyclesPerSecond()
    {
        double best = 0;
        for (int sample = 0; sample < 3; sample++)
        {
            WindowsNative.QueryThreadCycleTime(WindowsNative.GetCurrentThread(), out ulong startCycles);
            long start = Stopwatch.GetTimestamp();
            long end = start + (Stopwatch.Frequency / 500);
            long now;
            do
            {
                now = Stopwatch.GetTimestamp();
            }
            while (now < end);

            WindowsNative.QueryThreadCycleTime(WindowsNative.GetCurrentThread(), out ulong endCycles);
            double rate = (endCycles - startCycles) * (double)Stopwatch.Frequency / (now - start);
            best = Math.Max(best, rate);
        }

        return best > 0 ? best : Stopwatch.Frequency;
    }
}
