using System;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// The join side of a task: the outcome and the continuations of whoever awaits it. Unlike the state word this
// is shared with other threads (anyone may await a task), so registration and completion meet on one
// interlocked field, _continuation, managed by ContinuationSlot:
//   null                 nobody waits yet
//   Completed            finished; the outcome fields are published
//   LocalTask            a raw task awaiting this one (the builder door): completion wakes it
//   Action               registered on the owner thread from this executor's synchronization context:
//                        completion posts it to _continuationQueue (no allocation either way)
//   Continuation         anything else: another context, a scheduler, the thread pool, a captured context
//   ContinuationList     several of the above, appended in amortized constant time
public abstract partial class LocalTask : IWakerSource, IAbandonable, IAwaitedByTask
{
    /// <summary>The continuation of a detached task (<see cref="Detach"/>): its failure goes to the executor's
    /// unhandled-exception path instead of an awaiter.</summary>
    private static readonly object s_detached = new();

    private object? _continuation;
    private TaskQueue? _continuationQueue;

    // The failure: an ExceptionDispatchInfo, or a FaultSentinel around it while a failure that nothing awaited waits to
    // be observed or reported (see UnobservedFault).
    private object? _exception;
    private Outcome _outcome;

    private enum Outcome : byte
    {
        Pending,
        RanToCompletion,
        Faulted,
        Canceled,
    }

    /// <summary>True once the task finished: ran to completion, faulted or was cancelled.</summary>
    public bool IsCompleted => ContinuationSlot.IsCompleted(ref _continuation);

    /// <summary>True once the task ran to completion.</summary>
    public bool IsCompletedSuccessfully => IsCompleted && _outcome == Outcome.RanToCompletion;

    /// <summary>True once the body threw an exception other than <see cref="OperationCanceledException"/>.</summary>
    public bool IsFaulted => IsCompleted && _outcome == Outcome.Faulted;

    /// <summary>True once the task was cancelled, or its body threw <see cref="OperationCanceledException"/>.</summary>
    public bool IsCanceled => IsCompleted && _outcome == Outcome.Canceled;

    /// <summary>The exception of a faulted or cancelled task; null otherwise.</summary>
    /// <remarks>Reading it observes the failure: a task whose failure was read is not reported as unobserved.</remarks>
    public Exception? Exception => IsCompleted ? ObserveException()?.SourceException : null;

    /// <summary>Gets an awaiter; <c>await</c> resumes where the awaiting code was and rethrows a failure unwrapped.</summary>
    public LocalTaskAwaiter GetAwaiter() => new(this);

    /// <summary>
    /// Converts to a <see cref="Task"/> for APIs that need one (<see cref="Task.WhenAll(Task[])"/>, blocking waits from
    /// other threads). A blocking wait on it (<c>Wait()</c>, <c>.Result</c>, <c>GetAwaiter().GetResult()</c>,
    /// <c>Task.WaitAll</c>) on the task's own executor thread while it is pending throws
    /// <see cref="InvalidOperationException"/> at once instead of hanging: only that thread can complete it. Await it there,
    /// or use <see cref="LocalExecutor.JoinableTaskFactory"/>. Allocates the task, a cancellation source and one
    /// continuation.
    /// </summary>
    public Task AsTask() => AsTaskCore();

    private protected virtual Task AsTaskCore() => LocalTaskMirror.Create(this);

    /// <summary>Runs <paramref name="callback"/> on the completing thread; for callbacks that only hand the outcome on.</summary>
    internal void OnCompletedInline(Action<object?> callback, object? state) =>
        RegisterContinuation(new Continuation(callback, state, target: null, context: null, runInline: true));

    private protected static CancellationToken CanceledToken(LocalTask task) =>
        task.ObserveException()?.SourceException is OperationCanceledException oce ? oce.CancellationToken : default;

    /// <summary>Throws the task's failure, if any. Called by awaiters once the task is complete.</summary>
    internal void ThrowIfNotSuccessful()
    {
        Debug.Assert(IsCompleted, "only a completed task has an outcome");
        if (_outcome != Outcome.RanToCompletion)
        {
            ThrowFailure();
        }
    }

