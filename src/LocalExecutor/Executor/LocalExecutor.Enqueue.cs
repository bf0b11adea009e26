using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// How work reaches the executor: straight into a run queue on the owner thread, through the inbox from any other
// thread, or, once the executor has stopped, to the late-work path.
public sealed partial class LocalExecutor
{
    // The lifecycle (running, stopping, closed) and the producer gate of EnqueueForeign and ShutdownOnOwner, in one
    // word. A mutable struct: always used in place, never copied.
    private ShutdownGate _gate;
    private long _lateItems;

    /// <summary>Queues work for a queue of this executor from any thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Post(TaskQueue queue, WorkKind kind, object target, object? state, ExecutionContext? context, bool rejectWhenStopped = false)
    {
        if (IsOwnerThread)
        {
            queue.Enqueue(new WorkItem(kind, target, state, context));
        }
        else
        {
            EnqueueForeign(new WorkItem(kind, target, state, context, queue), rejectWhenStopped);
        }
    }

    /// <summary>
    /// Hands an item to the owner from another thread and wakes the owner if it sleeps. New work
    /// (<paramref name="rejectWhenStopped"/>) is refused with <see cref="ObjectDisposedException"/> once the stop was
    /// requested; anything else that arrives after the owner's last look at its inbox is handled as late work. Nothing
    /// is silently dropped.
    /// </summary>
    internal void EnqueueForeign(in WorkItem item, bool rejectWhenStopped = false)
    {
        // The lifecycle check and the entry are one atomic step (see ShutdownGate): either the owner's last look at the
        // inbox sees the item, or this producer learns that the gate is closed (or, for new work, that it is stopping).
        ShutdownGate.Admission admission = _gate.Enter(rejectWhenStopped);
        if (admission != ShutdownGate.Admission.Admitted)
        {
            RejectOrHandleLate(in item, admission);
            return;
        }

        _inbox.Enqueue(item);
        _gate.Exit();
        RaisePreemptIfLatencySensitive(in item);
        _parker.Unpark();
    }

    private void RejectOrHandleLate(in WorkItem item, ShutdownGate.Admission admission)
    {
        if (admission == ShutdownGate.Admission.Refused)
        {
            // New work is refused while the executor drains, unless it comes from the thread of another executor that is
            // draining too: a shard of a pool finishing a request here is work in flight, not new work. Admitted as a wake
            // would be, while the gate is open; refused once it closed, so it is never handled late.
            if (t_current is { IsStopping: true } caller && caller != this && _gate.Enter(refuseWhenStopping: false) == ShutdownGate.Admission.Admitted)
            {
                _inbox.Enqueue(item);
                CountBusyForHandedWork();
                _gate.Exit();
                _parker.Unpark();
                return;
            }

            ThrowHelper.ThrowDisposed(this);
        }

        HandleLate(in item);
    }

    /// <summary>
    /// Work that arrives after the executor closed its gate, handled on the arriving thread (or, for what the owner found
    /// in its inbox and queues at the very end, on the owner thread once it has left the executor). Every item is counted
    /// (<see cref="LateWorkItems"/>) and raised by <see cref="LateWork"/>. A stopped executor polls nothing: a wake or
    /// cancel ends its task cancelled, which is a no-op for the tasks shutdown already ended and ends the ones it never
    /// saw (a first wake, a sleep's or timeout's wake). A request to arm a timer gets the shutdown treatment of an armed
    /// timer (its sleep or timeout ends cancelled); other control requests find nothing left to change. No owner code
    /// runs here: whatever only the owner touches stays untouched. Callbacks, continuations and scheduled tasks are code
    /// of this core: <see cref="LocalExecutorOptions.LateWorkPolicy"/> runs them on the thread pool (so the code awaiting
    /// on this executor finishes instead of hanging) or rejects them loudly. A blocked <c>Send</c> gets
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    private void HandleLate(in WorkItem item)
    {
        Interlocked.Increment(ref _lateItems);
        Diagnostics.ExecutorMetrics.LateWork(this);
        bool runs = LateWorkEventArgs.RunsCode(in item);
        bool rejected = runs && _options.LateWorkPolicy == LateWorkPolicy.Reject;
        RaiseLateWork(in item, runs && !rejected);
        if (rejected)
        {
            ReportUnhandled(LateWorkEventArgs.CreateRejection(this, in item), UnhandledExceptionOrigin.LateWork);
            return;
        }

        switch (item.Kind)
        {
            case WorkKind.Wake:
            case WorkKind.Cancel:
            case WorkKind.Poll:
                Unsafe.As<LocalTask>(item.Target).CancelAtShutdown();
                break;
            case WorkKind.Control when item.State is TimerEntry timer:
                // The timer will never fire: what it was for ends as it does for the timers shutdown found armed (a
                // sleep or timeout cancelled). Runs no owner code: the heap is the owner's, and the owner empties it.
                timer.OnShutdown();
                break;
            case WorkKind.Control:
                break; // a change to the executor's own structures (a queue, shares, a socket), which shutdown tore down
            case WorkKind.SchedulerTask:
                // Queued before the stop but not run: run it where it can still run rather than leave it pending.
                ThreadPool.UnsafeQueueUserWorkItem(static state => state.Queue!.Scheduler.Execute((Task)state.Target), item, preferLocal: false);
                break;
            case WorkKind.StateAction when item.State is SendRequest request:
                request.Abandon(Name);
                break;
            default:
                ThreadPool.UnsafeQueueUserWorkItem(static state => state.Executor.RunLate(state.Item), (Executor: this, Item: item), preferLocal: false);
                break;
        }
    }

