using System.Runtime.CompilerServices;

namespace ThreadPerCore;

/// <summary>
/// The box of a <see cref="System.Threading.Tasks.Task{TResult}"/>-returning method decorated with
/// <see cref="PinnedTaskMethodBuilder{T}"/>: a raw task whose outcome is mirrored into a plain promise task.
/// </summary>
internal sealed class PinnedStateMachineTask<TStateMachine, T> : StateMachineTask<TStateMachine, T>, IPromiseTask
    where TStateMachine : IAsyncStateMachine
{
    // A runtime builder used only as a promise: its Task is a bare Task<T>, one allocation, no TaskCompletionSource.
    private AsyncTaskMethodBuilder<T> _promise;

    // The builder creates its task lazily and without a lock: read here, at construction, and kept, so the caller that
    // returns it and the executor thread that completes it cannot each create one (the caller's would never complete).
    private readonly System.Threading.Tasks.Task<T> _promiseTask;

    public PinnedStateMachineTask(TaskQueue queue)
        : base(queue)
    {
        _promiseTask = _promise.Task;
    }

    public System.Threading.Tasks.Task<T> Promise => _promiseTask;

    /// <summary>The promise task carries the failure to its awaiters (and to .NET's own unobserved-task reporting).</summary>
    private protected override bool TracksUnobservedFault => false;

    System.Threading.Tasks.Task IPromiseTask.Promise => _promiseTask;

    private protected override void OnFinished()
    {
        if (IsCompletedSuccessfullyUnpublished)
        {
            _promise.SetResult(GetResultUnchecked());
        }
        else
        {
            _promise.SetException(ExceptionUnpublished!);
        }
    }
}