    private void ThrowFailure()
    {
        ExceptionDispatchInfo? failure = ObserveException();
        if (failure is null)
        {
            throw ThrowHelper.NotCompleted(this);
        }

        failure.Throw();
    }

    /// <summary>The failure, marked observed: whoever reads it now deals with it.</summary>
    private ExceptionDispatchInfo? ObserveException()
    {
        object? failure = Volatile.Read(ref _exception);
        if (failure is FaultSentinel sentinel)
        {
            sentinel.Fault.Observe(); // its finalizer will find it observed
            return sentinel.Fault.Info;
        }

        return (ExceptionDispatchInfo?)failure;
    }

    /// <summary>
    /// Declares that nothing will await this task (fire and forget): if it faults, or has faulted already, its exception
    /// is reported at once through <see cref="LocalExecutor.UnhandledException"/> as an
    /// <see cref="UnobservedLocalTaskException"/>, on the executor's thread when it faults there, on the calling thread
    /// when it had faulted before (unless something observed that failure already); then
    /// <see cref="LocalExecutorOptions.UnhandledExceptionPolicy"/> applies. A cancelled or successful task reports nothing.
    /// Any thread; calling it again does nothing more.
    /// </summary>
    /// <remarks>Without it, a task that faults while nothing awaits it is reported only if it is never observed: when
    /// it is collected, or when its executor shuts down. Awaiting a detached task still throws its exception, which has
    /// then been reported too: detach only what nobody awaits.</remarks>
    public void Detach()
    {
        if (!ContinuationSlot.TryAdd(ref _continuation, s_detached) && Volatile.Read(ref _exception) is FaultSentinel sentinel)
        {
            sentinel.Fault.Report(); // already faulted, and nothing observed it: report it here and now, once
        }
    }

    /// <summary>Reports the failure of a detached task (any thread, once: the detached marker runs once).</summary>
    private void ReportIfDetachedFaulted()
    {
        if (_outcome == Outcome.Faulted && ObserveException() is { } failure)
        {
            LocalExecutor executor = _queue.Executor;
            executor.ReportUnhandled(
                new UnobservedLocalTaskException(executor.Name, WorkNames.Describe(this), failure.SourceException),
                UnhandledExceptionOrigin.UnobservedTask);
        }
    }

    /// <summary>Records the body's exception (on the owner thread, inside the poll).</summary>
    internal void SetExceptionCore(Exception exception)
    {
        _exception = ExceptionDispatchInfo.Capture(exception);
        _outcome = exception is OperationCanceledException ? Outcome.Canceled : Outcome.Faulted;
        _state |= TaskState.Completed;
    }

    /// <summary>Marks the body finished with a result stored by the derived type (owner thread, inside the poll).</summary>
    private protected void SetRanToCompletion()
    {
        _outcome = Outcome.RanToCompletion;
        _state |= TaskState.Completed;
    }

    private void SetCanceledOutcome()
    {
        _exception = ExceptionDispatchInfo.Capture(new TaskCanceledException("The local task was cancelled."));
        _outcome = Outcome.Canceled;
    }

    /// <summary>The outcome as the owner sees it before it is published (for <see cref="OnFinished"/>).</summary>
    private protected bool IsCompletedSuccessfullyUnpublished => _outcome == Outcome.RanToCompletion;

    /// <summary>The failure as the owner sees it before it is published (for <see cref="OnFinished"/>).</summary>
    private protected Exception? ExceptionUnpublished => ((ExceptionDispatchInfo?)_exception)?.SourceException;

    /// <summary>False for types whose outcome is handed to another awaitable (<see cref="OnFinished"/>), which then owns
    /// the failure: nothing awaits the raw task itself.</summary>
    private protected virtual bool TracksUnobservedFault => true;

    /// <summary>Hook for types that mirror the outcome elsewhere (a <see cref="Task"/> of the method builder).</summary>
    private protected virtual void OnFinished()
    {
    }

