using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ThreadPerCore;

/// <summary>
/// One run queue of an executor with the two doors that feed it: its <see cref="LocalTaskScheduler"/> and its
/// <see cref="LocalSynchronizationContext"/>. Work started in a queue stays in it: continuations and
/// <c>Task.Factory</c> calls made by its work come back to the same queue.
/// </summary>
[DebuggerDisplay("{Name,nq}: {Items.Count} queued")]
internal sealed class TaskQueue
{
    public TaskQueue(LocalExecutor executor, int id, string name)
    {
        Executor = executor;
        Id = id;
        Name = name;
        Scheduler = new LocalTaskScheduler(this);
        SynchronizationContext = new LocalSynchronizationContext(this);
    }

    public LocalExecutor Executor { get; }

    public int Id { get; }

    public string Name { get; }

    public RunQueue Items { get; } = new();

    public LocalTaskScheduler Scheduler { get; }

    public LocalSynchronizationContext SynchronizationContext { get; }

    /// <summary>Queues an item on the owner thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(in WorkItem item)
    {
        Debug.Assert(Executor.IsOwnerThread, "the run queue belongs to the owner thread");
        Items.Enqueue(item);
    }

    public override string ToString() => $"{Executor.Name}/{Name}";
}
