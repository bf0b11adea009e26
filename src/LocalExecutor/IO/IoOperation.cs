using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ThreadPerCore.IO;

/// <summary>
/// The reusable awaitable of one direction of a reactor-driven descriptor (a receive, a send, an accept wait). It
/// is started, completed and resumed on the owner thread, so it needs no atomics: the reactor completes it inside
/// its poll and schedules the waiter on the run queue. A raw task's waker is woken by reference; an <c>async</c>
/// method's continuation goes to the task queue whose context it captured; one that captured no context runs on
/// the core too, so nothing of ours resumes off the core. One instance serves every operation of its direction
/// (<see cref="Version"/> tells them apart), so a steady stream of operations allocates nothing.
/// </summary>
/// <remarks>Only a cancellation token reaches in from other threads: its callback carries the operation's version
/// through the executor's inbox and the owner applies it, so a late cancellation never touches a later
/// operation.</remarks>
internal sealed class IoOperation : IValueTaskSource<int>, IValueTaskSource
{
    private static readonly Action<object?> s_applyCancellation = static notice => ((CancellationNotice)notice!).Apply();

    private readonly LocalExecutor _executor;
    private readonly string _what;

    private LocalTask? _waker;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private object? _target; // TaskQueue, SynchronizationContext, TaskScheduler, or null (the starting queue)
    private TaskQueue? _startQueue;
    private ExecutionContext? _executionContext;
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;
    private int _result;
    private Exception? _error;
    private bool _pending;
    private bool _completed;

    public IoOperation(LocalExecutor executor, string what)
    {
        _executor = executor;
        _what = what;
    }

    /// <summary>Tells this operation from earlier and later ones on the same instance.</summary>
    public short Version { get; private set; }

    /// <summary>Started and not yet consumed by its awaiter: no other operation of this direction may start.</summary>
    public bool IsBusy => _pending;

    /// <summary>Started and still waiting for readiness.</summary>
    public bool IsWaiting => _pending && !_completed;

