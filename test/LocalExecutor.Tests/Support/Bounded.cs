using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Tests;

/// <summary>Bounded waits: a test that would hang fails instead, saying what it waited for.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static Task<T> Within<T>(this Task<T> task, string what) => task.Within(Timeout, what);

    public static Task Within(this Task task, string what) => task.Within(Timeout, what);

    /// <summary>Waits for <paramref name="task"/> at most <paramref name="bound"/>, failing with <paramref name="what"/>:
    /// for a wait whose own time is known, so that a test fails in seconds rather than after <see cref="Timeout"/>.</summary>
    public static async Task<T> Within<T>(this Task<T> task, TimeSpan bound, string what)
    {
        try
        {
            return await task.WaitAsync(bound);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"Timed out after {bound.TotalSeconds} s waiting for {what}.");
        }
    }

    /// <inheritdoc cref="Within{T}(Task{T}, TimeSpan, string)"/>
    public static async Task Within(this Task task, TimeSpan bound, string what)
    {
        try
        {
            await task.WaitAsync(bound);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"Timed out after {bound.TotalSeconds} s waiting for {what}.");
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
