using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// A <see cref="LocalTask"/> that produces a value. Returned by <see cref="LocalExecutor.Spawn{T}(Func{T})"/> and
/// by async methods declared to return it.
/// </summary>
/// <typeparam name="T">The type of the result.</typeparam>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "It is a task.")]
[AsyncMethodBuilder(typeof(LocalTaskMethodBuilder<>))]
public abstract class LocalTask<T> : LocalTask
{
    private T _result = default!;

    private protected LocalTask(TaskQueue queue)
        : base(queue)
    {
    }

    /// <summary>The result of a task that ran to completion; throws the failure of one that did not.</summary>
    /// <exception cref="InvalidOperationException">The task has not completed yet (the message names the way out:
    /// <c>await</c>, or <see cref="LocalExecutor.JoinableTaskFactory"/>).</exception>
    public T Result
    {
        get
        {
            if (!IsCompleted)
            {
                throw ThrowHelper.NotCompleted(this);
            }

            ThrowIfNotSuccessful();
            return _result;
        }
    }

    /// <summary>Gets an awaiter; <c>await</c> resumes where the awaiting code was and returns the result.</summary>
    public new LocalTaskAwaiter<T> GetAwaiter() => new(this);

    /// <summary>Converts to a <see cref="Task{TResult}"/> for APIs that need one; a blocking wait on it on the task's own
    /// executor thread while it is pending throws at once (see <see cref="LocalTask.AsTask"/>).</summary>
    public new Task<T> AsTask() => (Task<T>)AsTaskCore();

    private protected override Task AsTaskCore() => LocalTaskMirror.Create(this);

    /// <summary>Stores the result (owner thread, inside the poll).</summary>
    internal void SetResultCore(T result)
    {
        _result = result;
        SetRanToCompletion();
    }

    internal T GetResultUnchecked() => _result;
}
