using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Channels;
using ThreadPerCore.IO;
using ThreadPerCore.Tests.Platform;
using Xunit;
using static ThreadPerCore.Tests.IO.IoTestSupport;

namespace ThreadPerCore.Tests.Shutdown;

/// <summary>A graceful shutdown: new foreign work is refused at once, the work in flight runs to its end on its core
/// until the deadline, and what is left then is cancelled and reported.</summary>
public sealed class DrainTests
{
    /// <summary>A deadline the drains below must not wait for: one that did fails by its report, well before any test bound.</summary>
    private static readonly TimeSpan LongDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_task_sleeping_on_a_timer_finishes_during_the_drain_instead_of_being_cancelled()
    {
        LocalExecutor executor = Executors.Start(nameof(A_task_sleeping_on_a_timer_finishes_during_the_drain_instead_of_being_cancelled));
        var stopping = new TaskCompletionSource<Task<ShutdownReport>>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> sleeper = executor.Spawn(async () =>
        {
            // The stop is requested in the same turn that arms the sleep, so the sleep is in flight when the drain
            // begins however late the test's thread runs (stopped from outside after the sleep was armed, a loaded
            // thread pool once let a 50 ms sleep end first, and the report counted no task in flight).
            LocalTask sleep = LocalExecutor.Delay(TimeSpan.FromMilliseconds(50));
            stopping.SetResult(executor.ShutdownAsync(Bounded.Timeout)); // on its own thread: requests the stop
            await sleep;
            return Executors.IsOn(executor) ? 1 : -1;
        });

        ShutdownReport report = await (await stopping.Task.Within("the stop request")).Within("the shutdown");

        sleeper.IsCompletedSuccessfully.Should().BeTrue("the drain let the sleep end");
        (await sleeper).Should().Be(1, "it resumed on its own core");
        report.DeadlineReached.Should().BeFalse();
        report.TasksInFlight.Should().Be(1);
        report.CancelledTasks.Should().Be(0);
        report.ItemsRun.Should().BePositive();
    }

    [Fact]
    public async Task While_draining_new_foreign_work_is_refused_and_a_completion_from_another_thread_still_resumes_on_the_core()
    {
        LocalExecutor executor = Executors.Start(nameof(While_draining_new_foreign_work_is_refused_and_a_completion_from_another_thread_still_resumes_on_the_core));
        var reply = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> handler = executor.Spawn(async () =>
        {
            int value = await reply.Task;
            return Executors.IsOn(executor) ? value : -1;
        });
        await executor.Drain();

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(Bounded.Timeout);
        FluentActions.Invoking(() => executor.Spawn(() => 1)).Should().Throw<ObjectDisposedException>("new work is refused at once");
        FluentActions.Invoking(() => executor.Post(() => { })).Should().Throw<ObjectDisposedException>();
        shutdown.IsCompleted.Should().BeFalse("the handler is in flight");

        reply.SetResult(7);
        ShutdownReport report = await shutdown.Within("the shutdown");

        (await handler).Should().Be(7);
        report.CancelledTasks.Should().Be(0);
        report.DeadlineReached.Should().BeFalse();
        executor.LateWorkItems.Should().Be(0, "nothing arrived after the stop");
    }

