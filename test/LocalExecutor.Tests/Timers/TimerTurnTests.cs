using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Timers;

/// <summary>
/// How the loop fires its timers: in a turn of their own, a timer armed while they fire waiting for the next turn, and
/// what one throws reported without stopping the others. Internal timer entries (the kind the executor's sleeps,
/// timeouts and share adjustments use) make each firing observable in order.
/// </summary>
public sealed class TimerTurnTests
{
    [Fact]
    public async Task A_timer_that_rearms_itself_into_the_past_fires_once_per_turn_of_the_loop()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "timer-turns" });
        var order = new List<string>();
        var timer = new RecordingTimer(executor, order, "rearming", rearmTimes: 2, queueWorkOnFirst: true);

        await executor.Spawn(() => ArmNow(executor, timer)).Within("arming the timer");
        await timer.Done.Within("the timer's last firing");

        order.Should().Equal("rearming 1", "work queued by the first firing", "rearming 2", "rearming 3");
    }

    [Fact]
    public async Task What_a_timer_throws_when_it_fires_is_reported_and_the_timers_due_after_it_still_fire()
    {
        await using var executor = new LocalExecutor(new LocalExecutorOptions { Name = "timer-throws" });
        var reported = new TaskCompletionSource<UnhandledExecutorExceptionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.UnhandledException += (_, e) => reported.TrySetResult(e);
        var order = new List<string>();
        var throwing = new RecordingTimer(executor, order, "throwing", throws: true);
        var after = new RecordingTimer(executor, order, "after");

        await executor.Spawn(() =>
        {
            ArmNow(executor, throwing);
            ArmNow(executor, after); // same deadline or later, armed later: fires after the throwing one
        }).Within("arming the timers");
        await after.Done.Within("the timer after the throwing one");

        UnhandledExecutorExceptionEventArgs report = await reported.Task.Within("the report of the timer's exception");
        report.Exception.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("throwing fired");
        report.Origin.Should().Be(UnhandledExceptionOrigin.Work);
        order.Should().Equal("throwing 1", "after 1");
    }

    private static void ArmNow(LocalExecutor executor, TimerEntry timer)
    {
        timer.Deadline = LocalExecutor.PreciseNow();
        executor.ArmOnOwner(timer);
    }

    /// <summary>Records each firing; can re-arm itself into the past, queue work on its first firing, or throw.</summary>
    private sealed class RecordingTimer(LocalExecutor executor, List<string> order, string name, int rearmTimes = 0, bool queueWorkOnFirst = false, bool throws = false)
        : TimerEntry(executor)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _fired;

        public Task Done => _done.Task;

        public override void OnDue(LocalExecutor executor, long now)
        {
            _fired++;
            order.Add($"{name} {_fired}");
            if (queueWorkOnFirst && _fired == 1)
            {
                executor.Post(() => order.Add("work queued by the first firing"));
            }

            if (_fired <= rearmTimes)
            {
                Deadline = now - 1; // already due: a loop that fired it again at once would never get to its queues
                executor.ArmOnOwner(this);
                return;
            }

            _done.SetResult();
            if (throws)
            {
                throw new InvalidOperationException($"{name} fired");
            }
        }
    }
}
