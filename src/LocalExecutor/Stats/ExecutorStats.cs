using System;
using System.Runtime.InteropServices;

namespace ThreadPerCore;

/// <summary>
/// Counters of one executor, taken from any thread without stopping it (<see cref="LocalExecutor.GetStats"/>). The
/// counters only grow (unlike Glommio's, reading does not reset them): subtract two snapshots to measure an interval.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct ExecutorStats
{
    /// <summary>Work items run in all queues: polls of raw tasks, TPL tasks, callbacks and continuations.</summary>
    public long TasksRun { get; init; }

    /// <summary>Slices run: how many times the scheduler picked a queue.</summary>
    public long SchedulerRuns { get; init; }

    /// <summary>Time spent running work: the sum of all slices as they were charged to their queues (see
    /// <see cref="TaskQueueStats.CpuTime"/>).</summary>
    public TimeSpan BusyTime { get; init; }

    /// <summary>Time spent asleep waiting for work or a timer, added when each sleep ends (spinning before parking is
    /// not included).</summary>
    public TimeSpan ParkedTime { get; init; }

    /// <summary>Time spent spinning for work before parking (<see cref="LocalExecutorOptions.SpinBeforePark"/>); counted
    /// neither as busy nor as parked.</summary>
    public TimeSpan SpinTime { get; init; }

    /// <summary>How many times the executor went to sleep.</summary>
    public long Parks { get; init; }

    /// <summary>How many times another thread woke the sleeping executor by handing it work.</summary>
    public long ForeignWakeups { get; init; }

    /// <summary>How many times a wake from another thread into a latency-sensitive queue asked the running slice to end early.</summary>
    public long LatencyPreemptions { get; init; }

    /// <summary>Timers that came due (sleeps, timeouts, repeating timers, <see cref="System.TimeProvider"/> timers).</summary>
    public long TimersFired { get; init; }

    /// <summary>Timers armed and not yet due.</summary>
    public int PendingTimers { get; init; }

    /// <summary>Items waiting in all task queues at the moment of the snapshot.</summary>
    public int QueueLength { get; init; }

    /// <summary>Items handed over by other threads and not yet applied by the executor.</summary>
    public int InboxLength { get; init; }

    /// <summary>Task queues, the default one included.</summary>
    public int TaskQueueCount { get; init; }

    /// <summary>Work handed over by other threads and applied by the executor: wakes, posts, spawns and cancels that
    /// crossed threads through the inbox. Each is a cross-thread hop; I/O on the reactor makes none.</summary>
    public long CrossThreadWorkItems { get; init; }

    /// <summary>Times the reactor was asked for readiness, waiting (an idle executor's sleep) or not (a busy loop's
    /// look between slices). Zero without a reactor.</summary>
    public long IoPolls { get; init; }

    /// <summary>Readiness events the reactor dispatched to sockets and listeners.</summary>
    public long IoEvents { get; init; }

    /// <summary>Sockets and listeners registered with the reactor now.</summary>
    public int IoDescriptors { get; init; }

    /// <summary>Turns that ran longer than <see cref="LocalExecutorOptions.StallThreshold"/> (one poll, callback or
    /// timer callback that did not return to the loop in time), counted once each as they are detected, whether the
    /// rate limit let <see cref="LocalExecutor.Stalled"/> report them or not.</summary>
    public long Stalls { get; init; }
}
