using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Tests;

/// <summary>Bounded waits: a test that would hang fails instead, saying what it waited for.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<T> Within<T>(this Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Timeout);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"Timed out after {Timeout.TotalSeconds} s waiting for {what}.");
        }
    }

    public static async Task Within(this Task task, string what)
    {
        try
        {
            await task.WaitAsync(Timeout);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"Timed out after {Timeout.TotalSeconds} s waiting for {what}.");
        }
    }

    public static Task<T> Within<T>(this LocalTask<T> task, string what) => task.AsTask().Within(what);

    /// <summary>Spins (yielding the CPU) until <paramref name="condition"/>, which another thread makes true, holds.</summary>
    public static void Until(Func<bool> condition, string what)
    {
        if (!SpinWait.SpinUntil(condition, Timeout))
        {
            throw new TimeoutException($"Timed out after {Timeout.TotalSeconds} s waiting until {what}.");
        }
    }

    public static Task Within(this LocalTask task, string what) => task.AsTask().Within(what);
}
