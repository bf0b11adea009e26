using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// A task that lives on one <see cref="LocalExecutor"/>: the raw task of the executor (a small state machine
/// with a waker) and, at the same time, the awaitable handle of its result. Spawns and methods returning
/// <see cref="LocalTask"/> or <see cref="LocalTask{T}"/> create one, and it is the only allocation they make.
/// </summary>
/// <remarks>
/// Await it from anywhere: the continuation resumes where the awaiting code was (its executor, its
/// synchronization context, or the thread pool). <see cref="Cancel"/> ends it without another poll.
/// </remarks>
[DebuggerDisplay("{DebuggerState,nq}")]
[DebuggerTypeProxy(typeof(LocalTaskDebugView))]
[AsyncMethodBuilder(typeof(LocalTaskMethodBuilder))]
public abstract partial class LocalTask
{
    // Owner-thread state (see TaskState). Plain fields: no other thread reads or writes them.
    internal int _state;
    internal readonly TaskQueue _queue;
    internal LocalTask? _liveNext;
    internal LocalTask? _livePrev;
    private Action? _wakeAction;

    /// <summary>The execution context a body runs under. An async method's: captured at start and at every suspension,
    /// like the runtime's builders, and restored around each poll. A spawned body's: the spawner's, captured by the
    /// spawn (null when it is the loop's own) and restored for the call of the body, as <c>Task.Run</c> does.</summary>
    internal ExecutionContext? BodyContext;

    private protected LocalTask(TaskQueue queue)
    {
        _queue = queue;
    }

    /// <summary>The executor this task runs on.</summary>
    public LocalExecutor Executor => _queue.Executor;

    /// <summary>
    /// A delegate that wakes this task from any thread; created once per task and reused for every await, so
    /// registering it with an awaiter allocates nothing more. It wakes the task through a <see cref="WakeRelay"/>, which
    /// a cancel detaches: the awaited <see cref="System.Threading.Tasks.Task"/> (or other awaitable) keeps the small relay
    /// until it completes, not this task and its body.
    /// </summary>
    internal Action WakeAction => _wakeAction ??= new WakeRelay(this).Wake;

    /// <summary>The task whose <see cref="WakeAction"/> <paramref name="action"/> is, or null: lets our own awaitables
    /// that receive the delegate through a standard awaiter (a <see cref="System.Threading.Tasks.ValueTask"/>'s source)
    /// wake the task itself, one hop.</summary>
    internal static LocalTask? OwnerOfWakeAction(Action action) =>
        action.Target is WakeRelay { Task: { } task } && ReferenceEquals(task._wakeAction, action) ? task : null;

    /// <summary>
    /// Wakes the task from any thread. On the owner thread this is <see cref="WakeByRef"/>; from any other thread
    /// the wake travels through the owner's inbox and is applied there, so the state word stays single-threaded.
    /// </summary>
    internal void Wake()
    {
        LocalExecutor executor = _queue.Executor;
        if (executor.IsOwnerThread)
        {
            WakeByRef();
        }
        else
        {
            executor.EnqueueForeign(new WorkItem(WorkKind.Wake, this));
        }
    }

    /// <summary>
    /// The seed's <c>wake_by_ref</c>, on the owner thread. A completed or closed task ignores it; an already
    /// scheduled task ignores it (N wakes, one run); a running task is only marked, and the run loop queues it
    /// once after the poll returns; an idle task is queued now.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WakeByRef()
    {
        Debug.Assert(_queue.Executor.IsOwnerThread, "the state word belongs to the owner thread");
        int state = _state;
        if ((state & (TaskState.Finished | TaskState.Scheduled)) != 0)
        {
            return;
        }

        _state = state | TaskState.Scheduled;
        if ((state & TaskState.Running) == 0)
        {
            _queue.Enqueue(new WorkItem(WorkKind.Poll, this));
        }
    }

