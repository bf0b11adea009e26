namespace ThreadPerCore;

/// <summary>
/// Seastar's rate limit for "reactor stalled" reports: at most <c>n</c> reports in each minute (the minute starts at
/// the first stall after the previous minute ended); stalls beyond that are counted and the next report says how many
/// were not reported. Used by one thread at a time (the preemption clock's).
/// </summary>
internal sealed class StallRateLimiter
{
    private readonly int _perWindow;
    private readonly long _windowTicks;
    private long _windowStart;
    private int _reportedInWindow;
    private long _suppressed;
    private bool _started;

    /// <param name="perWindow">Reports allowed in one window; zero reports none.</param>
    /// <param name="windowTicks">The window's length in <see cref="System.Diagnostics.Stopwatch"/> ticks.</param>
    public StallRateLimiter(int perWindow, long windowTicks)
    {
        _perWindow = perWindow;
        _windowTicks = windowTicks;
    }

    /// <summary>Asks to report a stall detected at <paramref name="now"/>.</summary>
    /// <param name="now">The time of detection, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</param>
    /// <param name="suppressedBefore">When allowed: how many stalls were not reported since the last report.</param>
    /// <returns>True when the stall may be reported.</returns>
    public bool TryReport(long now, out long suppressedBefore)
    {
        if (!_started || now - _windowStart >= _windowTicks)
        {
            _started = true;
            _windowStart = now;
            _reportedInWindow = 0;
        }

        if (_reportedInWindow < _perWindow)
        {
            _reportedInWindow++;
            suppressedBefore = _suppressed;
            _suppressed = 0;
            return true;
        }

        _suppressed++;
        suppressedBefore = 0;
        return false;
    }
}
