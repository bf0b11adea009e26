using System;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// The raw task's state rules (the seed's wake / wake_by_ref), observed through a real executor: every poll of the
/// body increments a counter, and a manual awaitable hands the test the task's waker.
/// </summary>
public sealed class RawTaskStateTests : IAsyncLifetime
{
    // Some tests leave a task waiting forever on purpose; the dispose cancels it after a short drain instead of the
    // default 5 s (which made this class the slowest of its folder when the tests run one at a time).
    private readonly LocalExecutor _executor = Executors.Start(nameof(RawTaskStateTests), drainTimeout: TimeSpan.FromMilliseconds(100));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _executor.DisposeAsync();

    [Fact]
    public async Task Two_wakes_of_an_idle_task_run_it_once()
    {
        var gate = new ManualAwaitable();
        var probe = new PollProbe();

        await _executor.OnExecutor(() =>
        {
            _ = probe.LoopForever(gate);
            probe.Polls.Should().Be(1, "a LocalTask method starts inline on its own executor");
            gate.Waker();
            gate.Waker();
        });
        await _executor.Drain();

        probe.Polls.Should().Be(2, "N wakes of a scheduled task queue it once");
    }

    [Fact]
    public async Task Wake_while_running_requeues_once_after_the_poll()
    {
        var gate = new ManualAwaitable();
        var probe = new PollProbe();
        int pollsSeenByWaker = -1;
        gate.OnRegister = waker =>
        {
            if (probe.Polls == 1)
            {
                // Still inside the first poll: the task is RUNNING, so these wakes only mark it.
                waker();
                waker();
                waker();
                pollsSeenByWaker = probe.Polls;
            }
        };

        await _executor.OnExecutor(() => { _ = probe.LoopForever(gate); });
        await _executor.Drain();

        pollsSeenByWaker.Should().Be(1, "a wake during the poll must not poll re-entrantly");
        probe.Polls.Should().Be(2, "a task woken while running is queued exactly once, after the poll returns");
        probe.MaxDepth.Should().Be(1);
    }

