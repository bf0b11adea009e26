using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

// Task queues: creating, removing and re-weighting them. The scheduling set (_queues) belongs to the owner thread;
// other threads ask for changes through the inbox. The array is replaced, never mutated, so a statistics reader on
// another thread always sees a whole one.
public sealed partial class LocalExecutor
{
    private static readonly Action<object?> s_registerQueue = static queue => ((TaskQueue)queue!).Executor.RegisterQueue((TaskQueue)queue!);
    private static readonly Action<object?> s_applyShares = static state =>
    {
        var (queue, shares) = ((TaskQueue, Shares))state!;
        queue.Executor.ApplyShares(queue, shares);
    };

    private static readonly Action<object?> s_executeOnScheduler = static state =>
    {
        var (scheduler, task) = ((LocalTaskScheduler, Task))state!;
        scheduler.Execute(task);
    };

    private int _lastQueueId;

    /// <summary>The executor's default task queue (1000 shares, latency not important), where work runs unless it is
    /// spawned into another queue.</summary>
    public TaskQueueHandle DefaultTaskQueue => _defaultQueue.Handle;

    /// <summary>
    /// Creates a task queue. While several queues have work, each gets CPU time in proportion to its
    /// <paramref name="shares"/>; a queue whose <paramref name="latency"/> matters bounds everybody's time slice while
    /// it has work, and wakes into it from other threads cut the running slice short. Callable from any thread; the
    /// queue can be used at once.
    /// </summary>
    /// <param name="name">A name for diagnostics.</param>
    /// <param name="shares">Its shares (1..1000, static or dynamic); <c>default</c> means 1000.</param>
    /// <param name="latency">Its latency class.</param>
    /// <returns>The handle to spawn into and to remove the queue with.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public TaskQueueHandle CreateTaskQueue(string name, Shares shares, Latency latency)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        int id = Interlocked.Increment(ref _lastQueueId);
        var queue = new TaskQueue(this, id, name, shares, latency);
        if (IsOwnerThread)
        {
            RegisterQueue(queue);
        }
        else
        {
            EnqueueForeign(new WorkItem(WorkKind.Control, s_registerQueue, queue), rejectWhenStopped: true);
        }

