using System;
using System.Globalization;

namespace ThreadPerCore;

/// <summary>
/// A turn of an executor (one poll of a task, one callback or continuation, one timer callback) that has run longer
/// than <see cref="LocalExecutorOptions.StallThreshold"/> without returning to the loop, raised by
/// <see cref="LocalExecutor.Stalled"/> while the turn is still running.
/// </summary>
public sealed class ExecutorStalledEventArgs : EventArgs
{
    internal ExecutorStalledEventArgs(LocalExecutor executor, TimeSpan duration, string taskQueueName, Type? workType, string workDescription, long suppressedReports)
    {
        Executor = executor;
        Duration = duration;
        TaskQueueName = taskQueueName;
        WorkType = workType;
        WorkDescription = workDescription;
        SuppressedReports = suppressedReports;
    }

    /// <summary>The executor whose thread is stalled.</summary>
    public LocalExecutor Executor { get; }

    /// <summary>How long the turn had run at least when the stall was detected: the time since the watcher first saw it
    /// running, at least the threshold. The turn began up to one look of the watcher (about 10 ms) earlier, and may
    /// still be running.</summary>
    public TimeSpan Duration { get; }

    /// <summary>The name of the task queue whose work stalls (<c>"default"</c> for the executor's default queue).</summary>
    public string TaskQueueName { get; }

    /// <summary>The type behind the work: the compiler's state machine of an async method (its name contains the
    /// method's), the type declaring a delegate's method (a lambda's closure class), or the task's own type. Null when
    /// the work's method has no declaring type.</summary>
    public Type? WorkType { get; }

    /// <summary>The work in words: <c>async method MyApp.Worker.CrunchAsync</c>, <c>lambda in MyApp.Program.Main</c>,
    /// <c>timer callback MyApp.Cache.Flush</c>.</summary>
    public string WorkDescription { get; }

    /// <summary>Stalls of this executor that the rate limit (<see cref="LocalExecutorOptions.StallReportsPerMinute"/>)
    /// did not report since the previous report; they are counted in <see cref="ExecutorStats.Stalls"/> all the same.</summary>
    public long SuppressedReports { get; }

    /// <summary>The report in one line, for logs.</summary>
    /// <returns>For example: <c>Executor 'shard-1' stalled: async method MyApp.Worker.CrunchAsync in task queue 'batch'
    /// has run for 103 ms without returning to the loop.</c></returns>
    public override string ToString()
    {
        string text = string.Format(
            CultureInfo.InvariantCulture,
            "Executor '{0}' stalled: {1} in task queue '{2}' has run for {3:0} ms without returning to the loop.",
            Executor.Name,
            WorkDescription,
            TaskQueueName,
            Duration.TotalMilliseconds);
        return SuppressedReports == 0
            ? text
            : string.Create(CultureInfo.InvariantCulture, $"{text} {SuppressedReports} earlier stalls were not reported (rate limit).");
    }
}
