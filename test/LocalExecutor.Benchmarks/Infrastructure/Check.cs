using System;

namespace ThreadPerCore.Benchmarks.Infrastructure;

/// <summary>
/// Result checks inside the measured code. They cost a compare per invocation, and they keep a broken peer setup
/// (work that never ran, ran twice, or ran on the wrong thread) from reporting fake-fast numbers.
/// </summary>
internal static class Check
{
    public static int Equal(int actual, int expected, string what)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"{what}: expected {expected}, got {actual}. The benchmark setup is broken.");
        }

        return actual;
    }

    public static long Equal(long actual, long expected, string what)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"{what}: expected {expected}, got {actual}. The benchmark setup is broken.");
        }

        return actual;
    }

    public static void True(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"{what}. The benchmark setup is broken.");
        }
    }
}
