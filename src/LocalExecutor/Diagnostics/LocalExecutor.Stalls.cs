using System;
using System.Threading;

namespace ThreadPerCore;

// Stall detection: the loop marks its turns (TurnWatch), the preemption clock's thread watches them, and a turn past
// the threshold is counted and reported here, off both threads.
public sealed partial class LocalExecutor
{
    private static readonly long s_stallWindowTicks = PreemptClock.ToTicks(TimeSpan.FromMinutes(1));

    private long _stalls;

    /// <summary>
    /// Raised once per stall: a single turn (one poll of a task, one callback or continuation, one timer callback) that
    /// has run longer than <see cref="LocalExecutorOptions.StallThreshold"/> without returning to the loop. Raised while
    /// the turn is still running (so a turn that never returns is reported too), on a thread-pool thread, never on the
    /// executor's or the clock's; at most <see cref="LocalExecutorOptions.StallReportsPerMinute"/> times a minute.
    /// Every stall, reported or not, counts in <see cref="ExecutorStats.Stalls"/>. With no handler attached, the report
    /// (its <see cref="ExecutorStalledEventArgs.ToString"/> line) is written to standard error and to
    /// <see cref="System.Diagnostics.Trace"/> instead, within the same rate limit: a stall is never only counted, as
    /// Seastar logs "reactor stalled" by default. Like any thread-pool callback's, an exception a handler throws is
    /// unhandled and ends the process: failures of diagnostics never vanish either.
    /// </summary>
    public event EventHandler<ExecutorStalledEventArgs>? Stalled;

    /// <summary>Null when stall detection is off (<see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    private TurnWatch? CreateTurnWatch()
    {
        TimeSpan threshold = _options.StallThreshold;
        if (threshold == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(threshold, TimeSpan.Zero, "options.StallThreshold");
        ArgumentOutOfRangeException.ThrowIfNegative(_options.StallReportsPerMinute, "options.StallReportsPerMinute");
        return new TurnWatch(this, Deadlines.ToTicks(threshold), new StallRateLimiter(_options.StallReportsPerMinute, s_stallWindowTicks));
    }

    /// <summary>The watcher of this executor's turns, or null; read by the clock thread.</summary>
    internal TurnWatch? TurnWatchForClock => _turnWatch;

    /// <summary>Counts a stall the watcher found and, within the rate limit, hands its report to the thread pool (clock
    /// thread): to the handlers, or to the default sink when none is attached.</summary>
    internal void OnStallDetected(StalledTurn turn, long now)
    {
        Volatile.Write(ref _stalls, _stalls + 1); // the clock thread is the only writer
        if (!_turnWatch!.Limiter.TryReport(now, out long suppressed))
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static state =>
            {
                var (executor, turn, suppressed) = state;
                executor.RaiseStalled(turn, suppressed);
            },
            (this, turn, suppressed),
            preferLocal: false);
    }

    private void RaiseStalled(StalledTurn turn, long suppressed)
    {
        WorkDescription what = WorkDescription.Of(turn.Kind, turn.Work, turn.State);
        var report = new ExecutorStalledEventArgs(this, turn.Duration, turn.Queue?.Name ?? _defaultQueue.Name, what.Type, what.Text, suppressed);
        EventHandler<ExecutorStalledEventArgs>? handlers = Stalled;
        if (handlers is null)
        {
            DefaultSink.WriteStall(report);
        }
        else
        {
            handlers(this, report);
        }
    }
}
