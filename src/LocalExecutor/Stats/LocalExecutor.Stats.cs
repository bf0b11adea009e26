using System.Collections.Generic;
using System.Threading;
using ThreadPerCore.Diagnostics;

namespace ThreadPerCore;

// Statistics: counters written by the owner thread alone (plain increments published with Volatile.Write), read
// from any thread with Volatile.Read. Nothing here stops or slows the core.
public sealed partial class LocalExecutor
{
    private KeyValuePair<string, object?>[]? _metricTags;

    /// <summary>The attributes of this executor's measurements on the <c>LocalExecutor</c> meter (see
    /// <see cref="LocalExecutorMeter"/>), made once.</summary>
    internal KeyValuePair<string, object?>[] MetricTags => _metricTags ??= ExecutorMetrics.CreateTags(this);

    /// <summary>The executor's task queues now, the default one first; readable from any thread.</summary>
    internal TaskQueue[] TaskQueuesSnapshot => Volatile.Read(ref _queues);

    /// <summary>A snapshot of the executor's counters, from any thread, without stopping the executor. Per-queue
    /// counters: <see cref="TaskQueueHandle.GetStats"/>, or <see cref="GetTaskQueueStats"/> for all queues.</summary>
    /// <returns>The counters as of now.</returns>
    public ExecutorStats GetStats()
    {
        TaskQueue[] queues = Volatile.Read(ref _queues);
        int queued = 0;
        foreach (TaskQueue queue in queues)
        {
            queued += queue.Items.Count;
        }

        return new ExecutorStats
        {
            TasksRun = Volatile.Read(ref _itemsRun),
            SchedulerRuns = Volatile.Read(ref _slices),
            BusyTime = PreemptClock.ToTimeSpan(Volatile.Read(ref _busyTicks)),
            ParkedTime = PreemptClock.ToTimeSpan(Volatile.Read(ref _parkedTicks)),
            SpinTime = PreemptClock.ToTimeSpan(Volatile.Read(ref _spinTicks)),
            Parks = Volatile.Read(ref _parks),
            ForeignWakeups = Volatile.Read(ref _foreignWakeups),
            LatencyPreemptions = Interlocked.Read(ref _latencyPreemptions),
            TimersFired = Volatile.Read(ref _timersFired),
            PendingTimers = _timers.Count,
            QueueLength = queued,
            InboxLength = _inbox.Count,
            TaskQueueCount = queues.Length,
            CrossThreadWorkItems = Volatile.Read(ref _foreignItems),
            IoPolls = _reactor?.Polls ?? 0,
            IoEvents = _reactor?.Events ?? 0,
            IoDescriptors = _reactor?.SourceCount ?? 0,
            Stalls = Volatile.Read(ref _stalls),
        };
    }

    /// <summary>Snapshots of every task queue's counters (the default queue first), from any thread.</summary>
    /// <returns>One snapshot per queue.</returns>
    public TaskQueueStats[] GetTaskQueueStats()
    {
        TaskQueue[] queues = Volatile.Read(ref _queues);
        var stats = new TaskQueueStats[queues.Length];
        for (int i = 0; i < queues.Length; i++)
        {
            stats[i] = new TaskQueueStats(queues[i]);
        }

        return stats;
    }
}
