using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// One task queue of an executor: a FIFO run queue with the two doors that feed it (its
/// <see cref="LocalTaskScheduler"/> and its <see cref="LocalSynchronizationContext"/>) and what the scheduler needs to
/// share the core between queues: shares, latency class and virtual runtime. Work started in a queue stays in it:
/// continuations and <c>Task.Factory</c> calls made by its work come back to the same queue.
/// </summary>
/// <remarks>
/// Scheduling fields are written by the owner thread only. The statistics are single-writer longs: the owner
/// stores them with <c>Volatile.Write</c>, any thread reads them with <c>Volatile.Read</c>.
/// </remarks>
[DebuggerDisplay("{Name,nq}: {Items.Count} queued, vruntime {VRuntime}")]
internal sealed class TaskQueue
{
    private int _shares;
    private long _cpuTicks;
    private long _timesSelected;
    private long _itemsRun;
    private volatile bool _removed;

    public TaskQueue(LocalExecutor executor, int id, string name, Shares shares = default, Latency latency = default)
    {
        Executor = executor;
        Id = id;
        Name = name;
        SharesSpec = shares == default ? Shares.Default : shares;
        _shares = SharesSpec.Value;
        Latency = latency;
        LatencyTicks = latency.IsLatencySensitive ? PreemptClock.ToTicks(latency.Bound) : 0;
        Scheduler = new LocalTaskScheduler(this);
        SynchronizationContext = new LocalSynchronizationContext(this);
        Handle = new TaskQueueHandle(this);
    }

    public LocalExecutor Executor { get; }

    public int Id { get; }

    public string Name { get; }

    public RunQueue Items { get; } = new();

    public LocalTaskScheduler Scheduler { get; }

    public LocalSynchronizationContext SynchronizationContext { get; }

    public TaskQueueHandle Handle { get; }

    public Latency Latency { get; }

    /// <summary>The latency bound in clock ticks; zero when latency is not important. Immutable, so producers on
    /// other threads may read it to decide whether their wake cuts the running slice short.</summary>
    public long LatencyTicks { get; }

    /// <summary>The shares as configured (static value or provider). Owner thread.</summary>
    public Shares SharesSpec { get; set; }

    /// <summary>The repeating timer that asks a dynamic provider; null for static shares. Owner thread.</summary>
    public TimerEntry? SharesTimer { get; set; }

    /// <summary>Virtual runtime: CPU ticks scaled by <see cref="ThreadPerCore.Shares.Max"/> / shares. Owner thread.</summary>
    public long VRuntime;

    /// <summary>True once the owner has put the queue in its scheduling set. Owner thread.</summary>
    public bool IsRegistered;

    /// <summary>Raw tasks of this queue that started and have not finished (removal refuses while any exist).</summary>
    public int LiveTaskCount;

    /// <summary>The current shares (1..1000); written by the owner, readable anywhere.</summary>
    public int CurrentShares
    {
        get => Volatile.Read(ref _shares);
        set => Volatile.Write(ref _shares, value);
    }

    /// <summary>Set once, by the owner, when the queue is removed; read by spawners on any thread.</summary>
    public bool IsRemoved
    {
        get => _removed;
        set => _removed = value;
    }

    public long CpuTicks => Volatile.Read(ref _cpuTicks);

    public long TimesSelected => Volatile.Read(ref _timesSelected);

    public long ItemsRun => Volatile.Read(ref _itemsRun);

    /// <summary>Queues an item on the owner thread. A queue that goes from empty to runnable tells the scheduler,
    /// which starts it at the current minimum virtual runtime (no credit for the time it was idle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(in WorkItem item)
    {
        Debug.Assert(Executor.IsOwnerThread, "the run queue belongs to the owner thread");
        bool wasEmpty = Items.IsEmpty;
        Items.Enqueue(item);
        if (wasEmpty)
        {
            Executor.OnQueueActivated(this);
        }
    }

    /// <summary>Charges one slice to the queue (owner thread).</summary>
    public void Charge(long cpuTicks)
    {
        VRuntime += cpuTicks * ThreadPerCore.Shares.Max / _shares;
        Volatile.Write(ref _cpuTicks, _cpuTicks + cpuTicks);
        Volatile.Write(ref _timesSelected, _timesSelected + 1);
    }

    /// <summary>Counts one work item run (owner thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountItemRun() => Volatile.Write(ref _itemsRun, _itemsRun + 1);

    public override string ToString() => $"{Executor.Name}/{Name}";
}
