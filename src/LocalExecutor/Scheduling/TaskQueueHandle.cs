using System.Diagnostics;

namespace ThreadPerCore;

/// <summary>
/// A task queue of a <see cref="LocalExecutor"/>, created by <see cref="LocalExecutor.CreateTaskQueue(string, Shares, Latency)"/>. Spawn into it
/// with <see cref="LocalExecutor.Spawn{T}(TaskQueueHandle, System.Func{T})"/> and its overloads, or start TPL work in it
/// through its <see cref="Scheduler"/>; everything that work continues with stays in the queue.
/// </summary>
[DebuggerDisplay("{Name,nq} on {Executor.Name,nq}: {Queue.Items.Count} queued")]
[DebuggerTypeProxy(typeof(TaskQueueDebugView))]
public sealed class TaskQueueHandle
{
    internal TaskQueueHandle(TaskQueue queue) => Queue = queue;

    /// <summary>The queue's name (for diagnostics; names need not be unique).</summary>
    public string Name => Queue.Name;

    /// <summary>A number unique among the queues of its executor; the default queue is 0.</summary>
    public int Id => Queue.Id;

    /// <summary>The executor the queue belongs to.</summary>
    public LocalExecutor Executor => Queue.Executor;

    /// <summary>The task scheduler of the queue: <c>new TaskFactory(handle.Scheduler)</c> starts work in it, and inside
    /// its work it is <see cref="System.Threading.Tasks.TaskScheduler.Current"/>.</summary>
    public LocalTaskScheduler Scheduler => Queue.Scheduler;

    /// <summary>The synchronization context of the queue: <c>await</c> in its work resumes in it.</summary>
    public LocalSynchronizationContext SynchronizationContext => Queue.SynchronizationContext;

    /// <summary>The latency class the queue was created with.</summary>
    public Latency Latency => Queue.Latency;

    /// <summary>The shares the queue has now (for dynamic shares, the provider's last answer).</summary>
    public int CurrentShares => Queue.CurrentShares;

    /// <summary>True once the queue was removed (<see cref="LocalExecutor.RemoveTaskQueue"/>): spawning into it fails.</summary>
    public bool IsRemoved => Queue.IsRemoved;

    /// <summary>True for the executor's default queue.</summary>
    public bool IsDefault => Queue.Id == 0;

    internal TaskQueue Queue { get; }

    /// <summary>A snapshot of the queue's counters, readable from any thread without stopping the executor.</summary>
    /// <returns>The counters as of now.</returns>
    public TaskQueueStats GetStats() => new(Queue);

    /// <inheritdoc />
    public override string ToString() => Queue.ToString();
}
