using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Threading;

namespace ThreadPerCore.Diagnostics;

/// <summary>
/// The <c>LocalExecutor</c> meter and its instruments (see <see cref="LocalExecutorMeter"/>). Executors register when
/// their thread starts and unregister when it exits; the observable instruments read the registered executors'
/// statistics only when a listener collects, so running work costs nothing here.
/// </summary>
internal static class ExecutorMetrics
{
    private static readonly object s_lock = new();
    private static LocalExecutor[] s_executors = [];

    private static readonly Meter s_meter = new(
        LocalExecutorMeter.Name,
        typeof(ExecutorMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    // Late work arrives after the executor's thread exited and unregistered, so it cannot be observed from the
    // registry: it is counted as it happens, on the late path, which is cold by nature.
    private static readonly Counter<long> s_lateWork = s_meter.CreateCounter<long>(
        "localexecutor.late_work", "{item}",
        "Work items that reached the executor after it shut down (continuations run on the thread pool, wakes and cancels of ended tasks).");

    static ExecutorMetrics()
    {
        Counter("localexecutor.tasks.run", "{item}", "Work items run: polls of raw tasks, TPL tasks, callbacks and continuations.", static s => s.TasksRun);
        Counter("localexecutor.slices", "{slice}", "Times the scheduler picked a task queue to run a slice.", static s => s.SchedulerRuns);
        Time("localexecutor.busy.time", "Time spent running work.", static s => s.BusyTime);
        Time("localexecutor.parked.time", "Time spent asleep waiting for work or a timer.", static s => s.ParkedTime);
        Time("localexecutor.spin.time", "Time spent spinning for work before parking.", static s => s.SpinTime);
        Counter("localexecutor.parks", "{park}", "Times the executor went to sleep.", static s => s.Parks);
        Counter("localexecutor.foreign_wakes", "{wake}", "Times another thread woke the sleeping executor by handing it work.", static s => s.ForeignWakeups);
        Counter("localexecutor.stalls", "{stall}", "Turns (one poll, callback or timer) that ran longer than the stall threshold.", static s => s.Stalls);
        Counter("localexecutor.latency_preemptions", "{preemption}", "Wakes into a latency-sensitive queue that ended the running slice early.", static s => s.LatencyPreemptions);
        Counter("localexecutor.cross_thread_items", "{item}", "Wakes, posts, spawns and cancels handed over by other threads through the inbox.", static s => s.CrossThreadWorkItems);
        Counter("localexecutor.timers.fired", "{timer}", "Timers that came due.", static s => s.TimersFired);
        Level("localexecutor.timers.pending", "{timer}", "Timers armed and not yet due.", static s => s.PendingTimers);
        Level("localexecutor.queue.length", "{item}", "Items waiting in all task queues of the executor.", static s => s.QueueLength);
        Level("localexecutor.inbox.length", "{item}", "Items handed over by other threads and not yet applied by the executor.", static s => s.InboxLength);
        Level("localexecutor.task_queues", "{queue}", "Task queues of the executor, the default one included.", static s => s.TaskQueueCount);
        Counter("localexecutor.io.polls", "{poll}", "Times the executor's reactor was asked for readiness.", static s => s.IoPolls);
        Counter("localexecutor.io.events", "{event}", "Readiness events the reactor dispatched to sockets and listeners.", static s => s.IoEvents);
        Level("localexecutor.io.descriptors", "{descriptor}", "Sockets and listeners registered with the reactor.", static s => s.IoDescriptors);

        s_meter.CreateObservableCounter("localexecutor.task_queue.cpu.time", () => PerQueue(static q => q.CpuTime.TotalSeconds), "s",
            "Time the executor spent running the task queue's work, as the queue was charged for it.");
        s_meter.CreateObservableCounter("localexecutor.task_queue.selections", () => PerQueue(static q => q.TimesSelected), "{slice}",
            "Times the scheduler picked the task queue to run a slice.");
        s_meter.CreateObservableCounter("localexecutor.task_queue.tasks.run", () => PerQueue(static q => q.ItemsRun), "{item}",
            "Work items the task queue ran.");
        s_meter.CreateObservableUpDownCounter("localexecutor.task_queue.length", () => PerQueue(static q => (long)q.QueueLength), "{item}",
            "Items waiting in the task queue.");
        s_meter.CreateObservableGauge("localexecutor.task_queue.shares", () => PerQueue(static q => (long)q.CurrentShares), "{share}",
            "The task queue's shares now.");
    }

    /// <summary>The executors whose threads run now (a snapshot).</summary>
    internal static IReadOnlyList<LocalExecutor> Registered => Volatile.Read(ref s_executors);

    /// <summary>Adds an executor whose thread just started to what the instruments report.</summary>
    internal static void Register(LocalExecutor executor)
    {
        lock (s_lock)
        {
            Volatile.Write(ref s_executors, [.. s_executors, executor]);
        }
    }

    /// <summary>Removes an executor whose thread is exiting.</summary>
    internal static void Unregister(LocalExecutor executor)
    {
        lock (s_lock)
        {
            Volatile.Write(ref s_executors, Array.FindAll(s_executors, registered => registered != executor));
        }
    }

    /// <summary>Counts one late work item of <paramref name="executor"/> (see <see cref="LocalExecutor.LateWorkItems"/>).</summary>
    internal static void LateWork(LocalExecutor executor)
    {
        if (s_lateWork.Enabled)
        {
            s_lateWork.Add(1, executor.MetricTags);
        }
    }

    /// <summary>The attributes of an executor's measurements.</summary>
    internal static KeyValuePair<string, object?>[] CreateTags(LocalExecutor executor) => executor.Placement.Cpu is int cpu
        ? [new(LocalExecutorMeter.ExecutorTag, executor.Name), new(LocalExecutorMeter.ExecutorIdTag, executor.Id), new(LocalExecutorMeter.CpuTag, cpu)]
        : [new(LocalExecutorMeter.ExecutorTag, executor.Name), new(LocalExecutorMeter.ExecutorIdTag, executor.Id)];

    private static void Counter(string name, string unit, string description, Func<ExecutorStats, long> read) =>
        s_meter.CreateObservableCounter(name, () => PerExecutor(read), unit, description);

    private static void Level(string name, string unit, string description, Func<ExecutorStats, int> read) =>
        s_meter.CreateObservableUpDownCounter(name, () => PerExecutor(stats => (long)read(stats)), unit, description);

    private static void Time(string name, string description, Func<ExecutorStats, TimeSpan> read) =>
        s_meter.CreateObservableCounter(name, () => PerExecutor(stats => read(stats).TotalSeconds), "s", description);

    private static Measurement<T>[] PerExecutor<T>(Func<ExecutorStats, T> read)
        where T : struct
    {
        LocalExecutor[] executors = Volatile.Read(ref s_executors);
        var measurements = new Measurement<T>[executors.Length];
        for (int i = 0; i < executors.Length; i++)
        {
            measurements[i] = new Measurement<T>(read(executors[i].GetStats()), executors[i].MetricTags);
        }

        return measurements;
    }

    private static List<Measurement<T>> PerQueue<T>(Func<TaskQueueStats, T> read)
        where T : struct
    {
        var measurements = new List<Measurement<T>>();
        foreach (LocalExecutor executor in Volatile.Read(ref s_executors))
        {
            KeyValuePair<string, object?>[] executorTags = executor.MetricTags;
            foreach (TaskQueue queue in executor.TaskQueuesSnapshot)
            {
                var tags = new KeyValuePair<string, object?>[executorTags.Length + 2];
                executorTags.CopyTo(tags, 0);
                tags[^2] = new(LocalExecutorMeter.TaskQueueTag, queue.Name);
                tags[^1] = new(LocalExecutorMeter.TaskQueueIdTag, queue.Id);
                measurements.Add(new Measurement<T>(read(new TaskQueueStats(queue)), tags));
            }
        }

        return measurements;
    }
}
