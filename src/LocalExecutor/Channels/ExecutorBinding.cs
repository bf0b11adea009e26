using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore.Channels;

/// <summary>
/// Binds one side of a cross-core channel to the executor that first uses it (or to "no executor" when first used
/// off any executor thread), and refuses use from anywhere else: a side's waits resume on its own executor, so a
/// second user would break the single-producer or single-consumer contract.
/// </summary>
internal static class ExecutorBinding
{
    private static readonly object s_noExecutor = new();

    /// <summary>Binds <paramref name="binding"/> on first use; throws when the caller is not the bound executor.</summary>
    /// <param name="binding">The side's binding field.</param>
    /// <param name="side">Names the side for the message, e.g. "receiving side of this SharedChannel".</param>
    /// <param name="advice">What to use instead, for the message.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(ref object? binding, string side, string advice)
    {
        object current = (object?)LocalExecutor.Current ?? s_noExecutor;
        if (!ReferenceEquals(binding, current))
        {
            BindOrThrow(ref binding, current, side, advice);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BindOrThrow(ref object? binding, object current, string side, string advice)
    {
        object? bound = Interlocked.CompareExchange(ref binding, current, null);
        if (bound is null || ReferenceEquals(bound, current))
        {
            return;
        }

        string boundName = bound is LocalExecutor boundExecutor ? $"executor '{boundExecutor.Name}'" : "threads outside any executor";
        string currentName = current is LocalExecutor currentExecutor ? $"executor '{currentExecutor.Name}'" : "a thread outside any executor";
        throw new InvalidOperationException(
            $"The {side} is bound to {boundName}; it was used from {currentName} (thread {Environment.CurrentManagedThreadId}). {advice}");
    }
}
