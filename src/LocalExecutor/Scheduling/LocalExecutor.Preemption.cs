using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore;

// Cooperative preemption: the cheap "should I yield?" check, the awaitables built on it, and the producer side that
// cuts a slice short when a latency-sensitive queue is woken from another thread.
public sealed partial class LocalExecutor
{
    private long _defaultSliceTicks;

    /// <summary>
    /// True when code running on an executor should yield: its queue has used its time slice (the smallest latency
    /// bound among runnable queues, else <see cref="LocalExecutorOptions.PreemptTimeSlice"/>), a timer is due, or
    /// another thread woke a latency-sensitive queue. False off executor threads.
    /// </summary>
    /// <remarks>Costs a few nanoseconds: a thread-static read, two loads compared against the slice deadline (the clock
    /// is published by a background thread, so there is no system call and no lock) and a counter; one call in 64 also
    /// reads the precise clock, so a starved clock thread cannot stretch a slice much. Call it in long loops and yield
    /// with <see cref="YieldIfNeeded"/> when it is true.</remarks>
    public static bool NeedsPreempt
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_current is { } executor && executor.NeedsPreemptCore;
    }

    /// <summary>The handle of the task queue whose work runs on the calling thread, or null off executor threads
    /// (and outside queue work).</summary>
    public static TaskQueueHandle? CurrentTaskQueue => t_currentQueue?.Handle;

    /// <summary>Every this many checks that the coarse clock answers "no", one reads the precise clock: a clock thread
    /// kept off the CPU by an overloaded machine cannot stretch a slice by more than 64 checks' worth of work.</summary>
    private const int PreciseCheckMask = 63;

    private int _preemptChecks;

    internal bool NeedsPreemptCore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (Volatile.Read(ref _preempt) != 0 || PreemptClock.Now >= _sliceDeadline)
            {
                return true;
            }

            return (++_preemptChecks & PreciseCheckMask) == 0 && PreciseDeadlinePassed();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool PreciseDeadlinePassed()
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (now > _clockFloor)
        {
            _clockFloor = now; // the loop's clock must agree, or the next slice would start in the past
        }

        if (now < _sliceDeadline)
        {
            return false;
        }

        Volatile.Write(ref _preempt, 1); // sticky until the loop's next turn, so the slice really ends
        return true;
    }

    /// <summary>
    /// Yields to the back of the current queue only when <see cref="NeedsPreempt"/> is true, so the executor can run
    /// other queues, timers and work from other threads; otherwise completes at once. Allocation-free in methods
    /// returning <see cref="LocalTask"/> and in <see cref="System.Threading.Tasks.Task"/>-returning async methods alike.
    /// </summary>
    /// <returns>An awaitable.</returns>
    public static YieldIfNeededAwaitable YieldIfNeeded() => default;

    /// <summary>
    /// Always yields: the awaiting code goes to the back of its own task queue (behind what is queued there now) and
    /// the slice goes on with the next item. Off executor threads it behaves like <see cref="System.Threading.Tasks.Task.Yield"/>.
    /// </summary>
    /// <returns>An awaitable.</returns>
    public static LocalYieldAwaitable Yield() => default;

    /// <summary>Queues a yielded continuation at the back of the current queue; off executor threads, like Task.Yield.</summary>
    internal static void PostYieldContinuation(System.Action continuation, bool flowExecutionContext)
    {
        if (t_current is { } executor)
        {
            TaskQueue queue = t_currentQueue ?? executor._defaultQueue;
            ExecutionContext? context = flowExecutionContext ? ExecutionContext.Capture() : null;
            queue.Enqueue(new WorkItem(WorkKind.Action, continuation, null, context == executor.LoopContext ? null : context));
            return;
        }

        System.Runtime.CompilerServices.YieldAwaitable.YieldAwaiter awaiter = System.Threading.Tasks.Task.Yield().GetAwaiter();
        if (flowExecutionContext)
        {
            awaiter.OnCompleted(continuation);
        }
        else
        {
            awaiter.UnsafeOnCompleted(continuation);
        }
    }

    /// <summary>
    /// A queue went from empty to runnable (owner thread). It starts at the least runnable vruntime, so idle time earns
    /// no credit; a latency-sensitive queue also shortens the running slice to its bound. Work that arrives for a
    /// removed queue is moved: raw tasks are cancelled (they never run elsewhere), callbacks and continuations run in
    /// the default queue so the code awaiting them does not hang.
    /// </summary>
    internal void OnQueueActivated(TaskQueue queue)
    {
        if (queue != _defaultQueue)
        {
            if (!queue.IsRegistered)
            {
                RegisterQueue(queue);
            }

            if (queue.IsRemoved)
            {
                EvacuateRemovedQueue(queue);
                return;
            }
        }

        if (queue.VRuntime < _minVruntime)
        {
            queue.VRuntime = _minVruntime;
        }

        if (queue.LatencyTicks != 0 && t_currentQueue != queue && _sliceDeadline != long.MaxValue)
        {
            long deadline = _sliceStart + queue.LatencyTicks;
            if (deadline < _sliceDeadline)
            {
                Volatile.Write(ref _sliceDeadline, deadline);
                PreemptClock.Nudge(deadline);
            }
        }
    }

    /// <summary>Producer side (any thread other than the owner): a wake into a latency-sensitive queue asks the running
    /// slice to end. One volatile read of an immutable field, and a store only when it matters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RaisePreemptIfLatencySensitive(in WorkItem item)
    {
        TaskQueue? queue = item.Queue;
        if (queue is null && item.Kind == WorkKind.Wake)
        {
            queue = Unsafe.As<LocalTask>(item.Target)._queue;
        }

        if (queue is not null && queue.LatencyTicks != 0 && Volatile.Read(ref _preempt) == 0)
        {
            Volatile.Write(ref _preempt, 1);
            Interlocked.Increment(ref _latencyPreemptions);
        }
    }
}