    [Fact]
    public async Task Wake_of_a_completed_task_does_nothing()
    {
        var gate = new ManualAwaitable();
        var probe = new PollProbe();
        LocalTask<int> task = null!;

        await _executor.OnExecutor(() => { task = probe.FinishAfterOneWake(gate); });
        gate.Waker();
        (await task.Within("the task to complete")).Should().Be(2);

        gate.Waker(); // from the test thread: a stale, foreign wake of a completed task
        await _executor.OnExecutor(() => gate.Waker()); // and a local one
        await _executor.Drain();

        probe.Polls.Should().Be(2);
        task.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task Cancel_of_an_idle_task_ends_it_without_another_poll()
    {
        var gate = new ManualAwaitable();
        var probe = new PollProbe();
        LocalTask<int> task = null!;
        await _executor.OnExecutor(() => { task = probe.LoopForever(gate); });

        task.Cancel(); // from another thread: travels through the inbox
        Func<Task> awaiting = () => task.Within("the cancelled task");

        await awaiting.Should().ThrowAsync<OperationCanceledException>();
        gate.Waker();
        await _executor.Drain();
        probe.Polls.Should().Be(1, "a closed task is never polled again");
        task.IsCanceled.Should().BeTrue();
    }

    [Fact]
    public async Task Cancel_of_a_queued_task_ends_it_without_another_poll()
    {
        var gate = new ManualAwaitable();
        var probe = new PollProbe();
        LocalTask<int> task = null!;

        await _executor.OnExecutor(() =>
        {
            task = probe.LoopForever(gate);
            gate.Waker(); // queued now
            task.Cancel(); // cancelled while it sits in the queue
        });
        await _executor.Drain();

        probe.Polls.Should().Be(1);
        task.IsCanceled.Should().BeTrue();
        await FluentActions.Awaiting(() => task.Within("the cancelled task")).Should().ThrowAsync<TaskCanceledException>();
    }

    [Fact]
    public async Task Cancel_during_the_poll_wins_over_the_result()
    {
        LocalTask<int>? self = null;
        int polls = 0;

        async LocalTask<int> CancelsItself()
        {
            polls++;
            await Task.Yield();
            polls++;
            self!.Cancel(); // the task is RUNNING: the cancel takes effect when this poll returns
            return 42;
        }

        await _executor.OnExecutor(() => { self = CancelsItself(); });
        await FluentActions.Awaiting(() => self!.Within("the self-cancelled task")).Should().ThrowAsync<TaskCanceledException>();
        polls.Should().Be(2);
        self!.IsCanceled.Should().BeTrue("a task cancelled while running reports cancellation even if its poll finished");
        (await _executor.OnExecutor(() => _executor.LiveTasks.Count)).Should().Be(0, "an async method cancelled during its poll leaves the executor's live tasks");
    }

    [Fact]
    public async Task Cancel_during_the_poll_stops_a_pending_task_and_ignores_its_wakes()
    {
        var gate = new ManualAwaitable();
        LocalTask<int>? self = null;
        int polls = 0;

        async LocalTask<int> CancelsThenWaits()
        {
            polls++;
            await Task.Yield();
            polls++;
            self!.Cancel();
            await gate;
            polls++;
            return 1;
        }

        await _executor.OnExecutor(() => { self = CancelsThenWaits(); });
        await FluentActions.Awaiting(() => self!.Within("the cancelled task")).Should().ThrowAsync<OperationCanceledException>();
        gate.Waker();
        await _executor.Drain();
        polls.Should().Be(2);
        (await _executor.OnExecutor(() => _executor.LiveTasks.Count)).Should().Be(0, "the cancelled method is no longer live");
    }

    [Fact]
    public async Task Cancel_of_a_finished_task_changes_nothing()
    {
        LocalTask<int> task = _executor.Spawn(() => 7);
        (await task.Within("the spawned work")).Should().Be(7);

        task.Cancel();
        await _executor.Drain();

        task.IsCompletedSuccessfully.Should().BeTrue();
        task.Result.Should().Be(7);
    }

    [Fact]
    public async Task A_wake_storm_from_many_threads_loses_nothing_and_never_overlaps_polls()
    {
        var gate = new ManualAwaitable();
        Action? waker = null;
        gate.OnRegister = w => Volatile.Write(ref waker, w);
        var probe = new PollProbe();
        await _executor.OnExecutor(() => { _ = probe.LoopForever(gate); });

        const int Threads = 4;
        const int WakesPerThread = 20_000;
        using var start = new Barrier(Threads);
        var storm = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            storm[t] = new Thread(() =>
            {
                start.SignalAndWait();
                for (int i = 0; i < WakesPerThread; i++)
                {
                    Volatile.Read(ref waker)!();
                }
            });
            storm[t].Start();
        }

        foreach (Thread thread in storm)
        {
            thread.Join(Bounded.Timeout).Should().BeTrue("the storm threads finish");
        }

        await _executor.Drain(); // every wake in the inbox has been applied and its poll has run
        int pollsAfterStorm = probe.Polls;
        pollsAfterStorm.Should().BeInRange(2, 1 + (Threads * WakesPerThread), "wakes coalesce but at least one poll follows");
        probe.MaxDepth.Should().Be(1, "polls never overlap");

        Volatile.Read(ref waker)!(); // the task is idle now: one more wake must give exactly one more poll
        await _executor.Drain();
        probe.Polls.Should().Be(pollsAfterStorm + 1, "no wake is lost");
    }

    /// <summary>Counts polls of a LocalTask body, and how deep polls nest (never more than one).</summary>
    private sealed class PollProbe
    {
        private int _depth;
        private int _maxDepth;
        private int _polls;

        public int Polls => Volatile.Read(ref _polls);

        public int MaxDepth => Volatile.Read(ref _maxDepth);

        public async LocalTask<int> LoopForever(ManualAwaitable gate)
        {
            while (true)
            {
                Enter();
                Leave();
                await gate;
            }
        }

        public async LocalTask<int> FinishAfterOneWake(ManualAwaitable gate)
        {
            Enter();
            Leave();
            await gate;
            Enter();
            Leave();
            return Polls;
        }

        private void Enter()
        {
            int depth = Interlocked.Increment(ref _depth);
            if (depth > _maxDepth)
            {
                _maxDepth = depth;
            }

            Interlocked.Increment(ref _polls);
        }

        private void Leave() => Interlocked.Decrement(ref _depth);
    }
}
