using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Tests.Channels;

internal static class ExecutorExtensions
{
    public static readonly TimeSpan Bound = Bounded.Timeout;

    /// <summary>Runs an async body on the executor and returns a Task to await from the test, bounded.</summary>
    public static Task<T> RunAsync<T>(this LocalExecutor executor, Func<Task<T>> body) =>
        executor.Spawn(body).AsTask().WaitAsync(Bound);

    public static Task RunAsync(this LocalExecutor executor, Func<Task> body) =>
        executor.Spawn(body).AsTask().WaitAsync(Bound);

    /// <summary>Waits, bounded, until a condition another thread makes true holds.</summary>
    public static void Until(Func<bool> condition, string what)
    {
        if (!SpinWait.SpinUntil(condition, Bound))
        {
            throw new TimeoutException($"Timed out after {Bound} waiting until {what}.");
        }
    }
}
