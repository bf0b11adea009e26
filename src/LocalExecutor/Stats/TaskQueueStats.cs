using System;
using System.Runtime.InteropServices;

namespace ThreadPerCore;

/// <summary>
/// Counters of one task queue, taken from any thread without stopping the executor (<see cref="TaskQueueHandle.GetStats"/>).
/// The counters only grow: subtract two snapshots to measure an interval.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct TaskQueueStats
{
    internal TaskQueueStats(TaskQueue queue)
    {
        Name = queue.Name;
        CpuTime = PreemptClock.ToTimeSpan(queue.CpuTicks);
        TimesSelected = queue.TimesSelected;
        ItemsRun = queue.ItemsRun;
        CurrentShares = queue.CurrentShares;
        QueueLength = queue.Items.Count;
    }

    /// <summary>The queue's name.</summary>
    public string Name { get; init; }

    /// <summary>Time the executor spent running this queue's work, summed per slice, as the queue was charged for it:
    /// when the executor has several queues, the executor thread's CPU time (time the OS gave other threads is not in
    /// it); when it has only the default queue, wall time from the coarse preemption clock (unbiased over many
    /// slices).</summary>
    public TimeSpan CpuTime { get; init; }

    /// <summary>How many times the scheduler picked this queue to run a slice.</summary>
    public long TimesSelected { get; init; }

    /// <summary>Work items run: polls of raw tasks, TPL tasks, callbacks and continuations.</summary>
    public long ItemsRun { get; init; }

    /// <summary>The queue's shares now.</summary>
    public int CurrentShares { get; init; }

    /// <summary>Items waiting in the queue at the moment of the snapshot (racy by nature).</summary>
    public int QueueLength { get; init; }
}