    /// <summary>
    /// Polls the task once. Called by the run loop for a dequeued task, or inline when an async method starts on
    /// its own executor thread.
    /// </summary>
    internal void Run()
    {
        Debug.Assert(_queue.Executor.IsOwnerThread, "only the owner polls");
        int state = _state;
        if ((state & TaskState.Finished) != 0)
        {
            // Cancelled while it sat in the queue: the cancel already finished it; this entry only retires.
            _state = state & ~TaskState.Scheduled;
            return;
        }

        if ((state & (TaskState.Tracked | TaskState.RunsOnce)) == 0)
        {
            state |= TaskState.Tracked;
            _queue.Executor.LiveTasks.Add(this);
        }

        _state = (state & ~TaskState.Scheduled) | TaskState.Running;
        while (true)
        {
            try
            {
                Poll();
            }
            catch (Exception exception)
            {
                // Poll implementations report their own failures; this only guards the executor against a bug.
                SetExceptionCore(exception);
            }

            state = _state;
            if ((state & (TaskState.ResumeAtOnce | TaskState.Finished)) != TaskState.ResumeAtOnce)
            {
                break;
            }

            _state = state & ~(TaskState.ResumeAtOnce | TaskState.Scheduled); // as at the start of a poll
        }

        if ((state & TaskState.Closed) != 0)
        {
            // Cancelled during the poll: no requeue, and the awaiter sees cancellation even if the body finished.
            _state = state & ~(TaskState.Running | TaskState.Scheduled);
            FinishCancelled();
        }
        else if ((state & TaskState.Completed) != 0)
        {
            _state = state & ~(TaskState.Running | TaskState.Scheduled);
            if ((state & TaskState.Tracked) != 0)
            {
                _queue.Executor.LiveTasks.Remove(this);
            }

            PublishCompletion();
        }
        else if ((state & TaskState.Scheduled) != 0)
        {
            // Woken while running: queued once, now that the poll has returned.
            _state = state & ~TaskState.Running;
            _queue.Enqueue(new WorkItem(WorkKind.Poll, this));
        }
        else
        {
            _state = state & ~TaskState.Running;
        }
    }

    /// <summary>
    /// Starts an async body: inline when called on its executor thread (so a call costs no queue trip, as in
    /// Glommio's spawn), else by a wake through the executor's inbox.
    /// </summary>
    internal void Start()
    {
        LocalExecutor executor = _queue.Executor;
        if (!executor.IsOwnerThread)
        {
            executor.EnqueueForeign(new WorkItem(WorkKind.Wake, this), rejectWhenStopped: true);
            return;
        }

        if (!LocalExecutor.IsRunningQueue(_queue))
        {
            // Started for another task queue: it waits for its queue's turn (Glommio's spawn_local_into), so its first
            // steps are charged to, and scheduled with, its own queue.
            WakeByRef();
            return;
        }

        // Like the runtime's AsyncMethodBuilderCore.Start: whatever the synchronous part changes in the execution
        // or synchronization context must not leak out to the caller.
        ExecutionContext? callerContext = ExecutionContext.Capture();
        SynchronizationContext? callerSyncContext = SynchronizationContext.Current;
        try
        {
            Run();
        }
        finally
        {
            if (callerContext is not null && ExecutionContext.Capture() != callerContext)
            {
                ExecutionContext.Restore(callerContext);
            }

            if (SynchronizationContext.Current != callerSyncContext)
            {
                SynchronizationContext.SetSynchronizationContext(callerSyncContext);
            }
        }
    }

    /// <summary>
    /// Asks, from inside the poll, to be polled again as soon as this poll returns, because what the task just
    /// registered on turned out to be complete already (it completed between the task's look and its registration, so
    /// registering cannot wake the task any more). Polling again at once, rather than queueing, leaves no moment in which
    /// a cancel could end the task without its seeing an outcome that already took effect.
    /// </summary>
    /// <returns>False when called outside the task's own poll: the caller then wakes the task as usual.</returns>
    internal bool TryResumeInThisPoll()
    {
        if (!_queue.Executor.IsOwnerThread || (_state & TaskState.Running) == 0)
        {
            return false;
        }

        _state |= TaskState.ResumeAtOnce;
        return true;
    }

    /// <summary>
    /// Yields from inside the poll: the task marks itself woken while running, so the run loop puts it at the back
    /// of its queue once the poll returns. No delegate, no queue trip through a context.
    /// </summary>
    internal void YieldNow()
    {
        Debug.Assert((_state & TaskState.Running) != 0, "only a running task yields");
        WakeByRef();
    }