    /// <summary>Starts an operation that waits for readiness (owner thread). <paramref name="cancellationToken"/> may
    /// end it early with <see cref="OperationCanceledException"/>.</summary>
    public short Start(CancellationToken cancellationToken)
    {
        Debug.Assert(!_pending, "one operation at a time per direction");
        _pending = true;
        _completed = false;
        _token = cancellationToken;
        _startQueue = LocalExecutor.CurrentQueueOrDefault(_executor);
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((IoOperation)state!).OnTokenCancelled(), this);
        }

        return Version;
    }

    /// <summary>Completes the waiting operation with a result (owner thread).</summary>
    public void Complete(int result)
    {
        _result = result;
        Finish();
    }

    /// <summary>Completes the waiting operation with a failure (owner thread).</summary>
    public void Fail(Exception error)
    {
        _error = error;
        Finish();
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        ValidateToken(token);
        return !_completed ? ValueTaskSourceStatus.Pending
            : _error is null ? ValueTaskSourceStatus.Succeeded
            : _error is OperationCanceledException ? ValueTaskSourceStatus.Canceled
            : ValueTaskSourceStatus.Faulted;
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        ValidateToken(token);
        if (!_executor.IsOwnerThread)
        {
            throw new InvalidOperationException($"A {_what} of executor '{_executor.Name}' must be awaited on that executor's thread.");
        }

        if (_waker is not null || _continuation is not null)
        {
            throw new InvalidOperationException($"This {_what} is already being awaited; a ValueTask may be awaited only once.");
        }

        if (state is Action action && LocalTask.OwnerOfWakeAction(action) is { } waiter && waiter.Executor == _executor)
        {
            // The method builder's waker, handed over by ValueTaskAwaiter: wake the task itself, by reference.
            _waker = waiter;
        }
        else
        {
            _continuation = continuation;
            _continuationState = state;
            if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
            {
                _executionContext = ExecutionContext.Capture();
            }

            _target = (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0 ? Continuation.CaptureTarget() : null;
        }

        if (_completed)
        {
            ScheduleWaiter(); // completed between the start and this registration (the caller awaited late)
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => TakeResult(token);

    void IValueTaskSource.GetResult(short token) => TakeResult(token);

    /// <summary>Ends the waiting operation as cancelled if its token fired (the notice may still be on its way through the
    /// inbox), so an operation cancelled before readiness came never consumes data.</summary>
    /// <returns>True if it was cancelled now.</returns>
    public bool CancelIfRequested()
    {
        if (_token.IsCancellationRequested)
        {
            Fail(new OperationCanceledException(_token));
            return true;
        }

        return false;
    }

    /// <summary>The executor stops or the descriptor closes: a waiting operation ends with <paramref name="error"/>.</summary>
    public void FailIfWaiting(Exception error)
    {
        if (IsWaiting)
        {
            Fail(error);
        }
    }

    private void Finish()
    {
        Debug.Assert(IsWaiting, "only a waiting operation completes");
        _completed = true;
        if (_token.CanBeCanceled)
        {
            // Waits for a cancellation callback running right now: after this none can be in flight for this version.
            _registration.Dispose();
            _registration = default;
        }

        ScheduleWaiter();
    }

    private void ScheduleWaiter()
    {
        if (_waker is { } waker)
        {
            waker.WakeByRef();
            return;
        }

        if (_continuation is null)
        {
            return; // not awaited yet: OnCompleted schedules it
        }

        switch (_target)
        {
            case null:
                _startQueue!.Enqueue(new WorkItem(WorkKind.StateAction, _continuation, _continuationState, _executionContext));
                break;
            case TaskQueue queue:
                queue.Executor.Post(queue, WorkKind.StateAction, _continuation, _continuationState, _executionContext);
                break;
            case SynchronizationContext context:
#pragma warning disable VSTHRD001 // resuming on the awaiter's own context is the job here
                context.Post(static self => ((IoOperation)self!).InvokeContinuation(), this);
#pragma warning restore VSTHRD001
                break;
            case TaskScheduler scheduler:
                _ = Task.Factory.StartNew(static self => ((IoOperation)self!).InvokeContinuation(), this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                break;
        }
    }

    private void InvokeContinuation()
    {
        if (_executionContext is { } context)
        {
            ExecutionContext.Run(context, static self => ((IoOperation)self!).InvokeContinuationCore(), this);
        }
        else
        {
            InvokeContinuationCore();
        }
    }

    private void InvokeContinuationCore() => _continuation!(_continuationState);

    private int TakeResult(short token)
    {
        ValidateToken(token);
        if (!_completed)
        {
            throw new InvalidOperationException($"This {_what} has not completed; await it instead of reading its result.");
        }

        int result = _result;
        Exception? error = _error;
        _pending = false;
        _completed = false;
        _waker = null;
        _continuation = null;
        _continuationState = null;
        _target = null;
        _startQueue = null;
        _executionContext = null;
        _token = default;
        _result = 0;
        _error = null;
        Version++;
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ValidateToken(short token)
    {
        if (token != Version || !_pending)
        {
            ThrowStale();
        }
    }

    private void ThrowStale() =>
        throw new InvalidOperationException($"This ValueTask of a {_what} was already consumed; a ValueTask may be awaited only once.");

    private void OnTokenCancelled()
    {
        // Runs while this version is current: the owner disposes the registration (waiting for this callback) before
        // the version can change.
        var notice = new CancellationNotice(this, Version);
        if (_executor.IsOwnerThread)
        {
            notice.Apply();
        }
        else
        {
            _executor.EnqueueForeign(new WorkItem(WorkKind.Control, s_applyCancellation, notice));
        }
    }

    private sealed class CancellationNotice(IoOperation operation, short version)
    {
        public void Apply()
        {
            if (operation.IsWaiting && operation.Version == version)
            {
                operation.Fail(new OperationCanceledException(operation._token));
            }
        }
    }
}
