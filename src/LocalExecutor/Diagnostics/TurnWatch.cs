using System.Runtime.CompilerServices;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// What the executor thread is running now, for the stall watcher on the preemption clock's thread. The loop writes
/// it around every turn (one poll of a raw task, one TPL task, one callback or continuation, one timer's due
/// handling); the clock thread, which already looks at every awake executor at least every 10 ms, reads it.
/// </summary>
/// <remarks>
/// <para>The watcher works like Seastar's: the loop counts turns in <see cref="_turn"/> (odd while a turn runs, even
/// between turns), and a look that finds the same odd count as an earlier look knows that one turn has been running at
/// least since that earlier look. So a stall is only reported once it is proven, however late the clock thread gets
/// to run on a loaded machine; a turn is reported between the threshold and about one look (10 ms) after it.</para>
/// <para>Cost while nothing stalls, per turn: two stores of the count and two of references (the work and its state:
/// one GC write barrier each; clearing them stores null, which has none). No clock read, no lock, no atomic
/// instruction. The loop never decides that a turn stalled: the watcher does, so a turn that never returns (an endless
/// loop, a deadlock) is reported too.</para>
/// </remarks>
internal sealed class TurnWatch
{
    private readonly LocalExecutor _executor;
    private readonly long _thresholdTicks;

    // Written by the owner thread around each turn, read by the watcher. The owner writes the work first and the odd
    // count last (release); a turn's end makes the count even first, then drops the references.
    private long _turn;
    private object? _work;
    private object? _state;
    private WorkKind _kind;
    private TaskQueue? _queue;

    // Watcher thread only: the turn seen running at the last look, since when, and whether it was counted.
    private long _seenTurn;
    private long _seenSince;
    private bool _seenCounted;

    public TurnWatch(LocalExecutor executor, long thresholdTicks, StallRateLimiter limiter)
    {
        _executor = executor;
        _thresholdTicks = thresholdTicks;
        Limiter = limiter;
    }

    /// <summary>Decides which detected stalls are reported (watcher thread only).</summary>
    public StallRateLimiter Limiter { get; }

    /// <summary>The turns' task queue; set once per slice by the owner (a slice runs many turns of one queue).</summary>
    public TaskQueue? Queue
    {
        set => _queue = value;
    }

    /// <summary>A turn begins (owner thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Begin(WorkKind kind, object work, object? state)
    {
        _kind = kind;
        _work = work;
        _state = state;
        Volatile.Write(ref _turn, _turn + 1); // odd: in a turn
    }

    /// <summary>The turn ended (owner thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void End()
    {
        Volatile.Write(ref _turn, _turn + 1); // even: between turns
        _work = null; // let the GC have what ran (null stores have no write barrier)
        _state = null;
    }

    /// <summary>A turn begins inside another (the outer one waits in <see cref="LocalExecutor.PumpUntil"/>): the count
    /// stays odd but changes, so the watcher times the inner turn afresh (owner thread).</summary>
    /// <returns>The outer turn's work, for <see cref="EndNested"/>.</returns>
    public (WorkKind Kind, object? Work, object? State, TaskQueue? Queue) BeginNested(WorkKind kind, object work, object? state, TaskQueue queue)
    {
        var outer = (_kind, _work, _state, _queue);
        _kind = kind;
        _work = work;
        _state = state;
        _queue = queue;
        Volatile.Write(ref _turn, _turn + 2);
        return outer;
    }

    /// <summary>The inner turn ended; the outer one goes on, timed afresh (owner thread).</summary>
    public void EndNested((WorkKind Kind, object? Work, object? State, TaskQueue? Queue) outer)
    {
        Volatile.Write(ref _turn, _turn + 2);
        (_kind, _work, _state, _queue) = outer;
    }

    /// <summary>The outer turn is about to sleep in a nested park: while it sleeps the count is even, as between turns,
    /// so a look during the sleep counts nothing (owner thread).</summary>
    public void Pause() => Volatile.Write(ref _turn, _turn + 1);

    /// <summary>The outer turn woke from its nested park: the count is odd again and new, so the watcher times the rest
    /// of the turn afresh; the sleep was no stall (owner thread).</summary>
    public void Resume() => Volatile.Write(ref _turn, _turn + 1);

    /// <summary>
    /// The watcher's look (preemption clock thread, at <paramref name="now"/>): a turn seen running at an earlier look
    /// at least the threshold ago, and still running, is a stall; it is counted once and reported if the rate limit
    /// allows.
    /// </summary>
    public void Check(long now)
    {
        long turn = Volatile.Read(ref _turn);
        if ((turn & 1) == 0)
        {
            return; // between turns
        }

        if (turn != _seenTurn)
        {
            _seenTurn = turn; // a new turn: it has run at least from now on
            _seenSince = now;
            _seenCounted = false;
            return;
        }

        if (_seenCounted || now - _seenSince < _thresholdTicks)
        {
            return;
        }

        WorkKind kind = _kind;
        object? work = _work;
        object? state = _state;
        TaskQueue? queue = _queue;
        Interlocked.MemoryBarrier(); // the reads above happen before the re-check below
        if (Volatile.Read(ref _turn) != turn || work is null)
        {
            return; // the turn ended while we looked
        }

        _seenCounted = true;
        _executor.OnStallDetected(new StalledTurn(kind, work, state, queue, PreemptClock.ToTimeSpan(now - _seenSince)), now);
    }
}

/// <summary>A turn the watcher found running past the threshold: what it runs, where, and for how long at least.</summary>
internal readonly record struct StalledTurn(WorkKind Kind, object Work, object? State, TaskQueue? Queue, System.TimeSpan Duration);
