using System;
using System.Runtime.CompilerServices;

namespace ThreadPerCore;

/// <summary>Awaited, moves the awaiting code onto an executor's thread (<see cref="LocalExecutor.SwitchTo"/>).</summary>
public readonly struct ExecutorSwitchAwaitable
{
    private readonly LocalExecutor _executor;

    internal ExecutorSwitchAwaitable(LocalExecutor executor) => _executor = executor;

    /// <summary>Gets the awaiter.</summary>
    public ExecutorSwitchAwaiter GetAwaiter() => new(_executor);
}

/// <summary>The awaiter of <see cref="ExecutorSwitchAwaitable"/>.</summary>
public readonly struct ExecutorSwitchAwaiter : ICriticalNotifyCompletion
{
    private readonly LocalExecutor _executor;

    internal ExecutorSwitchAwaiter(LocalExecutor executor) => _executor = executor;

    /// <summary>True on the executor's thread already: the await does not yield.</summary>
    public bool IsCompleted => _executor.IsOwnerThread;

    /// <summary>Ends the await, on the executor thread.</summary>
    /// <exception cref="InvalidOperationException">The awaiting code did not arrive on the executor thread: a
    /// <see cref="LocalTask"/> method always resumes on its own executor, so it cannot switch to another; spawn the work
    /// there instead.</exception>
    public void GetResult()
    {
        if (!_executor.IsOwnerThread)
        {
            throw new InvalidOperationException(
                $"The await of SwitchTo did not resume on executor '{_executor.Name}': a LocalTask method always resumes on its own executor. Use executor.Spawn to run work on another one.");
        }
    }

    /// <summary>Queues the continuation on the executor, flowing the execution context.</summary>
    public void OnCompleted(Action continuation) => _executor.Post(continuation);

    /// <summary>Queues the continuation on the executor.</summary>
    public void UnsafeOnCompleted(Action continuation) => _executor.Post(continuation);
}
