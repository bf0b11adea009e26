using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Tests;

/// <summary>Starting executors for tests and running code on them.</summary>
internal static class Executors
{
    public static LocalExecutor Start(string name, Placement? placement = null, UnhandledExceptionPolicy policy = UnhandledExceptionPolicy.Continue, TimeSpan? drainTimeout = null) =>
        new(new LocalExecutorOptions
        {
            Name = name,
            Placement = placement ?? Placement.Unbound,
            UnhandledExceptionPolicy = policy,
            DrainTimeout = drainTimeout ?? LocalExecutorOptions.DefaultDrainTimeout,
        });

    /// <summary>Runs <paramref name="action"/> on the executor thread and waits (bounded) for it.</summary>
    public static Task OnExecutor(this LocalExecutor executor, Action action) =>
        executor.Spawn(action).Within($"work on {executor.Name}");

    /// <summary>Runs <paramref name="func"/> on the executor thread and waits (bounded) for its result.</summary>
    public static Task<T> OnExecutor<T>(this LocalExecutor executor, Func<T> func) =>
        executor.Spawn(func).Within($"work on {executor.Name}");

    /// <summary>
    /// Completes once everything queued on the executor before this call has run: the run queue is FIFO, so a
    /// marker queued now runs after them.
    /// </summary>
    public static Task Drain(this LocalExecutor executor) => executor.Spawn(() => { }).Within($"{executor.Name} to drain");

    /// <summary>
    /// Keeps <paramref name="executor"/>'s thread in a work item that returns only when the returned event is set (or
    /// after <see cref="Bounded.Timeout"/>), and returns once the item is running.
    /// </summary>
    public static ManualResetEventSlim Occupy(this LocalExecutor executor)
    {
        var release = new ManualResetEventSlim();
        using var busy = new ManualResetEventSlim();
        executor.Post(() =>
        {
            busy.Set();
            release.Wait(Bounded.Timeout);
        });
        if (!busy.Wait(Bounded.Timeout))
        {
            throw new TimeoutException($"Timed out after {Bounded.Timeout.TotalSeconds} s waiting for executor '{executor.Name}' to start the work item that occupies it.");
        }

        return release;
    }

    /// <summary>Where the current code runs: the executor thread's identity, for assertions.</summary>
    public static int ThreadId => Environment.CurrentManagedThreadId;

    public static bool IsOn(LocalExecutor executor) => Thread.CurrentThread == executor.Thread;
}
