using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ThreadPerCore;

/// <summary>
/// The local FIFO of one task queue: a growable power-of-two ring of <see cref="WorkItem"/>s. Touched only by
/// the owning executor's thread, so it has no locks and no atomics; once grown to its working size it allocates
/// nothing per enqueue.
/// </summary>
[DebuggerDisplay("Count = {Count}")]
internal sealed class RunQueue
{
    private WorkItem[] _items;
    private int _head;
    private int _count;

    public RunQueue(int initialCapacity = 64)
    {
        Debug.Assert(initialCapacity > 0 && (initialCapacity & (initialCapacity - 1)) == 0, "capacity must be a power of two");
        _items = new WorkItem[initialCapacity];
    }

    public int Count => _count;

    public bool IsEmpty => _count == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(in WorkItem item)
    {
        WorkItem[] items = _items;
        if (_count == items.Length)
        {
            items = Grow();
        }

        items[(_head + _count) & (items.Length - 1)] = item;
        _count++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out WorkItem item)
    {
        if (_count == 0)
        {
            item = default;
            return false;
        }

        WorkItem[] items = _items;
        ref WorkItem slot = ref items[_head];
        item = slot;
        slot = default; // let the GC have what ran
        _head = (_head + 1) & (items.Length - 1);
        _count--;
        return true;
    }

    /// <summary>Copies the queued items, oldest first. For debuggers and shutdown; not for the hot path.</summary>
    public WorkItem[] ToArray()
    {
        WorkItem[] items = _items;
        var copy = new WorkItem[_count];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = items[(_head + i) & (items.Length - 1)];
        }

        return copy;
    }

    private WorkItem[] Grow()
    {
        WorkItem[] old = _items;
        var bigger = new WorkItem[old.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = old[(_head + i) & (old.Length - 1)];
        }

        _items = bigger;
        _head = 0;
        return bigger;
    }
}
