using System;
using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore;

// Timers on the core: the executor's own heap, fired by the run loop, which sleeps until the next deadline when it
// has nothing else to do. Other threads arm and cancel through the inbox, so the heap stays single-threaded.
public sealed partial class LocalExecutor
{
    private static readonly Action<object?> s_armTimer = static state =>
    {
        var entry = (TimerEntry)state!;
        entry.Executor.ArmOnOwner(entry);
    };

    private static readonly Action<object?> s_disarmTimer = static state =>
    {
        var entry = (TimerEntry)state!;
        entry.Executor._timers.Remove(entry);
    };

    private LocalTimeProvider? _timeProvider;

    /// <summary>
    /// A <see cref="System.TimeProvider"/> whose timers fire on this executor's thread, from its own timer heap:
    /// <c>Task.Delay(d, executor.TimeProvider)</c>, <c>task.WaitAsync(d, executor.TimeProvider)</c>,
    /// <c>new CancellationTokenSource(d, executor.TimeProvider)</c> and <c>PeriodicTimer</c> stay on the core.
    /// </summary>
    public TimeProvider TimeProvider => _timeProvider ??= new LocalTimeProvider(this);

    /// <summary>
    /// Completes after <paramref name="delay"/>, woken by the executor's own timer (no thread-pool timer, no hop).
    /// Callable from any thread; the returned task belongs to this executor. Costs the task and one timer entry.
    /// </summary>
    /// <param name="delay">How long; zero completes at the next turn of the loop; <see cref="Timeout.InfiniteTimeSpan"/>, or a time
    /// too long to count in clock ticks (<see cref="TimeSpan.MaxValue"/>), never completes unless cancelled (by the token,
    /// <see cref="LocalTask.Cancel"/> or the executor's shutdown).</param>
    /// <param name="cancellationToken">Cancels the sleep: the task ends cancelled with this token.</param>
    /// <returns>A task that completes when the time is up. Shutdown ends it cancelled; so does the stop of an executor that
    /// is stopping as the sleep is armed, instead of the exception.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative (other than infinite).</exception>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public LocalTask Sleep(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        if (delay != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        }

        ThrowIfStoppedForNewWork();
        return DelayTask.Start(this, SpawnTarget, delay, cancellationToken);
    }

    /// <summary>
    /// Sleeps on the executor running the calling code (see <see cref="Sleep"/>).
    /// </summary>
    /// <param name="delay">How long.</param>
    /// <param name="cancellationToken">Cancels the sleep.</param>
    /// <returns>A task that completes when the time is up.</returns>
    /// <exception cref="InvalidOperationException">Not called on an executor thread; use <see cref="Sleep"/> on a given executor.</exception>
    public static LocalTask Delay(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        LocalExecutor? executor = t_current;
        if (executor is null)
        {
            ThrowHelper.ThrowDelayOffExecutor();
        }

        return executor.Sleep(delay, cancellationToken);
    }

    /// <summary>
    /// Starts a timer whose <paramref name="callback"/> runs on this executor's thread, as ordinary work of the task
    /// queue that created it (the default queue when created from another thread), under the creator's execution
    /// context. Equivalent to <c>executor.TimeProvider.CreateTimer(...)</c>.
    /// </summary>
    /// <param name="callback">What to run; its exception goes to <see cref="UnhandledException"/>.</param>
    /// <param name="state">The callback's argument.</param>
    /// <param name="dueTime">Time to the first call; <see cref="Timeout.InfiniteTimeSpan"/> creates it stopped.</param>
    /// <param name="period">Time between calls after the first; <see cref="Timeout.InfiniteTimeSpan"/> or zero for a one-shot.</param>
    /// <returns>The timer: <see cref="ITimer.Change"/> re-arms it, <see cref="IDisposable.Dispose"/> cancels it. On the executor
    /// thread, no callback runs after either returns; from another thread, a callback already due may still run.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="callback"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A time is negative (other than infinite) or too long.</exception>
    /// <exception cref="ObjectDisposedException">The executor has shut down.</exception>
    public ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        LocalTimer.Validate(dueTime, nameof(dueTime));
        LocalTimer.Validate(period, nameof(period));
        ThrowIfStoppedForNewWork();
        ExecutionContext? context = ExecutionContext.Capture();
        var timer = new LocalTimer(this, SpawnTarget, callback, state, context == LoopContext ? null : context);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Arms <paramref name="entry"/> at its <see cref="TimerEntry.Deadline"/>, from any thread.</summary>
    internal void ArmTimer(TimerEntry entry)
    {
        if (IsOwnerThread)
        {
            ArmOnOwner(entry);
        }
        else
        {
            EnqueueForeign(new WorkItem(WorkKind.Control, s_armTimer, entry));
        }
    }

    /// <summary>Takes <paramref name="entry"/> out of the heap, from any thread (no-op when it is not armed).</summary>
    internal void DisarmTimer(TimerEntry entry)
    {
        if (IsOwnerThread)
        {
            _timers.Remove(entry);
        }
        else
        {
            EnqueueForeign(new WorkItem(WorkKind.Control, s_disarmTimer, entry));
        }
    }

    /// <summary>A precise reading for computing deadlines: a timer never fires before its time.</summary>
    internal static long PreciseNow() => Stopwatch.GetTimestamp();

    /// <summary>Arms <paramref name="entry"/> on the owner thread. (A request that arrives after the stop never gets here:
    /// the late path ends the timer's task instead.)</summary>
    internal void ArmOnOwner(TimerEntry entry)
    {
        Debug.Assert(IsOwnerThread, "the heap is the owner's");
        _timers.Remove(entry);
        if (entry.IsObsolete)
        {
            return;
        }

        _timers.Add(entry);
        if (_sliceDeadline != long.MaxValue && entry.Deadline < _sliceDeadline)
        {
            Volatile.Write(ref _sliceDeadline, entry.Deadline); // a slice in progress ends in time for the timer
            PreemptClock.Nudge(entry.Deadline);
        }
    }

    /// <summary>Other threads arm no new timer once the stop was requested; the owner still does while it drains (the work
    /// in flight sleeps and sets timers), and shutdown cancels what is armed at the end.</summary>
    private void ThrowIfStoppedForNewWork()
    {
        if (_gate.IsStopRequested && !IsOwnerThread)
        {
            ThrowHelper.ThrowDisposed(this);
        }
    }
}
