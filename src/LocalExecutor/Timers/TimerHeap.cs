using System;
using System.Diagnostics;

namespace ThreadPerCore;

/// <summary>
/// The executor's timers: a binary min-heap ordered by deadline, then arming order. Owner thread only. Each entry
/// knows its index, so cancelling is O(log n) and allocation-free; the array grows and is then reused.
/// </summary>
[DebuggerDisplay("Count = {Count}")]
internal sealed class TimerHeap
{
    private TimerEntry[] _items = new TimerEntry[16];
    private long _nextSequence;

    /// <summary>Number of armed timers. Written by the owner; a racy read elsewhere is fine for statistics.</summary>
    public int Count { get; private set; }

    /// <summary>The earliest deadline, or <see cref="long.MaxValue"/> when nothing is armed.</summary>
    public long NextDeadline => Count == 0 ? long.MaxValue : _items[0].Deadline;

    /// <summary>The <see cref="TimerEntry.Sequence"/> the next armed entry gets: entries armed from now on have one at least this large.</summary>
    public long NextSequence => _nextSequence;

    public TimerEntry Peek() => _items[0];

    public void Add(TimerEntry entry)
    {
        Debug.Assert(!entry.IsArmed, "an entry is armed once");
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        entry.Sequence = _nextSequence++;
        int index = Count++;
        _items[index] = entry;
        entry.HeapIndex = index;
        SiftUp(index);
    }

    /// <summary>Removes an armed entry; does nothing if it is not armed.</summary>
    public void Remove(TimerEntry entry)
    {
        int index = entry.HeapIndex;
        if (index < 0)
        {
            return;
        }

        Debug.Assert(_items[index] == entry, "the entry knows its place");
        int last = --Count;
        entry.HeapIndex = -1;
        if (index != last)
        {
            TimerEntry moved = _items[last];
            _items[index] = moved;
            moved.HeapIndex = index;
            _items[last] = null!;
            SiftDown(index);
            SiftUp(moved.HeapIndex);
        }
        else
        {
            _items[last] = null!;
        }
    }

    /// <summary>Removes and returns the earliest entry.</summary>
    public TimerEntry Pop()
    {
        TimerEntry first = _items[0];
        Remove(first);
        return first;
    }

    /// <summary>Takes every entry out (shutdown).</summary>
    public TimerEntry[] Clear()
    {
        var all = new TimerEntry[Count];
        for (int i = 0; i < Count; i++)
        {
            all[i] = _items[i];
            all[i].HeapIndex = -1;
            _items[i] = null!;
        }

        Count = 0;
        return all;
    }

    private static bool Before(TimerEntry a, TimerEntry b) =>
        a.Deadline < b.Deadline || (a.Deadline == b.Deadline && a.Sequence < b.Sequence);

    private void SiftUp(int index)
    {
        TimerEntry entry = _items[index];
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            TimerEntry above = _items[parent];
            if (!Before(entry, above))
            {
                break;
            }

            _items[index] = above;
            above.HeapIndex = index;
            index = parent;
        }

        _items[index] = entry;
        entry.HeapIndex = index;
    }

    private void SiftDown(int index)
    {
        TimerEntry entry = _items[index];
        while (true)
        {
            int child = (2 * index) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Before(_items[child + 1], _items[child]))
            {
                child++;
            }

            TimerEntry below = _items[child];
            if (!Before(below, entry))
            {
                break;
            }

            _items[index] = below;
            below.HeapIndex = index;
            index = child;
        }

        _items[index] = entry;
        entry.HeapIndex = index;
    }
}