    [Fact]
    public async Task Work_that_in_flight_work_spawns_on_its_core_during_the_drain_runs()
    {
        LocalExecutor executor = Executors.Start(nameof(Work_that_in_flight_work_spawns_on_its_core_during_the_drain_runs));
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> handler = executor.Spawn(async () =>
        {
            await go.Task;
            int child = await LocalExecutor.Current!.Spawn(() => 20);            // a local spawn while draining
            await LocalExecutor.Delay(TimeSpan.FromMilliseconds(1));             // a new sleep while draining
            using var timerFired = new SemaphoreSlim(0);
            using ITimer timer = LocalExecutor.Current.CreateTimer(_ => timerFired.Release(), null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            while (!timerFired.Wait(0))
            {
                await Task.Yield();
            }

            return child + 1;
        });
        await executor.Drain();

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(Bounded.Timeout);
        go.SetResult();
        ShutdownReport report = await shutdown.Within("the shutdown");

        (await handler).Should().Be(21);
        report.CancelledTasks.Should().Be(0);
    }

    [Fact]
    public async Task At_the_deadline_what_is_left_is_cancelled_and_reported_by_what_it_was()
    {
        LocalExecutor executor = Executors.Start(nameof(At_the_deadline_what_is_left_is_cancelled_and_reported_by_what_it_was));
        var never = new TaskCompletionSource();
        LocalTask<int> first = executor.Start(() => WaitForeverAsync(never.Task));
        LocalTask<int> second = executor.Start(() => WaitForeverAsync(never.Task));
        await executor.Drain();

        var clock = Stopwatch.StartNew();
        ShutdownReport report = await executor.ShutdownAsync(TimeSpan.FromMilliseconds(100)).Within("the shutdown");

        clock.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(100), "the work in flight got its deadline");
        first.IsCanceled.Should().BeTrue();
        second.IsCanceled.Should().BeTrue();
        report.DeadlineReached.Should().BeTrue();
        report.DrainTime.Should().BePositive("the drain waited for the deadline").And.BeLessThanOrEqualTo(clock.Elapsed);
        report.TasksInFlight.Should().Be(2);
        report.CancelledTasks.Should().Be(2);
        report.CancelledTaskTypes.Should().ContainSingle().Which.Should().Be(
            new System.Collections.Generic.KeyValuePair<string, int>($"{typeof(DrainTests).FullName}.{nameof(WaitForeverAsync)}", 2));
        report.ToString().Should().Contain("deadline reached").And.Contain($"{nameof(WaitForeverAsync)} x2");
    }

    [Fact]
    public async Task A_zero_deadline_cancels_at_once_as_shutdown_always_did()
    {
        LocalExecutor executor = Executors.Start(nameof(A_zero_deadline_cancels_at_once_as_shutdown_always_did));
        var never = new TaskCompletionSource();
        LocalTask<int> waiting = executor.Start(() => WaitForeverAsync(never.Task));
        await executor.Drain();

        ShutdownReport report = await executor.ShutdownAsync(TimeSpan.Zero).Within("the shutdown");

        waiting.IsCanceled.Should().BeTrue();
        report.CancelledTasks.Should().Be(1);
    }

    [Fact]
    public async Task A_token_ends_the_drain_when_it_is_cancelled()
    {
        LocalExecutor executor = Executors.Start(nameof(A_token_ends_the_drain_when_it_is_cancelled));
        var step = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stepped = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        LocalTask<int> handler = executor.Spawn(async () =>
        {
            await step.Task;
            stepped.SetResult(Executors.IsOn(executor));
            await never.Task;
            return 1;
        });
        await executor.Drain();
        using var stop = new CancellationTokenSource();

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(stop.Token);
        step.SetResult();
        (await stepped.Task.Within("the handler's step during the drain, which has no deadline but the token"))
            .Should().BeTrue("the executor was still draining: the step ran on its core");
        shutdown.IsCompleted.Should().BeFalse();
        stop.Cancel();
        ShutdownReport report = await shutdown.Within("the shutdown, once the token is cancelled");

        handler.IsCanceled.Should().BeTrue();
        report.DeadlineReached.Should().BeTrue();
        report.CancelledTasks.Should().Be(1);
    }

    [Fact]
    public async Task A_token_that_cannot_be_cancelled_lets_the_drain_last_until_the_work_in_flight_ends()
    {
        LocalExecutor executor = Executors.Start(nameof(A_token_that_cannot_be_cancelled_lets_the_drain_last_until_the_work_in_flight_ends));
        var reply = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int> handler = executor.Spawn(async () => await reply.Task);
        await executor.Drain();

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(CancellationToken.None);
        reply.SetResult(5);
        ShutdownReport report = await shutdown.Within("the shutdown, once the work in flight ended");

        (await handler).Should().Be(5, "the handler ran to its end in the drain");
        report.DeadlineReached.Should().BeFalse();
        report.CancelledTasks.Should().Be(0);
    }

