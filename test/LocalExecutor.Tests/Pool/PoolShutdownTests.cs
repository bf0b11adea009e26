using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Pool;

/// <summary>Stopping a pool: disposing drains every shard for the pool's <see cref="LocalExecutorPoolOptions.DrainTimeout"/>
/// then cancels what is left; and, as for one executor, every call that stops it waits for the same end.</summary>
public sealed class PoolShutdownTests
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task DisposeAsync_drains_every_shard_for_the_pools_DrainTimeout_then_cancels_what_is_left()
    {
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions
        {
            Placement = PoolPlacement.Unbound(2),
            NamePrefix = "pool-dispose",
            DrainTimeout = DrainTimeout,
        });
        // Completed on the test's thread, which posts the continuation to shard 0 at once: no thread-pool hop, whose
        // delay on a loaded machine could outlast the drain.
        var go = new TaskCompletionSource();
        var never = new TaskCompletionSource();
        LocalTask<int> finishing = pool[0].Spawn(async () =>
        {
            await go.Task;
            return Executors.IsOn(pool[0]) ? 1 : -1;
        });
        LocalTask<int> endless = pool[1].Start(() => WaitForeverAsync(never.Task));
        await pool[0].Drain();
        await pool[1].Drain();

        var clock = Stopwatch.StartNew();
        Task disposing = pool.DisposeAsync().AsTask();
        FluentActions.Invoking(() => pool[0].Spawn(() => 0)).Should().Throw<ObjectDisposedException>("new work is refused at once");
        go.SetResult(); // work in flight, completed while the pool drains
        await disposing.Within("the pool's dispose");

        clock.Elapsed.Should().BeGreaterThanOrEqualTo(DrainTimeout, "shard 1's work in flight got the pool's drain deadline");
        (await finishing).Should().Be(1, "the work completed during the drain finished on its core");
        endless.IsCanceled.Should().BeTrue("what is left at the deadline is cancelled");

        ShutdownReport report = await pool.ShutdownAsync(TimeSpan.Zero).Within("a later shutdown, which reports the one that happened");
        report.DeadlineReached.Should().BeTrue();
        report.CancelledTasks.Should().Be(1);
        report.CancelledTaskTypes.Should().Equal(
            new Dictionary<string, int> { [$"{typeof(PoolShutdownTests).FullName}.{nameof(WaitForeverAsync)}"] = 1 });
        report.Shards.Should().HaveCount(2);
        report.Shards[0].CancelledTasks.Should().Be(0);
        report.Shards[1].CancelledTasks.Should().Be(1);

        // The drain's own clock, not the time until this test resumed: on a saturated machine the thread pool, which runs
        // the continuation of the dispose, was seen to stall for seconds after both threads had exited.
        report.Shards[1].DrainTime.Should().BeLessThan(LocalExecutorOptions.DefaultDrainTimeout, "the pool's DrainTimeout, not the executors' default");
    }

    [Fact]
    public async Task After_ShutdownAsync_a_later_DisposeAsync_waits_for_the_shutdown_in_progress()
    {
        // An infinite DrainTimeout: disposing cannot bring the deadline closer, so it can only end with the shutdown.
        (LocalExecutorPool pool, TaskCompletionSource release, LocalTask<int> inFlight) = StartPoolWithWorkInFlight();

        Task<ShutdownReport> shutdown = pool.ShutdownAsync(Timeout.InfiniteTimeSpan);
        Task disposing = pool.DisposeAsync().AsTask();
        Task disposingAgain = pool.DisposeAsync().AsTask();

        disposing.IsCompleted.Should().BeFalse("the shutdown in progress has work in flight: disposing waits for it, as an executor's does");
        disposingAgain.IsCompleted.Should().BeFalse();
        release.SetResult();
        await disposing.Within("the dispose, once the shutdown ended");
        await disposingAgain.Within("the second dispose");

        shutdown.IsCompletedSuccessfully.Should().BeTrue("disposing returned when the shutdown had ended");
        pool.Executors.Should().OnlyContain(e => e.Completion.IsCompleted, "every shard's thread exited before disposing returned");
        (await inFlight).Should().Be(1, "the work in flight finished: disposing did not cut the drain short");
        (await shutdown).CancelledTasks.Should().Be(0);
    }

    [Fact]
    public async Task After_DisposeAsync_a_later_ShutdownAsync_waits_for_the_shutdown_in_progress_and_reports_it()
    {
        (LocalExecutorPool pool, TaskCompletionSource release, LocalTask<int> inFlight) = StartPoolWithWorkInFlight();

        Task disposing = pool.DisposeAsync().AsTask();
        Task<ShutdownReport> shutdown = pool.ShutdownAsync(Timeout.InfiniteTimeSpan);

        shutdown.IsCompleted.Should().BeFalse("the work in flight holds the shutdown in progress");
        release.SetResult();
        ShutdownReport report = await shutdown.Within("the later shutdown");

        await disposing.Within("the dispose, which ends with the same shutdown");
        (await inFlight).Should().Be(1);
        report.CancelledTasks.Should().Be(0);
        report.DeadlineReached.Should().BeFalse();
        report.Shards.Should().HaveCount(2);
    }

    [Fact]
    public async Task After_ShutdownAsync_a_later_Dispose_blocks_until_the_shutdown_in_progress_ended()
    {
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions
        {
            Placement = PoolPlacement.Unbound(2),
            NamePrefix = "pool-rejoin-sync",
            DrainTimeout = Timeout.InfiniteTimeSpan,
        });
        LocalTask<int> sleeping = pool[1].Spawn(async () =>
        {
            await LocalExecutor.Delay(TimeSpan.FromMilliseconds(200)); // ends on its core, with nothing from the test
            return 1;
        });
        await pool[1].Drain();

        Task<ShutdownReport> shutdown = pool.ShutdownAsync(Timeout.InfiniteTimeSpan);
        pool.Dispose(); // blocks this thread until the shutdown in progress has ended

        sleeping.IsCompletedSuccessfully.Should().BeTrue("Dispose returned only once the sleep in flight had ended");
        pool.Executors.Should().OnlyContain(e => e.Completion.IsCompleted, "every shard's thread exited before Dispose returned");
        (await shutdown.Within("the shutdown")).CancelledTasks.Should().Be(0);
    }

    private static (LocalExecutorPool Pool, TaskCompletionSource Release, LocalTask<int> InFlight) StartPoolWithWorkInFlight()
    {
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions
        {
            Placement = PoolPlacement.Unbound(2),
            NamePrefix = "pool-rejoin",
            DrainTimeout = Timeout.InfiniteTimeSpan,
        });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> inFlight = pool[1].Spawn(async () =>
        {
            await release.Task;
            return 1;
        });
        return (pool, release, inFlight);
    }

    private static async LocalTask<int> WaitForeverAsync(Task never)
    {
        await never;
        return 1;
    }
}
