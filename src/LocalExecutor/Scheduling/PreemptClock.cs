using System;
using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The coarse clock behind cheap preemption checks. Reading <see cref="Stopwatch.GetTimestamp"/> costs 20-60 ns
/// (a vDSO <c>clock_gettime</c>, more under a hypervisor clock source), too much for a check that busy code makes
/// in tight loops and that the run loop makes after every work item. Glommio arms a kernel timer on its latency
/// ring instead; we have no ring, so one background thread per process publishes the time, and the check is two
/// loads and a compare.
/// </summary>
/// <remarks>
/// <para>The thread does not tick blindly: it sleeps until the earliest slice deadline among awake executors (at
/// most <see cref="MaxSleepMilliseconds"/>), publishes the time, and looks again. An executor that sets a deadline
/// earlier than the clock's next wake-up (a latency-sensitive queue's short slice, a timer armed mid-slice)
/// <see cref="Nudge"/>s it. A fixed 1 ms tick would cost 60-70 µs of CPU per tick on a KVM guest (about 5 % of a
/// core); waking at deadlines costs that only about a hundred times a second while executors are busy.</para>
/// <para>When no executor is awake (all parked), and none woke in between, for <see cref="IdleWakeupsBeforePark"/>
/// looks, the thread sleeps until one wakes. An executor leaving a park calls <see cref="EnsureRunning"/>; the two sides use a Dekker
/// handshake (each publishes its own state with a full fence, then reads the other's), so the clock never sleeps
/// indefinitely while an executor runs. Between looks <see cref="Now"/> lags real time by up to the sleep; executors
/// keep a precise floor after each park for that reason.</para>
/// </remarks>
internal static class PreemptClock
{
    /// <summary><see cref="Stopwatch"/> ticks in a millisecond.</summary>
    public static readonly long TicksPerMillisecond = Math.Max(1, Stopwatch.Frequency / 1000);

    /// <summary>The longest the clock sleeps while executors are awake: bounds how stale <see cref="Now"/> gets.</summary>
    private const int MaxSleepMilliseconds = 10;

    /// <summary>How many consecutive looks finding every executor asleep before the clock sleeps too.</summary>
    private const int IdleWakeupsBeforePark = 2;

    private static readonly object s_gate = new();
    private static readonly ClockSignal s_signal = new();
    private static LocalExecutor[] s_executors = [];
    private static Thread? s_thread;
    private static long s_now = Stopwatch.GetTimestamp();
    private static long s_wakeAt = long.MaxValue;
    private static int s_parked;
    private static int s_nudged;
    private static long s_looks;

    /// <summary>The time, in <see cref="Stopwatch"/> ticks, as of the clock's last look: never ahead of real time, at
    /// least as late as any slice deadline that has passed (give or take a millisecond), and at most
    /// <see cref="MaxSleepMilliseconds"/> behind while any executor is awake.</summary>
    public static long Now => Volatile.Read(ref s_now);

    /// <summary>How many looks the clock has taken (each publishes the time and watches the awake executors' turns for
    /// stalls): lets tests wait for the watcher deterministically.</summary>
    internal static long Looks => Volatile.Read(ref s_looks);