    [Fact]
    public async Task A_negative_drain_deadline_is_refused_naming_it()
    {
        await using LocalExecutor executor = Executors.Start(nameof(A_negative_drain_deadline_is_refused_naming_it));
        FluentActions.Invoking(() => { _ = executor.ShutdownAsync(TimeSpan.FromMilliseconds(-2)); })
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("deadline");
        executor.Completion.IsCompleted.Should().BeFalse("a refused shutdown requests no stop");
    }

    [Fact]
    public async Task A_token_cancelled_while_the_work_in_flight_does_not_return_gives_up_after_the_shutdown_timeout_saying_it_was_draining()
    {
        TimeSpan timeout = TimeSpan.FromMilliseconds(200);
        var executor = new LocalExecutor(new LocalExecutorOptions { Name = "stuck-in-drain", ShutdownTimeout = timeout });
        using var release = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopping = new TaskCompletionSource<Task<ShutdownReport>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = executor.Spawn(async () =>
        {
            stopping.SetResult(executor.ShutdownAsync(stop.Token)); // on its own thread: the drain begins after this turn
            await resume.Task;
            blocking.SetResult();
            release.Wait(Bounded.Timeout); // work in flight that does not return
        });
        Task<ShutdownReport> shutdown = await stopping.Task.Within("the stop request");
        Bounded.Until(() => !executor.IsAwakeForClock, "the core to sleep in its drain");
        resume.SetResult();
        await blocking.Task.Within("the work in flight to resume and block");

        stop.Cancel(); // ends the drain; the thread then has the shutdown timeout to come back
        ShutdownTimeoutException failure = (await FluentActions.Awaiting(() => shutdown.Within(timeout + TimeSpan.FromSeconds(5), "the shutdown to give up once the token was cancelled"))
            .Should().ThrowAsync<ShutdownTimeoutException>()).Which;

        failure.Timeout.Should().Be(timeout);
        failure.ThreadActivity.Should().StartWith("draining: running the work in flight (user code that does not return)");
        release.Set();
        await executor.Completion.Within("the stop, once the work returned");
    }

    [Fact]
    public async Task A_second_shorter_shutdown_brings_the_deadline_closer_and_both_get_the_same_report()
    {
        LocalExecutor executor = Executors.Start(nameof(A_second_shorter_shutdown_brings_the_deadline_closer_and_both_get_the_same_report));
        var never = new TaskCompletionSource();
        LocalTask<int> waiting = executor.Start(() => WaitForeverAsync(never.Task));
        await executor.Drain();

        Task<ShutdownReport> patient = executor.ShutdownAsync(Timeout.InfiniteTimeSpan);
        Task<ShutdownReport> impatient = executor.ShutdownAsync(TimeSpan.Zero);

        ShutdownReport report = await impatient.Within("the shorter shutdown");
        (await patient.Within("the first shutdown")).Should().BeSameAs(report);
        waiting.IsCanceled.Should().BeTrue();
        report.DeadlineReached.Should().BeTrue();
    }

    [Fact]
    public async Task An_async_void_method_in_flight_finishes_during_the_drain()
    {
        LocalExecutor executor = Executors.Start(nameof(An_async_void_method_in_flight_finishes_during_the_drain));
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finishedOn = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        executor.Post(async () =>
        {
            await resume.Task;
            finishedOn.SetResult(Executors.IsOn(executor));
        });
        await executor.Drain();

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(Bounded.Timeout);
        shutdown.IsCompleted.Should().BeFalse("an async void method is running");
        resume.SetResult();
        ShutdownReport report = await shutdown.Within("the shutdown");

        (await finishedOn.Task.Within("the async void method")).Should().BeTrue("it finished on its core, not as late work");
        report.UnfinishedAsyncVoidMethods.Should().Be(0);
        executor.LateWorkItems.Should().Be(0);
    }