        return queue.Handle;
    }

    /// <summary>Creates a task queue with static shares and no latency requirement. See
    /// <see cref="CreateTaskQueue(string, Shares, Latency)"/>.</summary>
    /// <param name="name">A name for diagnostics.</param>
    /// <param name="shares">1 to 1000.</param>
    /// <returns>The handle.</returns>
    public TaskQueueHandle CreateTaskQueue(string name, int shares = Shares.Max) =>
        CreateTaskQueue(name, Shares.Static(shares), Latency.NotImportant);

    /// <summary>
    /// Changes a queue's shares from any thread: static values take effect for the next slice; a dynamic provider is
    /// asked now and then at its period.
    /// </summary>
    /// <param name="queue">The queue.</param>
    /// <param name="shares">The new shares.</param>
    /// <exception cref="ArgumentNullException"><paramref name="queue"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException">The queue was removed.</exception>
    public void SetShares(TaskQueueHandle queue, Shares shares)
    {
        TaskQueue target = ResolveQueue(queue);
        if (IsOwnerThread)
        {
            ApplyShares(target, shares);
        }
        else
        {
            EnqueueForeign(new WorkItem(WorkKind.Control, s_applyShares, (target, shares)), rejectWhenStopped: true);
        }
    }

    /// <summary>
    /// Removes a task queue that has no work left: nothing queued and no raw task of it still alive. Afterwards
    /// spawning into it throws. Called from another thread it runs on the executor and blocks until done.
    /// </summary>
    /// <param name="queue">The queue.</param>
    /// <exception cref="ArgumentNullException"><paramref name="queue"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="queue"/> belongs to another executor.</exception>
    /// <exception cref="InvalidOperationException">It is the default queue, it was removed already, or it still has
    /// work (the message says how much); or it is called on the thread of another executor that this executor's thread
    /// is blocked on (waiting would deadlock both).</exception>
    /// <exception cref="ObjectDisposedException">The executor has shut down, or shut down before the removal ran.</exception>
    public void RemoveTaskQueue(TaskQueueHandle queue)
    {
        TaskQueue target = ResolveQueue(queue);
        if (target == _defaultQueue)
        {
            ThrowHelper.ThrowDefaultQueueRemoval(this);
        }

        if (IsOwnerThread)
        {
            RemoveOnOwner(target);
            return;
        }

        using (EnterBlockingCall(this, BlockingCall.RemoveTaskQueue))
        {
            LocalTask<VoidResult> removal = Schedule(new DelegateTask<(LocalExecutor Executor, TaskQueue Queue), VoidResult>(
                _defaultQueue,
                static state =>
                {
                    state.Executor.RemoveOnOwner(state.Queue);
                    return default;
                },
                (this, target)));
            try
            {
                removal.AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (removal.IsCanceled)
            {
                // Nothing else cancels the removal: the executor stopped before it ran.
                ThrowHelper.ThrowDisposed(this);
            }
        }
    }

    /// <summary>Validates a handle at the public edge and returns its queue.</summary>
    internal TaskQueue ResolveQueue(TaskQueueHandle handle, string argumentName = "queue")
    {
        ArgumentNullException.ThrowIfNull(handle, argumentName);
        TaskQueue queue = handle.Queue;
        if (queue.Executor != this)
        {
            ThrowHelper.ThrowQueueOfOtherExecutor(queue, this, argumentName);
        }

        if (queue.IsRemoved)
        {
            ThrowHelper.ThrowQueueRemoved(queue);
        }

        return queue;
    }

    private void RegisterQueue(TaskQueue queue)
    {
        if (queue.IsRegistered)
        {
            return;
        }

        queue.IsRegistered = true;
        queue.VRuntime = _minVruntime;
        Volatile.Write(ref _queues, [.. _queues, queue]);
        if (queue.SharesSpec.IsDynamic)
        {
            ApplyShares(queue, queue.SharesSpec);
        }
    }

    private void ApplyShares(TaskQueue queue, Shares shares)
    {
        if (queue.IsRemoved)
        {
            return;
        }

        if (queue.SharesTimer is { } old)
        {
            _timers.Remove(old);
            queue.SharesTimer = null;
        }

        queue.SharesSpec = shares;
        if (!shares.IsDynamic)
        {
            queue.CurrentShares = shares.Value;
            return;
        }

        var timer = new DynamicSharesTimer(queue);
        queue.SharesTimer = timer;
        timer.Adjust(this);
        timer.Deadline = Deadlines.After(Stopwatch.GetTimestamp(), shares.AdjustmentPeriod); // too long to count: never
        _timers.Add(timer);
    }

    private void RemoveOnOwner(TaskQueue queue)
    {
        if (queue.IsRemoved)
        {
            ThrowHelper.ThrowQueueRemoved(queue);
        }

        DrainInbox(); // work already handed over for this queue counts as its work
        int queued = queue.Items.Count;
        int live = queue.LiveTaskCount;
        if (queued != 0 || live != 0)
        {
            ThrowHelper.ThrowQueueHasWork(queue, queued, live);
        }

        queue.IsRemoved = true;
        if (queue.SharesTimer is { } timer)
        {
            _timers.Remove(timer);
            queue.SharesTimer = null;
        }

        Volatile.Write(ref _queues, Array.FindAll(_queues, q => q != queue));
    }

    private void EvacuateRemovedQueue(TaskQueue queue)
    {
        while (queue.Items.TryDequeue(out WorkItem item))
        {
            switch (item.Kind)
            {
                case WorkKind.Poll:
                    ((LocalTask)item.Target).CancelLocal();
                    break;
                case WorkKind.SchedulerTask:
                    // A TPL task must run under the scheduler it was queued to; it still is this queue's.
                    _defaultQueue.Enqueue(new WorkItem(
                        WorkKind.StateAction,
                        s_executeOnScheduler,
                        (queue.Scheduler, (Task)item.Target)));
                    break;
                default:
                    _defaultQueue.Enqueue(item);
                    break;
            }
        }
    }

    private sealed class DynamicSharesTimer : TimerEntry
    {
        private readonly TaskQueue _queue;

        public DynamicSharesTimer(TaskQueue queue)
            : base(queue.Executor) => _queue = queue;

        public void Adjust(LocalExecutor executor)
        {
            int shares;
            try
            {
                shares = _queue.SharesSpec.Provider!();
            }
            catch (Exception exception)
            {
                executor.ReportUnhandled(exception);
                return;
            }

            _queue.CurrentShares = Math.Clamp(shares, Shares.Min, Shares.Max);
        }

        public override void OnDue(LocalExecutor executor, long now)
        {
            if (_queue.SharesTimer != this)
            {
                return;
            }

            Adjust(executor);
            // Saturating: a period too long to count is "never", where the plain sum wrapped into the past and this timer
            // re-armed itself inside FireDueTimers forever.
            Deadline = Deadlines.After(now, _queue.SharesSpec.AdjustmentPeriod);
            executor._timers.Add(this);
        }
    }
}
