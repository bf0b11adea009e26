using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Soak;

/// <summary>
/// Every task the soak creates is tracked here until it ends; one that stays unfinished longer than the hang bound is a
/// violation, reported with what it was. The sweep is cheap: finished tasks are dropped, pending ones kept.
/// </summary>
internal sealed class TaskTracker(Ledger ledger, TimeSpan hangBound)
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly Counter _tracked = ledger.Counter("tasks.tracked");
    private readonly Counter _hung = ledger.Counter("tasks.hung");
    private long _pending;

    public long Pending => Interlocked.Read(ref _pending);

    public void Track(LocalTask task, string what)
    {
        _tracked.Add();
        Interlocked.Increment(ref _pending);
        _entries.Enqueue(new Entry(task, null, what, Stopwatch.GetTimestamp()));
    }

    public void Track(Task task, string what)
    {
        _tracked.Add();
        Interlocked.Increment(ref _pending);
        _entries.Enqueue(new Entry(null, task, what, Stopwatch.GetTimestamp()));
    }

    /// <summary>Drops finished tasks and reports the ones past the hang bound (each once).</summary>
    public void Sweep()
    {
        int n = _entries.Count;
        for (int i = 0; i < n && _entries.TryDequeue(out Entry? entry); i++)
        {
            if (entry.IsCompleted)
            {
                Interlocked.Decrement(ref _pending);
                continue;
            }

            if (!entry.Reported && Stopwatch.GetElapsedTime(entry.Started) > hangBound)
            {
                entry.Reported = true;
                _hung.Add();
                ledger.Violation("task-hung", $"{entry.What} has not ended after {hangBound.TotalSeconds:0} s ({entry.State})");
            }

            _entries.Enqueue(entry);
        }
    }

    /// <summary>Waits (bounded) until every tracked task ended; returns what is still pending, grouped.</summary>
    public IReadOnlyList<string> WaitForAll(TimeSpan bound)
    {
        var watch = Stopwatch.StartNew();
        while (Pending > 0 && watch.Elapsed < bound)
        {
            Sweep();
            Thread.Sleep(20);
        }

        Sweep();
        return _entries.Where(e => !e.IsCompleted).GroupBy(e => e.What)
            .Select(g => $"{g.Count()} x {g.Key} ({g.First().State})").ToList();
    }

    private sealed class Entry(LocalTask? local, Task? task, string what, long started)
    {
        public string What { get; } = what;

        public long Started { get; } = started;

        public bool Reported { get; set; }

        public bool IsCompleted => local?.IsCompleted ?? task!.IsCompleted;

        public string State => local is not null ? $"LocalTask on {local.Executor.Name}" : $"Task {task!.Status}";
    }
}