    /// <summary>
    /// Cancels the task from any thread. A queued, idle or running task ends without another poll (a running one
    /// once its current poll returns), and its awaiters see <see cref="OperationCanceledException"/>. A task that
    /// already finished is left as it is.
    /// </summary>
    /// <remarks>
    /// Like dropping a future in Rust, cancelling abandons the body where it is suspended: <c>finally</c> blocks
    /// after its current await do not run. Use a <see cref="System.Threading.CancellationToken"/> inside the body
    /// when it must clean up.
    /// </remarks>
    public void Cancel()
    {
        LocalExecutor executor = _queue.Executor;
        if (executor.IsOwnerThread)
        {
            CancelLocal();
        }
        else
        {
            executor.EnqueueForeign(new WorkItem(WorkKind.Cancel, this));
        }
    }

    /// <summary>The cancel transition, on the owner thread.</summary>
    internal void CancelLocal()
    {
        int state = _state;
        if ((state & TaskState.Finished) != 0)
        {
            return;
        }

        _state = state | TaskState.Closed;
        if ((state & TaskState.Running) == 0)
        {
            // Idle or queued: finish now. A queue entry, if any, retires without polling when it is dequeued.
            FinishCancelled();
        }
    }

    /// <summary>Enters the spawner's execution context for the call of a spawned body (nothing to do in the common case,
    /// the default context). The run loop restores its own context after the work item, so nothing leaks back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void EnterSpawnContext()
    {
        ExecutionContext? context = BodyContext;
        if (context is not null)
        {
            BodyContext = null;
            ExecutionContext.Restore(context);
        }
    }

    /// <summary>One step of the body. Must report failures through <see cref="SetExceptionCore"/>, not throw.</summary>
    private protected abstract void Poll();

    /// <summary>What the body is, for stall reports and debuggers: the state machine's <see cref="Type"/> of an async
    /// method, the delegate of a spawned body, a running task; null when the task has no body of its own (a sleep).
    /// Read from other threads without synchronization: a racy answer is good enough there.</summary>
    internal virtual object? DiagnosticBody => null;

    /// <summary>The user's delegate of a spawn: the spawn overloads without a state argument pass it as the state of a
    /// static adapter of ours, which names nothing.</summary>
    private protected static object? UserBody(System.Delegate? work, object? argument) =>
        argument is System.Delegate user && work?.Method.DeclaringType?.Assembly == typeof(LocalTask).Assembly ? user : work;

    /// <summary>Releases what the body holds (its state machine or delegate) once it will never run again.</summary>
    private protected abstract void ReleaseBody();

    private void FinishCancelled()
    {
        ReleaseBody();
        if ((_state & TaskState.Tracked) != 0)
        {
            _queue.Executor.LiveTasks.Remove(this);
        }

        SetCanceledOutcome();
        PublishCompletion();
        ReleaseWait();
    }

    /// <summary>A cancelled wait lets go of what it registered: the wake delegate held by an awaitable no longer leads
    /// here, and an awaited local task forgets this waiter (<see cref="WithdrawFromAwaited"/>). After the completion is
    /// published, so that the awaited task sees this one as abandoned.</summary>
    private void ReleaseWait()
    {
        if (_wakeAction?.Target is WakeRelay relay)
        {
            relay.Detach();
        }

        WithdrawFromAwaited();
    }

    /// <summary>Withdraws this task from what it was registered on as a waiter, if it remembered it
    /// (<see cref="RememberAwaited"/>). Called once when a cancel ended the task: on the owner thread, or after the
    /// executor stopped on the thread that ended it.</summary>
    private protected virtual void WithdrawFromAwaited()
    {
    }

    /// <summary>Remembers, until the next poll, what the current await waits on, so a cancel before then can withdraw
    /// from it (<see cref="IAwaitedByTask"/>). Owner thread, during the poll. Tasks that cannot be cancelled mid-await
    /// with something set aside for them ignore it.</summary>
    internal virtual void RememberAwaited(IAwaitedByTask awaited)
    {
    }

    /// <summary>The state word in words, for the debugger view.</summary>
    internal string DebuggerStateText
    {
        get
        {
            int state = _state;
            string flags = (state & TaskState.Completed) != 0 ? "Completed"
                : (state & TaskState.Closed) != 0 ? "Closed"
                : (state & TaskState.Running) != 0 ? ((state & TaskState.Scheduled) != 0 ? "Running, woken" : "Running")
                : (state & TaskState.Scheduled) != 0 ? "Scheduled" : "Idle";
            return flags;
        }
    }

    internal string DebuggerState => $"{WorkDescription.OfLocalTask(this).Text} on {_queue}: {DebuggerStateText}";
}