    /// <summary>Publishes the outcome and runs every registered continuation. Owner thread, once.</summary>
    private void PublishCompletion()
    {
        OnFinished();
        FaultSentinel? unawaited = null;
        if (_outcome == Outcome.Faulted && TracksUnobservedFault && Volatile.Read(ref _continuation) is null)
        {
            // Nothing awaits the failure yet. Wrapped before the completion is published, so whoever reads it after that
            // marks it observed; if nothing ever does, it is reported when the task is collected or the executor stops.
            var info = (ExceptionDispatchInfo)_exception!;
            unawaited = new FaultSentinel(new UnobservedFault(_queue.Executor, info, WorkNames.Describe(this)));
            _exception = unawaited;
        }

        object? continuations = ContinuationSlot.Complete(ref _continuation);
        if (unawaited is not null)
        {
            if (continuations is null)
            {
                _queue.Executor.UnobservedFaults.Add(unawaited.Fault);
            }
            else
            {
                ObserveException(); // an awaiter registered in the meantime: the failure is delivered to it
            }
        }

        if (continuations is null)
        {
            return;
        }

        if (continuations is ContinuationList many)
        {
            foreach (object one in many.Items)
            {
                RunContinuationGuarded(one);
            }
        }
        else
        {
            RunContinuationGuarded(continuations);
        }
    }

    /// <summary>One awaiter's failing context (a foreign <c>Post</c> that throws) must not rob the others of their
    /// continuations: its exception goes to the executor's unhandled-exception handler.</summary>
    private void RunContinuationGuarded(object continuation)
    {
        try
        {
            if (continuation == s_detached)
            {
                ReportIfDetachedFaulted();
                return;
            }

            RunContinuation(continuation, _continuationQueue);
        }
        catch (Exception exception)
        {
            _queue.Executor.ReportUnhandled(exception);
        }
    }

    private static void RunContinuation(object continuation, TaskQueue? queue)
    {
        switch (continuation)
        {
            case LocalTask waiter:
                waiter.Wake();
                break;
            case Action action:
                Debug.Assert(queue is not null, "a bare action always has its queue");
                queue!.Executor.Post(queue, WorkKind.Action, action, null, null);
                break;
            default:
                ((Continuation)continuation).Run();
                break;
        }
    }

    /// <summary>Registers a raw task to be woken when this one finishes (the builder door: no allocation).</summary>
    void IWakerSource.RegisterWaker(LocalTask waiter)
    {
        if (!ContinuationSlot.TryAdd(ref _continuation, waiter))
        {
            waiter.Wake();
        }
    }

    /// <summary>Withdraws <paramref name="waiter"/>, which ended (was cancelled) while it waited for this task, so this
    /// task no longer keeps it alive. Any thread.</summary>
    internal void RemoveWaiter(LocalTask waiter) => ContinuationSlot.Remove(ref _continuation, waiter);

    void IAwaitedByTask.Withdraw(LocalTask waiter) => RemoveWaiter(waiter);

    /// <summary>A task registered as a waiter is abandoned once it finished: it can only have been cancelled while it
    /// waited, and a wake would be ignored.</summary>
    bool IAbandonable.IsAbandoned => IsCompleted;

    /// <summary>
    /// Registers an await continuation the way <c>await</c> would: it resumes on the awaiting code's
    /// synchronization context or task scheduler, else on the thread pool.
    /// </summary>
    internal void OnCompleted(Action continuation, bool flowExecutionContext)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        SynchronizationContext? context = SynchronizationContext.Current;
        if (!flowExecutionContext
            && context is LocalSynchronizationContext local
            && local.Queue.Executor == _queue.Executor
            && _queue.Executor.IsOwnerThread
            && Volatile.Read(ref _continuation) is null)
        {
            // Owner thread, own executor: registration and completion cannot race each other, and other threads
            // only ever add Continuation objects (or withdraw a waiter task), so the queue rides in a plain field
            // beside the bare delegate.
            _continuationQueue = local.Queue;
            if (Interlocked.CompareExchange(ref _continuation, continuation, null) is null)
            {
                return;
            }
        }

        RegisterContinuation(new Continuation(continuation, flowExecutionContext));
    }

    private void RegisterContinuation(Continuation continuation)
    {
        if (!ContinuationSlot.TryAdd(ref _continuation, continuation))
        {
            continuation.Run();
        }
    }
}
