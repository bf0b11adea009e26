using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Timers;

/// <summary>
/// <see cref="ITimer.Change"/> replaces the armed deadline: the old one no longer fires. Seen without sleeping and
/// hoping: a sentinel timer armed for later than the old deadline fires after it would have, and timers of one queue
/// call back in deadline order, so when the sentinel's callback runs the old one's would already have run.
/// </summary>
public sealed class TimerChangeTests : IAsyncLifetime
{
    private readonly LocalExecutor _executor = Executors.Start(nameof(TimerChangeTests));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task Change_to_Infinite_on_the_core_disarms_the_timer()
    {
        int calls = 0;
        var sentinel = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        int pendingAfterChange = await _executor.OnExecutor(() =>
        {
            ITimer timer = _executor.CreateTimer(_ => calls++, null, TimeSpan.FromMilliseconds(5), Timeout.InfiniteTimeSpan);
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan).Should().BeTrue();
            int pending = _executor.GetStats().PendingTimers;
            _ = _executor.CreateTimer(_ => sentinel.SetResult(calls), null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);
            return pending;
        });

        pendingAfterChange.Should().Be(0, "a timer changed to Infinite leaves the heap");
        (await sentinel.Task.Within("the sentinel timer")).Should().Be(0, "the old deadline passed before the sentinel's and did not fire");
    }

    [Fact]
    public async Task Change_to_Infinite_from_another_thread_disarms_the_timer()
    {
        int calls = 0;
        var sentinel = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var busy = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        // The executor is held busy while the arm, the change and the sentinel's arm queue up in its inbox: it applies
        // them together, in order, before it looks at its timers, so the old deadline cannot fire in between.
        Task blocker = _executor.Spawn(() =>
        {
            busy.Set();
            release.Wait(Bounded.Timeout);
        }).AsTask();
        busy.Wait(Bounded.Timeout).Should().BeTrue("the executor runs the blocker");

        ITimer timer = _executor.CreateTimer(_ => Interlocked.Increment(ref calls), null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan).Should().BeTrue();
        _ = _executor.CreateTimer(_ => sentinel.SetResult(Volatile.Read(ref calls)), null, TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);
        release.Set();
        await blocker.Within("the blocker");

        (await sentinel.Task.Within("the sentinel timer")).Should().Be(0, "the old deadline passed before the sentinel's and did not fire");
        await _executor.Drain();
        _executor.GetStats().PendingTimers.Should().Be(0, "neither timer is armed any more");
    }

    [Fact]
    public async Task Change_to_Infinite_of_a_periodic_timer_stops_it_for_good()
    {
        int calls = 0;
        var sentinel = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        int callsAtChange = await _executor.OnExecutor(() =>
        {
            ITimer timer = _executor.CreateTimer(_ => calls++, null, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(2));
            timer.Change(Timeout.InfiniteTimeSpan, TimeSpan.FromMilliseconds(2)).Should().BeTrue("an infinite due time stops it, whatever the period");
            _ = _executor.CreateTimer(_ => sentinel.SetResult(calls), null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);
            return calls;
        });

        callsAtChange.Should().Be(0);
        (await sentinel.Task.Within("the sentinel timer")).Should().Be(0, "a stopped periodic timer does not tick");
    }

    [Fact]
    public async Task Change_moves_the_deadline_later_and_the_old_one_does_not_fire()
    {
        var order = new System.Collections.Generic.List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await _executor.OnExecutor(() =>
        {
            ITimer moved = _executor.CreateTimer(_ => { order.Add("moved"); done.SetResult(); }, null, TimeSpan.FromMilliseconds(5), Timeout.InfiniteTimeSpan);
            _ = _executor.CreateTimer(_ => order.Add("sentinel"), null, TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);
            moved.Change(TimeSpan.FromMilliseconds(40), Timeout.InfiniteTimeSpan).Should().BeTrue();
            return 0;
        });

        await done.Task.Within("the moved timer");
        await _executor.Drain();
        (await _executor.OnExecutor(() => order.ToArray())).Should().Equal("sentinel", "moved");
    }
}
