using System;
using System.Diagnostics;

namespace ThreadPerCore;

/// <summary>
/// Deadlines in <see cref="Stopwatch"/> ticks, computed so that they saturate instead of overflowing: a time too long to
/// count (<see cref="TimeSpan.MaxValue"/> is 9.2e20 ticks of a 1 GHz clock) means "never", where a plain
/// <c>now + ticks</c> wrapped into the past and fired at once (a sleep of <see cref="TimeSpan.MaxValue"/> that ended after
/// 5 ms, a timeout that expired immediately, a dynamic-shares timer that re-armed itself in the past forever).
/// </summary>
internal static class Deadlines
{
    /// <summary>The deadline that never comes; the timer heap's empty value, so an entry armed at it never fires.</summary>
    public const long Never = long.MaxValue;

    /// <summary>The longest duration in ticks that is counted as such: a quarter of the range (73 years at 1 GHz), so a
    /// deadline of any clock reading plus any duration still fits, and sums of a few of them do too.</summary>
    public const long MaxTicks = long.MaxValue / 4;

    /// <summary>The longest <see cref="TimeSpan"/> counted as such (<see cref="MaxTicks"/>); longer ones act as forever.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromTicks((long)(MaxTicks * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));

    /// <summary><paramref name="time"/>, or <see cref="Longest"/> if it is longer.</summary>
    public static TimeSpan Saturate(TimeSpan time) => time > Longest ? Longest : time;

    /// <summary>A non-negative duration in ticks, at most <see cref="MaxTicks"/>.</summary>
    public static long ToTicks(TimeSpan time)
    {
        double ticks = time.Ticks * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond);
        return ticks >= MaxTicks ? MaxTicks : ticks <= 0 ? 0 : (long)ticks;
    }

    /// <summary>The deadline <paramref name="delay"/> after <paramref name="now"/>; <see cref="Never"/> for an infinite delay
    /// or one that does not fit.</summary>
    public static long After(long now, TimeSpan delay) =>
        delay == System.Threading.Timeout.InfiniteTimeSpan ? Never : After(now, ToTicks(delay));

    /// <summary>The deadline <paramref name="ticks"/> after <paramref name="now"/>; <see cref="Never"/> for a duration of
    /// <see cref="MaxTicks"/> or more (a saturated one) or when the sum would not fit.</summary>
    public static long After(long now, long ticks) => ticks >= MaxTicks || ticks >= Never - now ? Never : now + ticks;
}
