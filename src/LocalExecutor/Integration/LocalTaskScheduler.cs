using System;
using System.Collections.Generic;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// The <see cref="TaskScheduler"/> of a <see cref="LocalExecutor"/> queue: <c>new TaskFactory(executor.Scheduler)</c>,
/// <c>ContinueWith(..., executor.Scheduler)</c> and <c>Task.Start(executor.Scheduler)</c> run on the executor thread.
/// Inside work on the executor it is <see cref="TaskScheduler.Current"/>, so <c>Task.Factory.StartNew</c> without a
/// scheduler stays on the core too (<c>Task.Run</c> is the explicit way off it).
/// </summary>
/// <remarks>
/// A task is inlined (<c>Wait()</c> on local work runs it instead of deadlocking) only on this executor's own thread,
/// never on another executor's. After shutdown, queueing fails with <see cref="ObjectDisposedException"/> (the task
/// faults with a <see cref="TaskSchedulerException"/> around it).
/// </remarks>
public sealed class LocalTaskScheduler : TaskScheduler
{
    internal LocalTaskScheduler(TaskQueue queue)
    {
        Queue = queue;
    }

    /// <summary>The executor whose thread runs the tasks.</summary>
    public LocalExecutor Executor => Queue.Executor;

    /// <summary>One: an executor runs one thing at a time.</summary>
    public override int MaximumConcurrencyLevel => 1;

    internal TaskQueue Queue { get; }

    /// <summary>Runs a queued task on the executor thread (the loop's entry into the TPL).</summary>
    internal bool Execute(Task task) => TryExecuteTask(task);

    /// <inheritdoc />
    protected override void QueueTask(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (Queue.IsRemoved)
        {
            ThrowHelper.ThrowQueueRemoved(Queue);
        }

        Queue.Executor.Post(Queue, WorkKind.SchedulerTask, task, null, null, rejectWhenStopped: true);
    }

    /// <inheritdoc />
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Queue.Executor.IsOwnerThread && TryExecuteTask(task); // a queued copy later finds it done and skips it

    /// <inheritdoc />
    protected override IEnumerable<Task> GetScheduledTasks() => Queue.Executor.GetScheduledTasks(Queue);

    /// <inheritdoc />
    public override string ToString() => $"LocalTaskScheduler({Queue})";
}