    [Fact]
    public async Task An_async_void_method_still_running_at_the_deadline_is_reported_unfinished()
    {
        LocalExecutor executor = Executors.Start(nameof(An_async_void_method_still_running_at_the_deadline_is_reported_unfinished));
        var never = new TaskCompletionSource();
        executor.Post(async () => await never.Task);
        await executor.Drain();

        ShutdownReport report = await executor.ShutdownAsync(TimeSpan.FromMilliseconds(50)).Within("the shutdown");

        report.DeadlineReached.Should().BeTrue("the async void method kept the drain going");
        report.UnfinishedAsyncVoidMethods.Should().Be(1, "an async void method cannot be cancelled: the report says it was left running");
        report.ToString().Should().Contain("1 async void");
    }

    [Fact]
    public async Task DisposeAsync_drains_for_DrainTimeout_then_cancels()
    {
        var executor = new LocalExecutor(new LocalExecutorOptions { Name = nameof(DisposeAsync_drains_for_DrainTimeout_then_cancels), DrainTimeout = TimeSpan.FromMilliseconds(100) });
        var never = new TaskCompletionSource();
        LocalTask<int> waiting = executor.Start(() => WaitForeverAsync(never.Task));
        await executor.Drain();

        var clock = Stopwatch.StartNew();
        await executor.DisposeAsync().AsTask().Within("the dispose");

        clock.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(100));
        waiting.IsCanceled.Should().BeTrue();
        (await executor.ShutdownAsync(TimeSpan.Zero)).CancelledTasks.Should().Be(1, "a later shutdown returns the same report");
    }

    [Fact]
    public void The_default_drain_timeout_is_five_seconds_and_a_negative_one_is_rejected()
    {
        new LocalExecutorOptions().DrainTimeout.Should().Be(TimeSpan.FromSeconds(5));
        FluentActions.Invoking(() => new LocalExecutor(new LocalExecutorOptions { DrainTimeout = TimeSpan.FromMilliseconds(-5) }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.DrainTimeout");
    }

    [Fact]
    public async Task A_pool_drains_its_shards_side_by_side_and_a_shard_may_still_ask_another_while_they_drain()
    {
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), NamePrefix = "drain" });
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalExecutor other = pool[1];
        LocalTask<int> request = pool[0].Spawn(async () =>
        {
            await go.Task;
            return await other.Spawn(() => Executors.IsOn(other) ? 41 : -1) + 1; // both shards are draining now
        });
        await pool[0].Drain();

        Task<ShutdownReport> shutdown = pool.ShutdownAsync(Bounded.Timeout);
        FluentActions.Invoking(() => other.Spawn(() => 0)).Should().Throw<ObjectDisposedException>("work from outside the pool is new work");
        go.SetResult();
        ShutdownReport report = await shutdown.Within("the pool's shutdown");

        (await request).Should().Be(42);
        report.Shards.Should().HaveCount(2);
        report.CancelledTasks.Should().Be(0);
        report.DeadlineReached.Should().BeFalse();
        report.Name.Should().Be("pool of 2 executors");
    }

    [Fact]
    public async Task A_shard_that_found_itself_drained_and_is_handed_work_by_another_keeps_the_pool_draining_until_that_work_ends()
    {
        // Whether the receiver sees the handed work before the sender counts itself drained is a race between the two
        // threads, which went either way about half the time before the hand-off counted the receiver busy: a few rounds.
        for (int round = 0; round < 8; round++)
        {
            await HandWorkToADrainedShardAsync(round);
        }
    }

    [Fact]
    public async Task A_shard_that_found_itself_drained_and_starts_work_when_a_continuation_reaches_it_keeps_the_pool_draining()
    {
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), NamePrefix = "drain-resumed" });
        LocalExecutor first = pool[0];
        LocalExecutor other = pool[1];
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var wake = new TaskCompletionSource(); // completed on the first shard: the awaiting method's continuation is posted to the other
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<LocalTask<int>> started = await other.OnExecutor(() => SpawnAfterAsync(wake.Task, other, finish.Task, resumed));
        LocalTask<int> request = first.Spawn(async () =>
        {
            await go.Task;
            wake.SetResult();
            await resumed.Task; // the other shard resumed and started its work: only then does this request end
            return 0;
        });

        await ShutDownWhileTheOtherShardIsDrainedAsync(pool, go, request, finish, () => started.Within("the resumed method"),
            "the other shard counts itself busy again once it has work in flight: the pool's drain is not over");
    }

    /// <summary>A plain task method (not work in flight, so its shard counts itself drained while it waits) that, once
    /// resumed, spawns work in flight on its core.</summary>
    private static async Task<LocalTask<int>> SpawnAfterAsync(Task wake, LocalExecutor executor, Task finish, TaskCompletionSource resumed)
    {
        await wake;
        LocalTask<int> spawned = executor.Spawn(async () =>
        {
            await finish;
            return Executors.IsOn(executor) ? 1 : -1;
        });
        resumed.SetResult();
        return spawned;
    }

    private static async Task HandWorkToADrainedShardAsync(int round)
    {
        var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), NamePrefix = $"drain-handed-{round}" });
        LocalExecutor other = pool[1];
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LocalTask<int>? handed = null;
        LocalTask<int> request = pool[0].Spawn(async () =>
        {
            await go.Task;
            // Handed on, not awaited: the request ends while the other shard still has the work it was given.
            handed = other.Spawn(async () =>
            {
                await finish.Task;
                return Executors.IsOn(other) ? 1 : -1;
            });
            return 0;
        });

        await ShutDownWhileTheOtherShardIsDrainedAsync(pool, go, request, finish, () => Task.FromResult(handed!),
            $"the other shard is still draining in round {round}: the pool's drain is not over while it has work");
    }

    /// <summary>
    /// Shuts <paramref name="pool"/> down, waits until its second shard, with nothing in flight, has found itself drained
    /// and sleeps, then lets the first shard's <paramref name="request"/> go: it gives the second shard work (returned by
    /// <paramref name="work"/> once the request ended) that waits for <paramref name="finish"/>. The first shard then
    /// finds itself drained too; the pool's drain must still wait for that work, which must run to its end on its shard.
    /// </summary>
    private static async Task ShutDownWhileTheOtherShardIsDrainedAsync(
        LocalExecutorPool pool, TaskCompletionSource go, LocalTask<int> request, TaskCompletionSource finish, Func<Task<LocalTask<int>>> work, string stillDraining)
    {
        LocalExecutor first = pool[0];
        LocalExecutor other = pool[1];
        await first.Drain();

        Task<ShutdownReport> shutdown = pool.ShutdownAsync(Bounded.Timeout);
        Bounded.Until(() => !other.IsAwakeForClock, "the other shard, with nothing in flight, to find itself drained and sleep");
        go.SetResult();
        (await request.Within("the request")).Should().Be(0);
        LocalTask<int> given = await work();
        Bounded.Until(() => !first.IsAwakeForClock || given.IsCompleted,
            "the first shard to find itself drained and sleep, waiting for the other (or, wrongly, the given work to end with the drain)");
        given.IsCompleted.Should().BeFalse(stillDraining);
        finish.SetResult();
        ShutdownReport report = await shutdown.Within("the pool's shutdown");

        (await given.Within("the work given to the drained shard")).Should().Be(1, "the work given to a drained shard ran to its end on that shard");
        report.CancelledTasks.Should().Be(0);
        report.DeadlineReached.Should().BeFalse("the drain ended when both shards were drained, long before its deadline");
    }

    [LinuxFact]
    public async Task The_reactor_serves_a_read_in_flight_while_listeners_close_at_once()
    {
        LocalExecutor executor = StartExecutor(nameof(The_reactor_serves_a_read_in_flight_while_listeners_close_at_once));
        executor.HasReactor.Should().BeTrue(executor.ReactorUnavailableReason);
        LocalListener listener = await ListenAsync(executor);
        LocalConnection connection = default!;
        using Socket client = await Task.Run(async () =>
        {
            LocalTask<LocalConnection> accepting = executor.Spawn(() => listener.AcceptAsync());
            Socket socket = Connect(listener.LocalEndPoint);
            connection = await accepting.Within("the accept");
            return socket;
        });
        LocalTask<int> reading = executor.Spawn(async () =>
        {
            var buffer = new byte[4];
            int read = await connection.ReceiveAsync(buffer);
            return Executors.IsOn(executor) ? buffer[0] + read : -1;
        });
        LocalTask<LocalConnection> secondAccept = executor.Spawn(() => listener.AcceptAsync());
        await executor.Drain();

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(Bounded.Timeout);
        await FluentActions.Awaiting(() => secondAccept.Within("the pending accept")).Should().ThrowAsync<ObjectDisposedException>("no new connections while draining");
        client.Send([9]);
        ShutdownReport report = await shutdown.Within("the shutdown");

        (await reading).Should().Be(10, "the read in flight completed on the core while the executor drained");
        report.CancelledTasks.Should().Be(0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_receive_waiting_on_a_LocalChannel_finishes_during_the_drain_when_an_item_is_sent_in_time(bool rawTaskReceiver)
    {
        LocalExecutor executor = Executors.Start($"{nameof(A_receive_waiting_on_a_LocalChannel_finishes_during_the_drain_when_an_item_is_sent_in_time)}-{rawTaskReceiver}");
        LocalChannel<int> channel = await executor.OnExecutor(() => new LocalChannel<int>(1));
        var send = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // An async LocalTask receiver is woken by reference; an async Task one by a post to its own run queue.
        LocalTask<int> receiver = rawTaskReceiver
            ? executor.Start(() => ReceiveOnCoreAsync(channel, executor))
            : executor.Spawn(async () => Executors.IsOn(executor) ? await channel.ReceiveAsync() : -1);
        LocalTask<bool> sender = executor.Spawn(async () =>
        {
            await send.Task;
            return channel.TrySend(5); // the channel belongs to the core: the sender is work in flight there
        });
        await executor.Drain();
        receiver.IsCompleted.Should().BeFalse("the channel is empty: the receive waits");
        long parks = ParksOnceAsleep(executor);

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(Bounded.Timeout);
        await UntilTheDrainWaits(executor, parks, shutdown);
        send.SetResult();
        ShutdownReport report = await shutdown.Within("the shutdown");

        (await sender).Should().BeTrue();
        receiver.IsCompletedSuccessfully.Should().BeTrue("the item sent during the drain ended the receive");
        (await receiver).Should().Be(5);
        report.DeadlineReached.Should().BeFalse();
        report.CancelledTasks.Should().Be(0);
        executor.LateWorkItems.Should().Be(0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_receive_waiting_on_a_SharedChannel_finishes_during_the_drain_when_another_thread_sends_in_time(bool rawTaskReceiver)
    {
        LocalExecutor executor = Executors.Start($"{nameof(A_receive_waiting_on_a_SharedChannel_finishes_during_the_drain_when_another_thread_sends_in_time)}-{rawTaskReceiver}");
        var channel = new SharedChannel<int>(1);
        LocalTask<int> receiver = rawTaskReceiver
            ? executor.Start(() => ReceiveOnCoreAsync(channel, executor))
            : executor.Spawn(async () => Executors.IsOn(executor) ? await channel.ReceiveAsync() : -1);
        await executor.Drain();
        receiver.IsCompleted.Should().BeFalse("the channel is empty: the receive waits");
        long parks = ParksOnceAsleep(executor);

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(Bounded.Timeout);
        await UntilTheDrainWaits(executor, parks, shutdown);
        channel.TrySend(7).Should().BeTrue(); // from the test's thread: the wake reaches the draining core through its inbox
        ShutdownReport report = await shutdown.Within("the shutdown");

        receiver.IsCompletedSuccessfully.Should().BeTrue("the item sent during the drain ended the receive");
        (await receiver).Should().Be(7);
        report.DeadlineReached.Should().BeFalse();
        report.CancelledTasks.Should().Be(0);
        executor.LateWorkItems.Should().Be(0);
    }

    [Fact]
    public async Task A_spawn_queued_in_the_inbox_and_not_yet_run_when_the_shutdown_begins_runs_during_the_drain()
    {
        LocalExecutor executor = Executors.Start(nameof(A_spawn_queued_in_the_inbox_and_not_yet_run_when_the_shutdown_begins_runs_during_the_drain));
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        executor.Post(() =>
        {
            holding.Set();
            release.Wait(Bounded.Timeout); // the core is busy: what is spawned now waits in its inbox
        });
        holding.Wait(Bounded.Timeout).Should().BeTrue();
        LocalTask<int> queued = executor.Spawn(() => Executors.IsOn(executor) ? 1 : -1);
        LocalTask<int> queuedMethod = executor.Start(() => OnCoreAsync(executor));

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(Bounded.Timeout);
        queued.IsCompleted.Should().BeFalse("the core is still held: the spawn has not run when the shutdown begins");
        release.Set();
        ShutdownReport report = await shutdown.Within("the shutdown");

        queued.IsCompletedSuccessfully.Should().BeTrue("work queued before the stop is work in flight: it runs, it is not cancelled");
        (await queued).Should().Be(1);
        (await queuedMethod).Should().Be(2);
        report.TasksInFlight.Should().Be(2);
        report.CancelledTasks.Should().Be(0);
        report.DeadlineReached.Should().BeFalse();
    }

    [Fact]
    public async Task A_spawn_queued_in_a_run_queue_and_not_yet_run_when_the_shutdown_begins_runs_during_the_drain()
    {
        LocalExecutor executor = Executors.Start(nameof(A_spawn_queued_in_a_run_queue_and_not_yet_run_when_the_shutdown_begins_runs_during_the_drain));
        TaskQueueHandle batch = executor.CreateTaskQueue("batch");
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        LocalTask<int>? queued = null;
        executor.Post(() =>
        {
            // A local spawn goes straight into its run queue. Another queue than the held item's: the held slice ends with
            // its item, so the loop sees the stop before it gets to the spawn (a slice of one queue would go on to it).
            queued = LocalExecutor.Current!.Spawn(batch, () => Executors.IsOn(executor) ? 1 : -1);
            holding.Set();
            release.Wait(Bounded.Timeout);
        });
        holding.Wait(Bounded.Timeout).Should().BeTrue();

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(Bounded.Timeout);
        queued!.IsCompleted.Should().BeFalse("the core is still held: the spawn has not run when the shutdown begins");
        release.Set();
        ShutdownReport report = await shutdown.Within("the shutdown");

        queued.IsCompletedSuccessfully.Should().BeTrue("work queued before the stop is work in flight: it runs, it is not cancelled");
        (await queued).Should().Be(1);
        report.TasksInFlight.Should().Be(1);
        report.CancelledTasks.Should().Be(0);
        report.DeadlineReached.Should().BeFalse();
    }

    [Fact]
    public async Task A_drain_whose_last_work_is_a_foreign_timer_dispose_ends_when_the_dispose_is_applied_not_at_the_deadline()
    {
        // The dispose is a control item applied from the inbox: no queued item runs, and the loop, which found the inbox
        // not empty at its first look, must look again before it sleeps. It used to sleep until the deadline, so a
        // shutdown with a generous deadline hung on for all of it.
        LocalExecutor executor = Executors.Start(nameof(A_drain_whose_last_work_is_a_foreign_timer_dispose_ends_when_the_dispose_is_applied_not_at_the_deadline));
        ITimer timer = executor.CreateTimer(_ => { }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Task<ShutdownReport> shutdown;
        using (ExecutorHold hold = ExecutorHold.Of(executor))
        {
            timer.Dispose(); // from this thread: it waits in the inbox behind the held turn
            shutdown = executor.ShutdownAsync(LongDeadline);
            hold.Release();
        }

        ShutdownReport report = await shutdown.Within("the shutdown");

        report.DrainTime.Should().BeLessThan(LongDeadline, "the drain ends once the dispose was applied, not at its deadline");
        report.DeadlineReached.Should().BeFalse();
    }

    [Fact]
    public async Task An_async_void_method_that_ends_on_another_thread_ends_the_drain_at_once()
    {
        // Its last step runs on the thread that completes what it awaits (ConfigureAwait(false)): no turn of the loop
        // sees it end, so that thread must wake the draining loop, which otherwise slept until the deadline.
        LocalExecutor executor = Executors.Start(nameof(An_async_void_method_that_ends_on_another_thread_ends_the_drain_at_once));
        var resume = new TaskCompletionSource(); // continuations run inline, on the thread that completes it
        int endedOnThread = 0;
        executor.Post(async () =>
        {
            await resume.Task.ConfigureAwait(false);
            endedOnThread = Environment.CurrentManagedThreadId;
        });
        await executor.Drain();
        long parks = ParksOnceAsleep(executor);

        Task<ShutdownReport> shutdown = executor.ShutdownAsync(LongDeadline);
        await UntilTheDrainWaits(executor, parks, shutdown);
        // A thread of its own completes it: the test's continuation may run under xunit's SynchronizationContext, where
        // the runtime does not inline continuations and would hand the method's last step to the thread pool.
        int completingThread = 0;
        var completer = new Thread(() =>
        {
            completingThread = Environment.CurrentManagedThreadId;
            resume.SetResult();
        });
        completer.Start();
        completer.Join();
        ShutdownReport report = await shutdown.Within("the shutdown");

        endedOnThread.Should().Be(completingThread, "the method ended on the thread that completed what it awaited");
        report.DrainTime.Should().BeLessThan(LongDeadline, "the drain ends once the method ended, not at its deadline");
        report.UnfinishedAsyncVoidMethods.Should().Be(0);
    }

    /// <summary>Waits until the executor sleeps with nothing to do, and returns how often it has parked.</summary>
    private static long ParksOnceAsleep(LocalExecutor executor)
    {
        SpinWait.SpinUntil(() => !executor.IsAwakeForClock, Bounded.Timeout).Should().BeTrue("an executor with nothing queued parks");
        return executor.GetStats().Parks;
    }

    /// <summary>
    /// Waits until the executor, woken by its stop, has looked at its drain and gone back to sleep because work is in
    /// flight: only then does the test complete that work, so a drain that wrongly ended at its first look fails the test
    /// instead of racing the completion.
    /// </summary>
    private static async Task UntilTheDrainWaits(LocalExecutor executor, long parksBeforeTheStop, Task<ShutdownReport> shutdown)
    {
        SpinWait.SpinUntil(() => executor.GetStats().Parks > parksBeforeTheStop || shutdown.IsCompleted, Bounded.Timeout).Should().BeTrue();
        if (shutdown.IsCompleted)
        {
            ShutdownReport ended = await shutdown;
            throw new Xunit.Sdk.XunitException($"The drain ended while work was in flight: {ended}");
        }
    }

    private static async LocalTask<int> ReceiveOnCoreAsync(LocalChannel<int> channel, LocalExecutor executor)
    {
        int item = await channel.ReceiveAsync();
        return Executors.IsOn(executor) ? item : -1;
    }

    private static async LocalTask<int> ReceiveOnCoreAsync(SharedChannel<int> channel, LocalExecutor executor)
    {
        int item = await channel.ReceiveAsync();
        return Executors.IsOn(executor) ? item : -1;
    }

    private static async LocalTask<int> OnCoreAsync(LocalExecutor executor)
    {
        await LocalExecutor.Yield();
        return Executors.IsOn(executor) ? 2 : -2;
    }

    /// <summary>A raw task that stays in flight until shutdown cancels it (<paramref name="never"/> never completes).</summary>
    internal static async LocalTask<int> WaitForeverAsync(Task never)
    {
        await never;
        return 1;
    }
}