    /// <summary>Raises <see cref="LateWork"/> on the arriving thread; a handler's exception is reported, not thrown into
    /// the thread that completed some task.</summary>
    private void RaiseLateWork(in WorkItem item, bool runsOnThreadPool)
    {
        EventHandler<LateWorkEventArgs>? handlers = LateWork;
        if (handlers is null)
        {
            return;
        }

        try
        {
            handlers(this, new LateWorkEventArgs(this, in item, runsOnThreadPool));
        }
        catch (Exception exception)
        {
            ReportUnhandled(exception, UnhandledExceptionOrigin.LateWork);
        }
    }

    /// <summary>Runs a late callback or continuation on a thread-pool thread. What it throws is reported as unhandled
    /// (an <c>async void</c> method's exception arrives this way): a late exception must not crash the process.</summary>
    private void RunLate(WorkItem item)
    {
        if (item.Context is not null)
        {
            ExecutionContext.Restore(item.Context);
        }

        try
        {
            switch (item.Kind)
            {
                case WorkKind.PostCallback:
                    ((SendOrPostCallback)item.Target)(item.State);
                    break;
                case WorkKind.Action:
                    ((Action)item.Target)();
                    break;
                case WorkKind.StateAction:
                    ((Action<object?>)item.Target)(item.State);
                    break;
            }
        }
        catch (Exception exception)
        {
            ReportUnhandled(exception, UnhandledExceptionOrigin.LateWork);
        }
    }

    /// <summary>
    /// Raised for every work item that arrives after the executor stopped (counted by <see cref="LateWorkItems"/>): the
    /// continuation of an await whose task completed after the stop, a callback or task queued before it that shutdown did
    /// not run, a wake of a task it had ended, a timer request. Code of this core among them (see
    /// <see cref="LateWorkEventArgs.Kind"/>) is then run on the thread pool or rejected, as
    /// <see cref="LocalExecutorOptions.LateWorkPolicy"/> says. Raised on the thread where the work arrived, before it is
    /// handled; a handler that throws is reported through <see cref="UnhandledException"/>.
    /// </summary>
    public event EventHandler<LateWorkEventArgs>? LateWork;

    /// <summary>How many work items arrived after shutdown: callbacks and continuations run on the thread pool (or
    /// rejected, see <see cref="LocalExecutorOptions.LateWorkPolicy"/>), wakes and cancels that ended (or found already
    /// ended) a task cancelled, requests that found the executor stopped. Each is raised by <see cref="LateWork"/>.</summary>
    public long LateWorkItems => Interlocked.Read(ref _lateItems);

    /// <summary>The executor stops accepting new work: spawns, <c>QueueTask</c> and <c>Send</c> from other threads throw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ThrowIfStopped()
    {
        if (_gate.IsStopRequested && !IsOwnerThread)
        {
            ThrowHelper.ThrowDisposed(this);
        }
    }

    /// <summary>
    /// The <see cref="Task"/>s waiting in <paramref name="queue"/> (<see cref="TaskScheduler"/>'s <c>GetScheduledTasks</c>,
    /// for debuggers' task windows), oldest first: tasks queued to its scheduler, async methods whose continuation is
    /// queued (the method's own task), and the tasks of <see cref="PinnedTaskMethodBuilder{T}"/> methods whose next step
    /// is queued. Raw tasks have no <see cref="Task"/>; the executor's debugger view lists them with every other item.
    /// </summary>
    internal IEnumerable<Task> GetScheduledTasks(TaskQueue queue)
    {
        // For debuggers: a racy snapshot is acceptable (the debugger has the threads frozen). Items only move from the
        // inbox to the run queue, so reading the inbox first cannot miss one that moves between the two reads.
        var tasks = new List<Task>();
        foreach (WorkItem item in _inbox.ToArray())
        {
            // A wake names no queue: it goes to its task's.
            if ((item.Queue ?? (item.Target as LocalTask)?._queue) == queue && ScheduledTaskOf(in item) is Task task && !tasks.Contains(task))
            {
                tasks.Add(task);
            }
        }

        foreach (WorkItem item in queue.Items.ToArray())
        {
            if (ScheduledTaskOf(in item) is Task task && !tasks.Contains(task))
            {
                tasks.Add(task);
            }
        }

        return tasks;
    }

    /// <summary>The task a user would look for behind a queued item, if any. Type tests only: an item read while the
    /// owner writes its slot may mix two items.</summary>
    private static Task? ScheduledTaskOf(in WorkItem item) => item.Kind switch
    {
        WorkKind.SchedulerTask => item.Target as Task,
        WorkKind.Poll or WorkKind.Wake => (item.Target as IPromiseTask)?.Promise,
        WorkKind.PostCallback or WorkKind.StateAction => (item.State as Delegate)?.Target as Task ?? (item.Target as Delegate)?.Target as Task,
        WorkKind.Action => (item.Target as Delegate)?.Target as Task,
        _ => null,
    };
}
