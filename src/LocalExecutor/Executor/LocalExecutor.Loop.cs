using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// The hot path: the loop that drains the inbox, picks a queue, pops and polls. Everything here runs on the
// executor thread.
public sealed partial class LocalExecutor
{
    /// <summary>How many items run before the loop looks at its inbox again, so foreign wakes are not starved.</summary>
    private const int InboxCheckInterval = 64;

    private long _itemsRun;

    private void RunLoop()
    {
        while (Volatile.Read(ref _lifecycle) == Running)
        {
            DrainInbox();
            TaskQueue? queue = SelectQueue();
            if (queue is not null)
            {
                RunSlice(queue);
            }
            else
            {
                Park();
            }
        }

        ShutdownOnOwner();
    }

    private TaskQueue? SelectQueue() => _defaultQueue.Items.IsEmpty ? null : _defaultQueue;

    private void RunSlice(TaskQueue queue)
    {
        t_currentQueue = queue;
        RunQueue items = queue.Items;
        for (int i = 0; i < InboxCheckInterval && items.TryDequeue(out WorkItem item); i++)
        {
            Execute(queue, in item);
        }

        t_currentQueue = null;
    }

    /// <summary>Applies work handed over by other threads: wakes and cancels to their tasks, the rest to its queue.</summary>
    private void DrainInbox()
    {
        if (_inbox.IsEmpty)
        {
            return;
        }

        // Bounded by what is there now, so a producer that never stops cannot starve the run queues.
        for (int n = _inbox.Count; n > 0 && _inbox.TryDequeue(out WorkItem item); n--)
        {
            Apply(in item);
        }
    }

    private static void Apply(in WorkItem item)
    {
        switch (item.Kind)
        {
            case WorkKind.Wake:
                Unsafe.As<LocalTask>(item.Target).WakeByRef();
                break;
            case WorkKind.Cancel:
                Unsafe.As<LocalTask>(item.Target).CancelLocal();
                break;
            default:
                Debug.Assert(item.Queue is not null, "work from other threads names its queue");
                item.Queue!.Enqueue(new WorkItem(item.Kind, item.Target, item.State, item.Context));
                break;
        }
    }

    /// <summary>Runs one work item. Nothing it throws escapes: exceptions go to <see cref="UnhandledException"/>.</summary>
    private void Execute(TaskQueue queue, in WorkItem item)
    {
        try
        {
            switch (item.Kind)
            {
                case WorkKind.Poll:
                    Unsafe.As<LocalTask>(item.Target).Run();
                    break;
                case WorkKind.SchedulerTask:
                    queue.Scheduler.Execute(Unsafe.As<Task>(item.Target));
                    break;
                case WorkKind.PostCallback:
                    RestoreContext(item.Context);
                    Unsafe.As<SendOrPostCallback>(item.Target)(item.State);
                    break;
                case WorkKind.Action:
                    RestoreContext(item.Context);
                    Unsafe.As<Action>(item.Target)();
                    break;
                case WorkKind.StateAction:
                    RestoreContext(item.Context);
                    Unsafe.As<Action<object?>>(item.Target)(item.State);
                    break;
                default:
                    Apply(in item);
                    break;
            }
        }
        catch (Exception exception)
        {
            ReportUnhandled(exception);
        }

        _itemsRun++;

        // Work may leave AsyncLocal values or another synchronization context on the thread; the next item must not
        // inherit them.
        if (ExecutionContext.Capture() != LoopContext)
        {
            ExecutionContext.Restore(LoopContext!);
        }

        if (System.Threading.SynchronizationContext.Current != queue.SynchronizationContext)
        {
            System.Threading.SynchronizationContext.SetSynchronizationContext(queue.SynchronizationContext);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RestoreContext(ExecutionContext? context)
    {
        if (context is not null)
        {
            ExecutionContext.Restore(context);
        }
    }

    private void Park()
    {
        if (_options.SpinBeforePark > TimeSpan.Zero && SpinForWork())
        {
            return;
        }

        _parker.Park(Timeout.Infinite, _hasForeignWork ??= HasForeignWork);
    }

    private Func<bool>? _hasForeignWork;

    private bool HasForeignWork() => !_inbox.IsEmpty || Volatile.Read(ref _lifecycle) != Running;

    private bool SpinForWork()
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(_options.SpinBeforePark.TotalSeconds * Stopwatch.Frequency);
        do
        {
            if (HasForeignWork())
            {
                return true;
            }

            Thread.SpinWait(8);
        }
        while (Stopwatch.GetTimestamp() < deadline);
        return false;
    }
}
