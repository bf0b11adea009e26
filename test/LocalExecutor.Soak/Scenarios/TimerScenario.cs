using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace ThreadPerCore.Soak.Scenarios;

/// <summary>
/// Timers on both executors: sleeps (plain, with a token a foreign thread cancels, infinite with a token, under
/// <c>WithTimeout</c>), <c>Task.Delay</c> on the executor's <see cref="TimeProvider"/>, and <see cref="ITimer"/>s whose
/// <c>Change</c> is called on the core and from a foreign thread. Checks: no sleep ends before its time, a timed-out
/// sleep ends cancelled, every sleep ends, and a timer disarmed on the core never fires afterwards.
/// </summary>
internal sealed class TimerScenario : IScenario
{
    public string Name => "timers";

    public Task RunAsync(SoakContext context) => Task.WhenAll(
        context.A.Start(() => SleepsAsync(context, context.A, context.Seed + 11)).AsTask(),
        context.B.Start(() => SleepsAsync(context, context.B, context.Seed + 12)).AsTask(),
        context.A.Start(() => CoreTimersAsync(context, context.A, context.Seed + 13)).AsTask(),
        Task.Run(() => ForeignTimersAsync(context, context.B, context.Seed + 14)));

    private static async LocalTask SleepsAsync(SoakContext context, LocalExecutor executor, int seed)
    {
        var random = new Random(seed);
        Ledger ledger = context.Ledger;
        Counter plain = ledger.Counter("timers.sleep.plain");
        Counter early = ledger.Counter("timers.sleep.token-cancelled");
        Counter infinite = ledger.Counter("timers.sleep.infinite-cancelled");
        Counter timedOut = ledger.Counter("timers.with-timeout.timed-out");
        Counter inTime = ledger.Counter("timers.with-timeout.in-time");
        Counter provider = ledger.Counter("timers.time-provider-delay");
        while (!context.Stop.IsCancellationRequested)
        {
            int micros = random.Next(0, 3000);
            long started = Stopwatch.GetTimestamp();
            switch (random.Next(5))
            {
                case 0:
                    await executor.Sleep(TimeSpan.FromMicroseconds(micros));
                    CheckNotEarly(ledger, started, micros, "Sleep");
                    plain.Add();
                    break;
                case 1:
                {
                    var source = new CancellationTokenSource();
                    context.Canceller.CancelSoon(source, random.Next(0, 3000));
                    LocalTask sleep = executor.Sleep(TimeSpan.FromMicroseconds(micros), source.Token);
                    context.Tracker.Track(sleep, "timers sleep with token");
                    try
                    {
                        await sleep;
                        CheckNotEarly(ledger, started, micros, "Sleep with a token");
                        plain.Add();
                    }
                    catch (OperationCanceledException)
                    {
                        early.Add();
                    }

                    break;
                }

                case 2:
                {
                    var source = new CancellationTokenSource();
                    context.Canceller.CancelSoon(source, random.Next(0, 3000));
                    LocalTask sleep = executor.Sleep(Timeout.InfiniteTimeSpan, source.Token);
                    context.Tracker.Track(sleep, "timers infinite sleep with token");
                    try
                    {
                        await sleep;
                        ledger.Violation("timers.infinite-sleep-ended", "an infinite sleep completed without its token");
                    }
                    catch (OperationCanceledException)
                    {
                        infinite.Add();
                    }

                    break;
                }

                case 3:
                {
                    LocalTask sleep = executor.Sleep(TimeSpan.FromMicroseconds(micros));
                    try
                    {
                        await sleep.WithTimeout(TimeSpan.FromMicroseconds(random.Next(0, 3000)));
                        CheckNotEarly(ledger, started, micros, "Sleep under WithTimeout");
                        inTime.Add();
                    }
                    catch (TimeoutException)
                    {
                        ledger.Check(sleep.IsCanceled, "timers.timeout-outcome", () => "a timed-out sleep did not end cancelled");
                        timedOut.Add();
                    }

                    break;
                }

                default:
                    await Task.Delay(TimeSpan.FromMicroseconds(micros), executor.TimeProvider);
                    CheckNotEarly(ledger, started, micros / 1000 * 1000, "Task.Delay on the TimeProvider"); // the BCL counts whole milliseconds
                    provider.Add();
                    break;
            }
        }
    }

    private static void CheckNotEarly(Ledger ledger, long started, int micros, string what)
    {
        // The executor rounds to its clock's ticks; anything earlier than that is a real early completion.
        double elapsed = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        ledger.Check(elapsed + 50 >= micros, "timers.early", () => $"{what} of {micros} µs ended after {elapsed:0} µs");
    }

    /// <summary>Timers armed and disarmed on the core: a disarmed timer must not fire until it is armed again.</summary>
    private static async LocalTask CoreTimersAsync(SoakContext context, LocalExecutor executor, int seed)
    {
        var random = new Random(seed);
        Counter fires = context.Ledger.Counter("timers.core-timer.fires");
        Counter changes = context.Ledger.Counter("timers.core-timer.changes");
        bool[] disarmed = new bool[8];
        var timers = new ITimer[disarmed.Length];
        for (int t = 0; t < timers.Length; t++)
        {
            int index = t;
            timers[t] = executor.CreateTimer(_ =>
            {
                context.Ledger.Check(!disarmed[index], "timers.fired-after-disarm", () => $"core timer {index} fired after it was disarmed on the core");
                fires.Add();
            }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            disarmed[t] = true;
        }

        while (!context.Stop.IsCancellationRequested)
        {
            int t = random.Next(timers.Length);
            if (random.Next(2) == 0)
            {
                disarmed[t] = false;
                timers[t].Change(TimeSpan.FromMicroseconds(random.Next(0, 2000)), random.Next(2) == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMicroseconds(random.Next(100, 2000)));
            }
            else
            {
                timers[t].Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                disarmed[t] = true;
            }

            changes.Add();
            await executor.Sleep(TimeSpan.FromMicroseconds(random.Next(0, 1000)));
        }

        foreach (ITimer timer in timers)
        {
            timer.Dispose();
        }
    }

    /// <summary>Timers created, changed and disposed from a thread-pool thread.</summary>
    private static async Task ForeignTimersAsync(SoakContext context, LocalExecutor executor, int seed)
    {
        var random = new Random(seed);
        int fired = 0;
        Counter fires = context.Ledger.Counter("timers.foreign-timer.fires");
        Counter changes = context.Ledger.Counter("timers.foreign-timer.changes");
        while (!context.Stop.IsCancellationRequested)
        {
            using ITimer timer = executor.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMicroseconds(random.Next(0, 1000)), TimeSpan.FromMicroseconds(random.Next(200, 1000)));
            for (int i = 0; i < 10; i++)
            {
                timer.Change(TimeSpan.FromMicroseconds(random.Next(0, 1000)), random.Next(2) == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMicroseconds(random.Next(200, 1000)));
                changes.Add();
                await Task.Delay(random.Next(0, 2)).ConfigureAwait(false);
            }
        }

        fires.Add(Volatile.Read(ref fired));
    }
}
