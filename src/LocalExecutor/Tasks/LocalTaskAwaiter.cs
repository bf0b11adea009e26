using System;
using System.Runtime.CompilerServices;

namespace ThreadPerCore;

/// <summary>
/// Marks a struct awaiter whose only field is an <see cref="IWakerSource"/>, so the method builder can hand it the
/// awaiting task's waker directly (no delegate, no allocation) without boxing the awaiter.
/// </summary>
internal interface IWakerSourceAwaiter
{
}

/// <summary>Something a raw task can wait on by registering itself to be woken (our own awaitables).</summary>
internal interface IWakerSource
{
    /// <summary>Wakes <paramref name="waiter"/> once the awaited thing is ready (at once if it already is).</summary>
    void RegisterWaker(LocalTask waiter);
}

/// <summary>The awaiter of a <see cref="LocalTask"/>.</summary>
public readonly struct LocalTaskAwaiter : ICriticalNotifyCompletion, IWakerSourceAwaiter
{
    private readonly LocalTask _task; // the only field: see IWakerSourceAwaiter

    internal LocalTaskAwaiter(LocalTask task) => _task = task;

    /// <summary>True once the task finished.</summary>
    public bool IsCompleted => _task.IsCompleted;

    /// <summary>Ends the await: returns, or rethrows the task's failure unwrapped.</summary>
    public void GetResult()
    {
        if (!_task.IsCompleted)
        {
            throw ThrowHelper.NotCompleted(_task);
        }

        _task.ThrowIfNotSuccessful();
    }

    /// <summary>Schedules the continuation where the awaiting code runs, flowing the execution context.</summary>
    public void OnCompleted(Action continuation) => _task.OnCompleted(continuation, flowExecutionContext: true);

    /// <summary>Schedules the continuation where the awaiting code runs.</summary>
    public void UnsafeOnCompleted(Action continuation) => _task.OnCompleted(continuation, flowExecutionContext: false);
}

/// <summary>The awaiter of a <see cref="LocalTask{T}"/>.</summary>
/// <typeparam name="T">The type of the result.</typeparam>
public readonly struct LocalTaskAwaiter<T> : ICriticalNotifyCompletion, IWakerSourceAwaiter
{
    private readonly LocalTask<T> _task; // the only field: see IWakerSourceAwaiter

    internal LocalTaskAwaiter(LocalTask<T> task) => _task = task;

    /// <summary>True once the task finished.</summary>
    public bool IsCompleted => _task.IsCompleted;

    /// <summary>Ends the await: returns the result, or rethrows the task's failure unwrapped.</summary>
    public T GetResult()
    {
        if (!_task.IsCompleted)
        {
            throw ThrowHelper.NotCompleted(_task);
        }

        _task.ThrowIfNotSuccessful();
        return _task.GetResultUnchecked();
    }

    /// <summary>Schedules the continuation where the awaiting code runs, flowing the execution context.</summary>
    public void OnCompleted(Action continuation) => _task.OnCompleted(continuation, flowExecutionContext: true);

    /// <summary>Schedules the continuation where the awaiting code runs.</summary>
    public void UnsafeOnCompleted(Action continuation) => _task.OnCompleted(continuation, flowExecutionContext: false);
}
