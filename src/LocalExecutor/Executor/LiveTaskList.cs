using System.Diagnostics;

namespace ThreadPerCore;

/// <summary>
/// The raw tasks an executor has polled and that have not finished yet, in an intrusive doubly linked list (owner
/// thread only, O(1), no allocation). Shutdown cancels what is left, so no awaiter is left pending forever.
/// </summary>
[DebuggerDisplay("Count = {Count}")]
internal sealed class LiveTaskList
{
    private LocalTask? _head;

    public int Count { get; private set; }

    public void Add(LocalTask task)
    {
        Debug.Assert(task._liveNext is null && task._livePrev is null, "a task is tracked once");
        task._liveNext = _head;
        if (_head is not null)
        {
            _head._livePrev = task;
        }

        _head = task;
        Count++;
        task._queue.LiveTaskCount++;
    }

    public void Remove(LocalTask task)
    {
        if (task._livePrev is null && _head != task)
        {
            return; // never tracked, or already removed
        }

        if (task._livePrev is not null)
        {
            task._livePrev._liveNext = task._liveNext;
        }
        else
        {
            _head = task._liveNext;
        }

        if (task._liveNext is not null)
        {
            task._liveNext._livePrev = task._livePrev;
        }

        task._liveNext = null;
        task._livePrev = null;
        Count--;
        task._queue.LiveTaskCount--;
    }

    /// <summary>The tasks, newest first, at most <paramref name="max"/> of them. For debuggers (the threads are frozen
    /// there); racy elsewhere, so bounded.</summary>
    public LocalTask[] Snapshot(int max)
    {
        var tasks = new System.Collections.Generic.List<LocalTask>();
        for (LocalTask? task = _head; task is not null && tasks.Count < max; task = task._liveNext)
        {
            tasks.Add(task);
        }

        return [.. tasks];
    }

    /// <summary>Removes and returns the first task, or null when empty.</summary>
    public LocalTask? TakeFirst()
    {
        LocalTask? first = _head;
        if (first is not null)
        {
            Remove(first);
        }

        return first;
    }
}
