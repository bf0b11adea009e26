using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The drain of an executor's shutdown: its deadline, which any thread may bring closer (a second, shorter
/// <c>ShutdownAsync</c>, a cancelled token, a fatal exception) and never push back, and what the owner counts for the
/// <see cref="ShutdownReport"/>. It is also the timer entry that wakes the owner at the deadline: while the executor
/// drains, an idle loop sleeps until its next timer, a socket's readiness, a foreign wake or the deadline.
/// </summary>
internal sealed class ShutdownDrain : TimerEntry
{
    /// <summary>The earliest deadline requested, in <see cref="Stopwatch"/> ticks; <see cref="Deadlines.Never"/> until a
    /// stop asks for one (a drain bounded by a token only). Lowered with compare-and-swap by any thread.</summary>
    private long _requested = Deadlines.Never;

    private Dictionary<string, int>? _cancelledTypes;
    private long _itemsAtStart;

    public ShutdownDrain(LocalExecutor executor)
        : base(executor)
    {
    }

    public long RequestedDeadline => Volatile.Read(ref _requested);

    // Owner-thread state, for the report.
    public bool Started { get; private set; }

    public bool Ended { get; private set; }

    public long StartTicks { get; private set; }

    public long EndTicks { get; private set; }

    public bool DeadlineReached { get; private set; }

    public int TasksInFlight { get; private set; }

    public long ItemsRun { get; private set; }

    public int CancelledTasks { get; private set; }

    /// <summary>Brings the deadline to <paramref name="deadline"/> if that is earlier; true if it moved.</summary>
    public bool Lower(long deadline)
    {
        long current = Volatile.Read(ref _requested);
        while (deadline < current)
        {
            long seen = Interlocked.CompareExchange(ref _requested, deadline, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Nothing to do when due: the loop, woken, sees that the deadline passed.</summary>
    public override void OnDue(LocalExecutor executor, long now)
    {
    }

    /// <summary>True while the entry is armed at the deadline requested now (owner thread): false asks the loop to arm it,
    /// and, read from the park's re-check, to look again before it sleeps.</summary>
    public bool IsArmedAtRequestedDeadline => RequestedDeadline == Deadlines.Never || (IsArmed && Deadline == RequestedDeadline);

    /// <summary>True when the loop must take a turn before it sleeps (owner thread): the stop is not seen yet, or the
    /// deadline moved since the entry was armed.</summary>
    public bool NeedsLoopTurn => !Started || !IsArmedAtRequestedDeadline || (Group is { IsDone: true } && !Ended);

    /// <summary>The pool's shards draining together with this executor, or null (see <see cref="DrainGroup"/>). Set once,
    /// before the stop is requested.</summary>
    public DrainGroup? Group;

    /// <summary>How this member counts in its <see cref="Group"/>; always busy for an executor draining alone.</summary>
    public DrainGroupCount GroupCount;

    public void Start(long now, int tasksInFlight, long itemsRun)
    {
        Started = true;
        StartTicks = now;
        TasksInFlight = tasksInFlight;
        _itemsAtStart = itemsRun;
    }

    public void End(long now, bool deadlineReached, long itemsRun)
    {
        Ended = true;
        EndTicks = now;
        DeadlineReached = deadlineReached;
        ItemsRun = itemsRun - _itemsAtStart;
    }

    /// <summary>Counts a task that shutdown is about to cancel (owner thread, before the cancel releases its body).</summary>
    public void CountCancelled(LocalTask task)
    {
        CancelledTasks++;
        _cancelledTypes ??= new Dictionary<string, int>(StringComparer.Ordinal);
        string type = WorkNames.Describe(task);
        _cancelledTypes[type] = _cancelledTypes.GetValueOrDefault(type) + 1;
    }

    public ShutdownReport CreateReport(string name, int unfinishedAsyncVoidMethods) => new(
        name,
        Started ? Stopwatch.GetElapsedTime(StartTicks, EndTicks) : TimeSpan.Zero,
        DeadlineReached,
        TasksInFlight,
        ItemsRun,
        CancelledTasks,
        _cancelledTypes is null ? null : new ReadOnlyDictionary<string, int>(_cancelledTypes),
        unfinishedAsyncVoidMethods);
}
