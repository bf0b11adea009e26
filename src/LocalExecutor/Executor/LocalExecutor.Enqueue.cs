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
    private const int Running = 0;
    private const int Stopping = 1;
    private const int Stopped = 2;

    private int _lifecycle;

    // Producers between their lifecycle check and their enqueue, times two; bit 0 is set once the owner has taken
    // its last look at the inbox. See EnqueueForeign and ShutdownOnOwner.
    private int _producerGate;
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
    /// Hands an item to the owner from another thread and wakes the owner if it sleeps. After shutdown the item is
    /// rejected (<paramref name="rejectWhenStopped"/>) or handled as late work; it is never silently dropped.
    /// </summary>
    internal void EnqueueForeign(in WorkItem item, bool rejectWhenStopped = false)
    {
        if (rejectWhenStopped && Volatile.Read(ref _lifecycle) != Running)
        {
            ThrowHelper.ThrowDisposed(this);
        }

        // The gate makes "the owner has taken its last look at the inbox" and "this item is in the inbox"
        // mutually exclusive: either the owner's final drain sees the item, or this producer sees the gate closed.
        if ((Interlocked.Add(ref _producerGate, 2) & 1) != 0)
        {
            Interlocked.Add(ref _producerGate, -2);
            HandleLate(in item);
            return;
        }

        _inbox.Enqueue(item);
        Interlocked.Add(ref _producerGate, -2);
        _parker.Unpark();
    }

    /// <summary>
    /// Work that arrives after the executor stopped. Raw tasks were all cancelled at shutdown, so their wakes and
    /// cancels are no-ops. Callbacks and continuations run on the thread pool, so the code awaiting on this executor
    /// finishes (its <c>finally</c> blocks run, its task completes) instead of hanging; <see cref="LateWorkItems"/>
    /// counts them. A blocked <c>Send</c> gets <see cref="ObjectDisposedException"/>.
    /// </summary>
    private void HandleLate(in WorkItem item)
    {
        Interlocked.Increment(ref _lateItems);
        switch (item.Kind)
        {
            case WorkKind.Wake:
            case WorkKind.Cancel:
                break;
            case WorkKind.SchedulerTask:
                // Queued before the stop but not run: run it where it can still run rather than leave it pending.
                ThreadPool.UnsafeQueueUserWorkItem(static state => state.Queue!.Scheduler.Execute((Task)state.Target), item, preferLocal: false);
                break;
            case WorkKind.StateAction when item.State is SendRequest request:
                request.Abandon(Name);
                break;
            default:
                ThreadPool.UnsafeQueueUserWorkItem(static state => RunLate(state), item, preferLocal: false);
                break;
        }
    }

    private static void RunLate(WorkItem item)
    {
        if (item.Context is not null)
        {
            ExecutionContext.Restore(item.Context);
        }

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

    /// <summary>How many work items arrived after shutdown and were run on the thread pool (or dropped as no-op wakes).</summary>
    public long LateWorkItems => Interlocked.Read(ref _lateItems);

    /// <summary>The executor stops accepting new work: spawns, <c>QueueTask</c> and <c>Send</c> from other threads throw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ThrowIfStopped()
    {
        if (Volatile.Read(ref _lifecycle) != Running && !IsOwnerThread)
        {
            ThrowHelper.ThrowDisposed(this);
        }
    }

    internal IEnumerable<Task> GetScheduledTasks(TaskQueue queue)
    {
        // For debuggers: a racy snapshot is acceptable (the debugger has the threads frozen).
        var tasks = new List<Task>();
        foreach (WorkItem item in queue.Items.ToArray())
        {
            if (item.Kind == WorkKind.SchedulerTask)
            {
                tasks.Add((Task)item.Target);
            }
        }

        foreach (WorkItem item in _inbox.ToArray())
        {
            if (item.Kind == WorkKind.SchedulerTask && item.Queue == queue)
            {
                tasks.Add((Task)item.Target);
            }
        }

        return tasks;
    }
}
