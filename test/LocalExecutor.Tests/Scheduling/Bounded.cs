using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace ThreadPerCore.Tests.Scheduling;

/// <summary>Bounded waits and busy work for scheduler tests: nothing waits forever, nothing sleeps and hopes.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static Task<T> Within<T>(this LocalTask<T> task, string what) => task.AsTask().Within(what);

    public static Task Within(this LocalTask task, string what) => task.AsTask().Within(what);

    public static async Task<T> Within<T>(this Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Wait);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{what} did not finish within {Wait.TotalSeconds} s.");
        }
    }

    public static async Task Within(this Task task, string what)
    {
        try
        {
            await task.WaitAsync(Wait);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{what} did not finish within {Wait.TotalSeconds} s.");
        }
    }

    /// <summary>Burns the CPU for about <paramref name="time"/> without yielding.</summary>
    public static void Spin(TimeSpan time)
    {
        long end = Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after the bound.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Wait)
            {
                throw new TimeoutException($"Waited {Wait.TotalSeconds} s for: {what}.");
            }

            await Task.Delay(5);
        }
    }
}
