using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ThreadPerCore;

/// <summary>
/// Work handed to an executor by other threads: a lock-free multi-producer queue (<see cref="ConcurrentQueue{T}"/>,
/// whose segments are reused once warm, so a steady stream allocates nothing) drained only by the owner, which
/// applies each item on its own thread. This is the one place where other threads meet the executor.
/// </summary>
[DebuggerDisplay("Count = {Count}")]
internal sealed class Inbox
{
    private readonly ConcurrentQueue<WorkItem> _items = new();

    public int Count => _items.Count;

    public bool IsEmpty => _items.IsEmpty;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(in WorkItem item) => _items.Enqueue(item);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out WorkItem item) => _items.TryDequeue(out item);

    public WorkItem[] ToArray() => _items.ToArray();
}