    public static long ToTicks(TimeSpan time) => (long)(time.Ticks * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond));

    public static TimeSpan ToTimeSpan(long ticks) => TimeSpan.FromTicks((long)(ticks * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));

    /// <summary>Adds an executor (called on its thread as it starts) and makes sure the clock runs.</summary>
    public static void Register(LocalExecutor executor)
    {
        lock (s_gate)
        {
            s_executors = [.. s_executors, executor];
            if (s_thread is null)
            {
                s_thread = new Thread(Run) { IsBackground = true, Name = "LocalExecutor preempt clock" };
                s_thread.UnsafeStart();
            }
        }

        EnsureRunning();
    }

    /// <summary>Removes an executor whose thread is exiting.</summary>
    public static void Unregister(LocalExecutor executor)
    {
        lock (s_gate)
        {
            s_executors = Array.FindAll(s_executors, e => e != executor);
        }
    }

    /// <summary>
    /// Called by an executor after it left a park (its parker state was reset with an interlocked operation, a full
    /// fence): wakes the clock if it sleeps. One read when it is running.
    /// </summary>
    public static void EnsureRunning()
    {
        if (Volatile.Read(ref s_parked) != 0 && Interlocked.CompareExchange(ref s_parked, 0, 1) == 1)
        {
            s_signal.Release();
        }
    }

    /// <summary>Called by an executor that set a slice deadline: wakes the clock early if it would otherwise look
    /// only after that deadline. One read and a compare when it will look in time.</summary>
    public static void Nudge(long deadline)
    {
        if (deadline < Volatile.Read(ref s_wakeAt) && Interlocked.Exchange(ref s_nudged, 1) == 0)
        {
            s_signal.Release();
        }
    }

    /// <summary>The earliest slice deadline among awake executors, or <see cref="long.MaxValue"/>; and a signature of
    /// their activity (the sum of their park counts), which changes whenever one of them parked since the last look.</summary>
    private static long Scan(out bool anyAwake, out long activity)
    {
        anyAwake = false;
        activity = 0;
        long earliest = long.MaxValue;
        foreach (LocalExecutor executor in Volatile.Read(ref s_executors))
        {
            activity += executor.ParksForClock;
            if (executor.IsAwakeForClock)
            {
                anyAwake = true;
                earliest = Math.Min(earliest, executor.SliceDeadlineForClock);
                executor.TurnWatchForClock?.Check(Volatile.Read(ref s_now)); // stall detection rides on the same look
            }
        }

        return earliest;
    }

    private static void Run()
    {
        int idleLooks = 0;
        long lastActivity = -1;
        while (true)
        {
            Volatile.Write(ref s_nudged, 0);
            long now = Stopwatch.GetTimestamp();
            Volatile.Write(ref s_now, now);
            long next = Scan(out bool anyAwake, out long activity);
            Volatile.Write(ref s_looks, s_looks + 1);

            // Parking costs the next executor to wake a futex wake-up and the clock a context switch. Under a request
            // load an executor parks and wakes thousands of times a second, so a clock that parked whenever it found
            // everyone asleep was woken on nearly every request. It parks only once executors stayed asleep, without
            // a single wake, for the whole of its last looks.
            idleLooks = anyAwake || activity != lastActivity ? 0 : idleLooks + 1;
            lastActivity = activity;
            if (idleLooks >= IdleWakeupsBeforePark)
            {
                Park();
                idleLooks = 0;
                continue; // publish the time at once after waking
            }

            long wait = next == long.MaxValue ? MaxSleepMilliseconds * TicksPerMillisecond : next - now;
            int milliseconds = (int)Math.Clamp((wait + TicksPerMillisecond - 1) / TicksPerMillisecond, 1, MaxSleepMilliseconds);
            Volatile.Write(ref s_wakeAt, now + (milliseconds * TicksPerMillisecond));
            s_signal.Wait(milliseconds); // a nudge or an executor's wake-up ends it early
        }
    }

    private static void Park()
    {
        Volatile.Write(ref s_wakeAt, long.MaxValue);
        Volatile.Write(ref s_parked, 1);
        Interlocked.MemoryBarrier();
        Scan(out bool anyAwake, out _);
        if (anyAwake)
        {
            // An executor woke between the look and the announcement. If it saw the announcement it released the
            // signal; either way the next wait returns at once or after a short sleep, which is harmless.
            Interlocked.Exchange(ref s_parked, 0);
            return;
        }

        s_signal.Wait(Timeout.Infinite);
        Interlocked.Exchange(ref s_parked, 0); // a nudge may have woken it rather than EnsureRunning
    }
}
