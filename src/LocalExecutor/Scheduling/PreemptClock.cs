using System;
using System.Diagnostics;
using System.Threading;

namespace ThreadPerCore;

/// <summary>
/// The coarse clock behind cheap preemption checks. Reading <see cref="Stopwatch.GetTimestamp"/> costs 20-60 ns
/// (a vDSO <c>clock_gettime</c>, more under a hypervisor clock source), too much for a check that busy code makes
/// in tight loops and that the run loop makes after every work item. Glommio arms a kernel timer on its latency
/// ring instead; we have no ring, so one background thread per process publishes the time every millisecond and
/// the check is two loads and a compare.
/// </summary>
/// <remarks>
/// The thread ticks only while some executor is awake (not parked). When every executor has slept for
/// <see cref="IdleTicksBeforePark"/> ticks it sleeps too, so idle processes use no CPU for it. An executor that
/// wakes from a park calls <see cref="EnsureRunning"/>; the two sides use a Dekker handshake (each publishes its own
/// state with a full fence, then reads the other's), so the clock can never sleep while an executor runs.
/// While it is restarting, <see cref="Now"/> lags; executors keep their own precise floor for that window.
/// </remarks>
internal static class PreemptClock
{
    /// <summary>How many idle ticks (about a millisecond each) the clock waits before it sleeps.</summary>
    private const int IdleTicksBeforePark = 20;

    private static readonly object s_gate = new();
    private static readonly SemaphoreSlim s_signal = new(0, int.MaxValue);
    private static LocalExecutor[] s_executors = [];
    private static Thread? s_thread;
    private static long s_now = Stopwatch.GetTimestamp();
    private static int s_parked;

    /// <summary>The time, in <see cref="Stopwatch"/> ticks, as of the last tick (at most about a millisecond old
    /// while any executor is awake).</summary>
    public static long Now => Volatile.Read(ref s_now);

    /// <summary><see cref="Stopwatch"/> ticks in a millisecond.</summary>
    public static readonly long TicksPerMillisecond = Math.Max(1, Stopwatch.Frequency / 1000);

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
                s_thread = new Thread(Tick) { IsBackground = true, Name = "LocalExecutor preempt clock" };
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

    private static bool AnyExecutorAwake()
    {
        foreach (LocalExecutor executor in Volatile.Read(ref s_executors))
        {
            if (executor.IsAwakeForClock)
            {
                return true;
            }
        }

        return false;
    }

    private static void Tick()
    {
        int idleTicks = 0;
        while (true)
        {
            Volatile.Write(ref s_now, Stopwatch.GetTimestamp());
            idleTicks = AnyExecutorAwake() ? 0 : idleTicks + 1;
            if (idleTicks >= IdleTicksBeforePark)
            {
                Volatile.Write(ref s_parked, 1);
                Interlocked.MemoryBarrier();
                if (AnyExecutorAwake())
                {
                    // An executor woke between the check and the announcement; if it already saw the announcement
                    // it has released (or will release) the signal: take it so the next sleep is a real one.
                    if (Interlocked.CompareExchange(ref s_parked, 0, 1) != 1)
                    {
                        s_signal.Wait();
                    }
                }
                else
                {
                    s_signal.Wait(); // the waker cleared s_parked before releasing
                }

                idleTicks = 0;
                continue; // publish the time at once after waking
            }

            Thread.Sleep(1);
        }
    }
}
