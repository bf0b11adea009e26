using System;
using System.IO.Pipelines;

namespace ThreadPerCore.IO;

/// <summary>
/// A <see cref="PipeScheduler"/> that runs pipe continuations on an executor: give it to <see cref="PipeOptions"/> as
/// the reader and writer scheduler and a pipe's awaits resume on the core. On the executor's own thread scheduling
/// costs a queue entry (no allocation, no atomics), and an <c>async LocalTask</c> awaiting the pipe is woken directly.
/// </summary>
public sealed class LocalPipeScheduler : PipeScheduler
{
    private readonly TaskQueue _queue;

    /// <summary>A scheduler onto <paramref name="executor"/>'s default task queue.</summary>
    public LocalPipeScheduler(LocalExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        _queue = executor.DefaultQueue;
    }

    internal LocalPipeScheduler(TaskQueue queue)
    {
        _queue = queue;
    }

    /// <summary>The executor that runs the continuations.</summary>
    public LocalExecutor Executor => _queue.Executor;

    /// <inheritdoc />
    public override void Schedule(Action<object?> action, object? state)
    {
        ArgumentNullException.ThrowIfNull(action);
        LocalExecutor executor = _queue.Executor;
        if (state is Action wake && LocalTask.OwnerOfWakeAction(wake) is { } task && task.Executor == executor
            && executor.IsOwnerThread)
        {
            task.WakeByRef(); // the awaiting raw task itself, not a queue entry that would only wake it
            return;
        }

        executor.Post(_queue, WorkKind.StateAction, action, state, null);
    }
}
