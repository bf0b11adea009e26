using System;
using System.Diagnostics.CodeAnalysis;

namespace ThreadPerCore;

/// <summary>Cold throw paths, kept out of the hot methods so those stay small and inlinable.</summary>
internal static class ThrowHelper
{
    /// <summary>A synchronous wait on a pending local task: on its own executor's thread it could never end.</summary>
    public static InvalidOperationException NotCompleted(LocalTask task) =>
        task.Executor.IsOwnerThread
            ? BlockingWaitOnOwnExecutor(task)
            : new InvalidOperationException(
                $"The task has not completed yet: await it, or wait for it with task.AsTask().Wait() (off its executor '{task.Executor.Name}') or executor.JoinableTaskFactory.Run(() => task.AsTask()).");

    public static InvalidOperationException BlockingWaitOnOwnExecutor(LocalTask task) =>
        new(
            $"A blocking wait for a pending {WorkDescription.OfLocalTask(task).Text} on the thread of its own executor '{task.Executor.Name}' would never end: " +
            "only that thread can run it, and the wait would block it. Await it instead, or wait with " +
            "executor.JoinableTaskFactory.Run(() => task.AsTask()), which keeps running the executor's work while it waits.");

    [DoesNotReturn]
    public static void ThrowDisposed(LocalExecutor executor) =>
        throw new ObjectDisposedException(executor.Name, executor.IsShutDown
            ? $"The executor '{executor.Name}' has shut down and accepts no new work."
            : $"The executor '{executor.Name}' is shutting down: it finishes the work in flight and accepts no new work from other threads.");

    [DoesNotReturn]
    public static void ThrowWrongThread(LocalExecutor executor) =>
        throw new InvalidOperationException($"This must be called on the thread of executor '{executor.Name}'; it was called on thread {Environment.CurrentManagedThreadId} ('{System.Threading.Thread.CurrentThread.Name}').");

    [DoesNotReturn]
    public static void ThrowNoExecutor() =>
        throw new InvalidOperationException(
            "No LocalExecutor to run on: the calling thread is not an executor thread, no scope is active (LocalExecutor.EnterScope) and LocalExecutor.Default is not set.");

    [DoesNotReturn]
    public static void ThrowDefaultQueueRemoval(LocalExecutor executor) =>
        throw new InvalidOperationException($"The default task queue of executor '{executor.Name}' cannot be removed.");

    [DoesNotReturn]
    public static void ThrowQueueOfOtherExecutor(TaskQueue queue, LocalExecutor executor, string argumentName) =>
        throw new ArgumentException($"The task queue '{queue.Name}' belongs to executor '{queue.Executor.Name}', not to '{executor.Name}'.", argumentName);

    [DoesNotReturn]
    public static void ThrowQueueRemoved(TaskQueue queue) =>
        throw new InvalidOperationException($"The task queue '{queue.Name}' of executor '{queue.Executor.Name}' was removed; it accepts no new work.");

    [DoesNotReturn]
    public static void ThrowQueueHasWork(TaskQueue queue, int queued, int live) =>
        throw new InvalidOperationException(
            $"The task queue '{queue.Name}' of executor '{queue.Executor.Name}' still has work: {queued} queued item(s) and {live} unfinished task(s). Let them finish (or cancel them) before removing it.");

    [DoesNotReturn]
    public static void ThrowDelayOffExecutor() =>
        throw new InvalidOperationException("LocalExecutor.Delay must be called on an executor thread; call executor.Sleep(...) to sleep on a given executor.");

    [DoesNotReturn]
    public static void ThrowTimerOutOfRange(TimeSpan time, string argumentName) =>
        throw new ArgumentOutOfRangeException(argumentName, time, "The time must be infinite (-1 ms) or between 0 and 4294967294 ms.");

    /// <summary>The failure of a spawned or started body that returned a null task instead of one to wait for.</summary>
    public static InvalidOperationException NullBodyTask() => new("The spawned body returned a null task.");
}
