using System;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore;

/// <summary>
/// A timer whose callback runs on its executor's thread as a work item of the task queue that created it
/// (<see cref="LocalExecutor.CreateTimer"/>, <see cref="LocalTimeProvider.CreateTimer"/>). Due times are armed in the
/// executor's heap; when one passes, the loop queues the callback (coalescing: a periodic timer whose previous call
/// is still queued does not queue a second one).
/// </summary>
/// <remarks>
/// <see cref="Change"/> and <see cref="Dispose"/> bump a version; a queued call whose version is stale does nothing,
/// so on the executor thread no callback runs after either returns. From other threads they travel through the
/// inbox, like every other cross-thread operation.
/// </remarks>
internal sealed class LocalTimer : TimerEntry, ITimer
{
    private static readonly Action<object?> s_invoke = static self => ((LocalTimer)self!).Invoke();
    private static readonly Action<object?> s_changeOnOwner = static state =>
    {
        var (timer, due, period) = ((LocalTimer, TimeSpan, TimeSpan))state!;
        timer.ChangeOnOwner(due, period);
    };

    private static readonly Action<object?> s_disposeOnOwner = static self => ((LocalTimer)self!).DisposeOnOwner();

    private static readonly long MaxTicks = PreemptClock.ToTicks(TimeSpan.FromMilliseconds(uint.MaxValue - 1));

    private readonly TaskQueue _queue;
    private readonly TimerCallback _callback;
    private readonly object? _state;
    private readonly ExecutionContext? _context;
    private long _periodTicks;
    private int _version;
    private int _queuedVersion = -1;
    private bool _disposed;

    public LocalTimer(LocalExecutor executor, TaskQueue queue, TimerCallback callback, object? state, ExecutionContext? context)
        : base(executor)
    {
        _queue = queue;
        _callback = callback;
        _state = state;
        _context = context;
    }

    public static void Validate(TimeSpan time, string argumentName)
    {
        if (time != Timeout.InfiniteTimeSpan && (time < TimeSpan.Zero || time.TotalMilliseconds > uint.MaxValue - 1))
        {
            ThrowHelper.ThrowTimerOutOfRange(time, argumentName);
        }
    }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        Validate(dueTime, nameof(dueTime));
        Validate(period, nameof(period));
        if (Executor.IsOwnerThread)
        {
            return ChangeOnOwner(dueTime, period);
        }

        if (Volatile.Read(ref _disposed) || Executor.IsStopping)
        {
            return false;
        }

        Executor.EnqueueForeign(new WorkItem(WorkKind.Control, s_changeOnOwner, (this, dueTime, period)));
        return true;
    }

    public void Dispose()
    {
        if (Executor.IsOwnerThread)
        {
            DisposeOnOwner();
        }
        else if (!Volatile.Read(ref _disposed))
        {
            Volatile.Write(ref _disposed, true); // a queued call sees it even before the owner applies the dispose
            Executor.EnqueueForeign(new WorkItem(WorkKind.Control, s_disposeOnOwner, this));
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    /// <summary>The user's callback, for stall reports and debuggers.</summary>
    internal TimerCallback Callback => _callback;

    public override void OnDue(LocalExecutor executor, long now)
    {
        if (_periodTicks > 0)
        {
            // Fixed rate without drift; a timer that fell behind (a long slice) skips the missed beats.
            long next = Deadlines.After(Deadline, _periodTicks);
            Deadline = next > now ? next : Deadlines.After(now, _periodTicks);
            executor.ArmOnOwner(this);
        }

        if (_queuedVersion == _version)
        {
            return; // the previous call has not run yet: coalesce
        }

        _queuedVersion = _version;
        _queue.Enqueue(new WorkItem(WorkKind.StateAction, s_invoke, this, _context));
    }

    private bool ChangeOnOwner(TimeSpan dueTime, TimeSpan period)
    {
        if (Volatile.Read(ref _disposed))
        {
            return false;
        }

        _version++;
        Executor.DisarmTimer(this);
        _periodTicks = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? 0 : Math.Clamp(PreemptClock.ToTicks(period), 1, MaxTicks);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            Deadline = Deadlines.After(LocalExecutor.PreciseNow(), dueTime);
            Executor.ArmTimer(this);
        }

        return true;
    }

    private void DisposeOnOwner()
    {
        _disposed = true;
        _version++;
        Executor.DisarmTimer(this);
    }

    private void Invoke()
    {
        if (_queuedVersion != _version || Volatile.Read(ref _disposed))
        {
            return; // changed or disposed since it came due
        }

        _queuedVersion = -1;
        _callback(_state);
    }
}
