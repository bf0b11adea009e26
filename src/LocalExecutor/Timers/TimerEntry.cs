namespace ThreadPerCore;

/// <summary>
/// One armed timer in an executor's <see cref="TimerHeap"/>. Owner thread only: the heap calls <see cref="OnDue"/>
/// from the run loop, which for user timers only queues work into a task queue, so callbacks run as ordinary work
/// of that queue (its synchronization context, its scheduler, its share of the core).
/// </summary>
internal abstract class TimerEntry
{
    protected TimerEntry(LocalExecutor executor) => Executor = executor;

    /// <summary>The executor whose heap the entry lives in.</summary>
    public LocalExecutor Executor { get; }

    /// <summary>When it is due, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public long Deadline;

    /// <summary>Arming order, so timers with the same deadline fire in the order they were armed.</summary>
    public long Sequence;

    /// <summary>Position in the heap; -1 when not armed.</summary>
    public int HeapIndex = -1;

    public bool IsArmed => HeapIndex >= 0;

    /// <summary>Called on the owner thread once the deadline passed; the entry is no longer in the heap.</summary>
    public abstract void OnDue(LocalExecutor executor, long now);

    /// <summary>True when the timer has nothing left to do (its task finished another way): an arm request that
    /// arrives through the inbox after that is dropped instead of leaving a dead entry in the heap.</summary>
    public virtual bool IsObsolete => false;

    /// <summary>Called when the executor shuts down with the timer still armed, or when a request about it (to arm it)
    /// arrives after the executor stopped: the timer will never fire, so what it was for ends (a sleep or timeout is
    /// cancelled). On the owner during shutdown, or on any thread once the executor closed its gate.</summary>
    public virtual void OnShutdown()
    {
    }
}
