using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace ThreadPerCore.Tests.Scheduling;

/// <summary>Busy work and bounded polling for scheduler tests: nothing waits forever, nothing sleeps and hopes.</summary>
internal static class Timing
{
    /// <summary>Burns the CPU for about <paramref name="time"/> without yielding.</summary>
    public static void Spin(TimeSpan time)
    {
        long end = Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
        }
    }

    /// <summary>Burns about <paramref name="time"/> of the calling thread's own CPU time, however long the OS keeps the
    /// thread off the CPU meanwhile (what task queues are charged with).</summary>
    public static void SpinCpu(TimeSpan time)
    {
        long end = ThreadPerCore.Platform.ThreadCpuClock.Now() + (long)(time.TotalSeconds * Stopwatch.Frequency);
        while (ThreadPerCore.Platform.ThreadCpuClock.Now() < end)
        {
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <see cref="Bounded.Timeout"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Bounded.Timeout)
            {
                throw new TimeoutException($"Waited {Bounded.Timeout.TotalSeconds} s for: {what}.");
            }

            await Task.Delay(5);
        }
    }
}
