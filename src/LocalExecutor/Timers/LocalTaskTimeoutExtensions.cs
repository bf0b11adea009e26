using System;
using System.Threading;

namespace ThreadPerCore;

/// <summary>Timeouts for <see cref="LocalTask"/>s, timed by the task's own executor (no thread-pool timer).</summary>
public static class LocalTaskTimeoutExtensions
{
    /// <summary>
    /// Completes like <paramref name="task"/> if it finishes within <paramref name="timeout"/>; otherwise cancels it and
    /// fails with <see cref="TimeoutException"/>. The timer lives on the task's executor. Costs one task and one timer
    /// entry. For <see cref="System.Threading.Tasks.Task"/>s, <c>task.WaitAsync(timeout, executor.TimeProvider)</c> gives the
    /// same on the core without cancelling the task.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="task">The task to bound.</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> returns <paramref name="task"/> itself, and
    /// so does a task that already completed. A time too long to count in clock ticks (<see cref="TimeSpan.MaxValue"/>)
    /// never times out.</param>
    /// <returns>A task with the result of <paramref name="task"/>, or failing with <see cref="TimeoutException"/>. If the
    /// task's executor shuts down first, it ends cancelled (as it does when created on an executor that is stopping).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite).</exception>
    public static LocalTask<T> WithTimeout<T>(this LocalTask<T> task, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return task;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        if (task.IsCompleted)
        {
            return task; // it already completed in time: no timer, and no need for its executor to be running
        }

        var bounded = new TimeoutTask<T>(task, timeout);
        bounded.Arm();
        return bounded;
    }

    /// <summary>Completes like <paramref name="task"/> if it finishes within <paramref name="timeout"/>; otherwise cancels
    /// it and fails with <see cref="TimeoutException"/>. See <see cref="WithTimeout{T}(LocalTask{T}, TimeSpan)"/>.</summary>
    /// <param name="task">The task to bound.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>A task that completes like <paramref name="task"/> or fails with <see cref="TimeoutException"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite).</exception>
    public static LocalTask WithTimeout(this LocalTask task, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return task;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        if (task.IsCompleted)
        {
            return task; // it already completed in time: no timer, and no need for its executor to be running
        }

        var bounded = new TimeoutTask<VoidResult>(task, timeout);
        bounded.Arm();
        return bounded;
    }
}
