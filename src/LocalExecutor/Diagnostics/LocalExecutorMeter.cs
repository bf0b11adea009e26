namespace ThreadPerCore.Diagnostics;

/// <summary>
/// The names under which executors publish their statistics through <see cref="System.Diagnostics.Metrics"/>: one
/// <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="Name"/> for the whole process, whose instruments
/// report every running executor, tagged with <see cref="ExecutorTag"/> and <see cref="ExecutorIdTag"/> (and
/// <see cref="CpuTag"/> when pinned), and every task queue, tagged with <see cref="TaskQueueTag"/> and
/// <see cref="TaskQueueIdTag"/> too. The attributes are scoped by the instruments' <c>localexecutor.</c> names, and
/// short so that <c>dotnet-counters</c> shows them whole. Watch them with <c>dotnet-counters monitor --counters LocalExecutor</c>, or
/// collect them with OpenTelemetry's <c>AddMeter(LocalExecutorMeter.Name)</c>.
/// </summary>
/// <remarks>
/// Almost every instrument is observable: it reads <see cref="LocalExecutor.GetStats"/> and
/// <see cref="LocalExecutor.GetTaskQueueStats"/> when a listener collects, so the executor's hot path pays nothing for
/// them, listener or not. An executor appears once its thread runs and disappears when its thread exits. The one
/// exception, <c>localexecutor.late_work</c>, is a counter added to as late work arrives (a cold path), because late
/// work comes after the executor's thread exited.
/// </remarks>
public static class LocalExecutorMeter
{
    /// <summary>The meter's name: <c>LocalExecutor</c>.</summary>
    public const string Name = "LocalExecutor";

    /// <summary>The attribute naming the executor (<see cref="LocalExecutor.Name"/>).</summary>
    public const string ExecutorTag = "executor";

    /// <summary>The attribute with the executor's process-unique <see cref="LocalExecutor.Id"/>: names need not be unique.</summary>
    public const string ExecutorIdTag = "executor.id";

    /// <summary>The attribute with the CPU a pinned executor runs on; absent for an unbound executor.</summary>
    public const string CpuTag = "executor.cpu";

    /// <summary>The attribute naming the task queue of a per-queue instrument (<see cref="TaskQueueHandle.Name"/>).</summary>
    public const string TaskQueueTag = "task_queue";

    /// <summary>The attribute with the task queue's <see cref="TaskQueueHandle.Id"/>, unique within its executor.</summary>
    public const string TaskQueueIdTag = "task_queue.id";
}
