using System;
using System.Diagnostics.CodeAnalysis;

namespace ThreadPerCore;

/// <summary>Cold throw paths, kept out of the hot methods so those stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowDisposed(LocalExecutor executor) =>
        throw new ObjectDisposedException(executor.Name, $"The executor '{executor.Name}' has shut down and accepts no new work.");

    [DoesNotReturn]
    public static void ThrowWrongThread(LocalExecutor executor) =>
        throw new InvalidOperationException($"This must be called on the thread of executor '{executor.Name}'; it was called on thread {Environment.CurrentManagedThreadId} ('{System.Threading.Thread.CurrentThread.Name}').");

    [DoesNotReturn]
    public static void ThrowNoExecutor() =>
        throw new InvalidOperationException(
            "No LocalExecutor to run on: the calling thread is not an executor thread, no scope is active (LocalExecutor.EnterScope) and LocalExecutor.Default is not set.");
}
