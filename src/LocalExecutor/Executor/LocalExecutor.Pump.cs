using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// A nested loop for a turn that must wait synchronously on its own thread: JoinableTaskFactory.Run on the core. The
// awaited work is almost always local (a spawn, a LocalTask, a timer of this executor), so the thread keeps running
// the executor's work until the wait is over, as a UI thread pumps messages inside a modal wait.
public sealed partial class LocalExecutor
{
    private Action? _unparkAction;

    /// <summary>
    /// Runs this executor's work (inbox, due timers, I/O readiness, every task queue) on its own thread until
    /// <paramref name="task"/> completes, sleeping while there is none. The turn that calls it stays the current turn;
    /// the caller's synchronization and execution contexts are restored afterwards. Owner thread only.
    /// </summary>
    internal void PumpUntil(Task task)
    {
        Debug.Assert(IsOwnerThread, "only the owner pumps its own loop");
        if (task.IsCompleted)
        {
            return;
        }

        SynchronizationContext? callerSyncContext = System.Threading.SynchronizationContext.Current;
        ExecutionContext? callerContext = ExecutionContext.Capture();
        TaskQueue? callerQueue = t_currentQueue;

        // A completion on another thread must wake a sleeping loop: it publishes the completion, then unparks; the
        // park re-checks the task after announcing itself (the parker's handshake).
        ConfiguredTaskAwaitable.ConfiguredTaskAwaiter completion = task.ConfigureAwait(false).GetAwaiter();
        completion.UnsafeOnCompleted(_unparkAction ??= _parker.Unpark);
        Func<bool> wake = () => task.IsCompleted || HasForeignWork();
        try
        {
            while (!task.IsCompleted)
            {
                if (!RunNestedTurns() && !task.IsCompleted)
                {
                    _turnWatch?.Pause();
                    Park(wake);
                    _turnWatch?.Resume();
                }
            }
        }
        finally
        {
            t_currentQueue = callerQueue;
            if (callerContext is not null && ExecutionContext.Capture() != callerContext)
            {
                ExecutionContext.Restore(callerContext);
            }

            System.Threading.SynchronizationContext.SetSynchronizationContext(callerSyncContext);
        }
    }

    /// <summary>One pass of the nested loop: what the inbox, the timers and the reactor have now, then the items queued
    /// in each task queue now, oldest queue first. Nothing is charged to the queues: the outer turn's slice pays.</summary>
    /// <returns>True when any item ran.</returns>
    private bool RunNestedTurns()
    {
        DrainInbox();
        if (_timers.Count != 0)
        {
            FireDueTimers(Now());
        }

        if (_reactor is { SourceCount: > 0 })
        {
            PollIo();
        }

        bool ran = false;
        foreach (TaskQueue queue in _queues)
        {
            int count = queue.Items.Count;
            if (count == 0)
            {
                continue;
            }

            t_currentQueue = queue;
            System.Threading.SynchronizationContext.SetSynchronizationContext(queue.SynchronizationContext);
            for (int i = 0; i < count && queue.Items.TryDequeue(out WorkItem item); i++)
            {
                TurnWatch? watch = _turnWatch;
                var outer = watch?.BeginNested(item.Kind, item.Target, item.State, queue);
                ExecuteCore(queue, in item);
                if (outer is { } turn)
                {
                    watch!.EndNested(turn);
                }

                queue.CountItemRun();
                Volatile.Write(ref _itemsRun, _itemsRun + 1);
                ran = true;
            }
        }

        return ran;
    }
}
