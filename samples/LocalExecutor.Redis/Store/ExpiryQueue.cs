using System.Collections.Generic;

namespace ThreadPerCore.Redis.Store;

/// <summary>
/// The keys of a shard that have a deadline, soonest first. Changing or removing a key's deadline leaves its old item
/// in the heap; an item counts only while the entry is live and still has that deadline, and the stale ones are
/// dropped in bulk once they outnumber the live ones (so the heap stays within twice the keys with a TTL).
/// </summary>
internal sealed class ExpiryQueue
{
    private readonly PriorityQueue<Entry, long> _heap = new();
    private readonly List<(Entry, long)> _scratch = [];

    /// <summary>How many items the heap holds, stale ones included.</summary>
    public int Count => _heap.Count;

    /// <summary>Adds <paramref name="entry"/> at <paramref name="deadline"/>; <paramref name="liveWithDeadline"/> is how
    /// many keys of the shard have a deadline now, to decide when to drop stale items.</summary>
    public void Add(Entry entry, long deadline, int liveWithDeadline)
    {
        _heap.Enqueue(entry, deadline);
        if (_heap.Count > (2 * liveWithDeadline) + 1024)
        {
            DropStale();
        }
    }

    /// <summary>The soonest deadline of a valid item, dropping stale items on the way.</summary>
    public bool TryPeek(out Entry entry, out long deadline)
    {
        while (_heap.TryPeek(out entry!, out deadline))
        {
            if (IsCurrent(entry, deadline))
            {
                return true;
            }

            _heap.Dequeue();
        }

        return false;
    }

    /// <summary>Removes the item <see cref="TryPeek"/> returned.</summary>
    public void RemoveFirst() => _heap.Dequeue();

    /// <summary>Forgets every item (FLUSHALL).</summary>
    public void Clear() => _heap.Clear();

    private static bool IsCurrent(Entry entry, long deadline) => entry.Live && entry.ExpiresAt == deadline;

    private void DropStale()
    {
        _scratch.Clear();
        foreach ((Entry entry, long deadline) in _heap.UnorderedItems)
        {
            if (IsCurrent(entry, deadline))
            {
                _scratch.Add((entry, deadline));
            }
        }

        _heap.Clear();
        _heap.EnqueueRange(_scratch);
        _scratch.Clear();
    }
}
