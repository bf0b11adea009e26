using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ThreadPerCore.Hosting.Tests;

public sealed class HostedPoolTests
{
    [Fact]
    public async Task Host_start_starts_the_pool_and_its_executors_resolve_from_the_container()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs, options =>
        {
            options.Placement = PoolPlacement.Unbound(2);
            options.NamePrefix = "hosted";
        });
        await host.StartAsync().Within("the host to start");

        var pool = host.Services.GetRequiredService<LocalExecutorPool>();
        pool.Count.Should().Be(2);
        host.Services.GetRequiredService<IReadOnlyList<LocalExecutor>>().Should().Equal(pool.Executors);
        host.Services.GetRequiredKeyedService<LocalExecutor>(1).Should().BeSameAs(pool[1]);
        ShardResult<string?>[] threads = await pool.RunOnAllShards(_ => Task.FromResult(Thread.CurrentThread.Name)).Within("a body on every shard");
        threads.Select(r => r.Value).Should().Equal("hosted-0", "hosted-1");

        LogEntry started = logs.Pool.Should().ContainSingle(e => e.EventId.Id == 1).Subject;
        started.Level.Should().Be(LogLevel.Information);
        started.Message.Should().Contain("2 executors").And.Contain("hosted-0 unbound").And.Contain("hosted-1 unbound");
        await host.StopAsync().Within("the host to stop");
    }

    [Fact]
    public async Task Host_stop_drains_the_pool_and_logs_it()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs);
        await host.StartAsync().Within("the host to start");
        var pool = host.Services.GetRequiredService<LocalExecutorPool>();

        await host.StopAsync().Within("the host to stop");

        pool.Executors.Should().OnlyContain(e => e.Completion.IsCompletedSuccessfully, "every executor's thread exited");
        FluentActions.Invoking(() => pool[0].Spawn(() => 1)).Should().Throw<ObjectDisposedException>();
        logs.Pool.Select(e => e.EventId.Id).Should().Equal(1, 3, 4); // started, stopping, stopped
    }

    [Fact]
    public async Task A_keyed_executor_needs_an_int_shard_number()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs);
        await host.StartAsync().Within("the host to start");

        FluentActions.Invoking(() => host.Services.GetRequiredKeyedService<LocalExecutor>("one"))
            .Should().Throw<ArgumentException>().WithMessage("*shard number, an int*the key was one (String)*");
        FluentActions.Invoking(() => host.Services.GetRequiredKeyedService<LocalExecutor>(5))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*2 shards*");
        await host.StopAsync().Within("the host to stop");
    }

    [Fact]
    public async Task A_pool_that_fails_to_start_fails_the_host_start_with_the_pools_exception()
    {
        var logs = new LogCollector();
        var failure = new PoolStartException(1, Placement.Fixed(1), new InvalidOperationException("the OS refused to pin the thread"));
        using IHost host = TestHosts.Build(logs, services: s => s.AddSingleton((PoolFactory)(_ => throw failure)));

        Func<Task> start = () => host.StartAsync();

        (await start.Should().ThrowAsync<PoolStartException>()).Which.Should().BeSameAs(failure);
        LogEntry logged = logs.Pool.Should().ContainSingle(e => e.EventId.Id == 2).Subject;
        logged.Level.Should().Be(LogLevel.Critical);
        logged.Exception.Should().BeSameAs(failure);
        await host.StopAsync().Within("stopping a host that did not start");
        logs.Pool.Should().NotContain(e => e.EventId.Id == 3, "a pool that never started has nothing to stop");
    }

    [Fact]
    public async Task More_pinned_executors_than_cpus_are_refused_by_the_validator_before_any_hosted_service_starts()
    {
        // More pinned executors than CPUs: the pool would refuse the placement before it starts anything; the validator
        // catches it first, with the configuration key in the message. (A pool that fails for real after the
        // validation: PoolStartFailureTests.)
        var logs = new LogCollector();
        var started = new Probe();
        using IHost host = TestHosts.Build(
            logs,
            options => options.Placement = PoolPlacement.Pack(Platform.SystemCpus.UsableCpuCount + 1),
            services: s => s.AddSingleton<IHostedService>(started));

        Func<Task> start = () => host.StartAsync();

        (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>())
            .WithMessage($"*LocalExecutor:Placement is Pack({Platform.SystemCpus.UsableCpuCount + 1})*can use {Platform.SystemCpus.UsableCpuCount} CPUs*");
        started.Started.Should().BeFalse("no hosted service starts when the pool's options are invalid");
    }

    [Fact]
    public async Task An_unhandled_exception_on_a_shard_is_logged_with_the_executor_and_the_exception()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs);
        await host.StartAsync().Within("the host to start");
        var pool = host.Services.GetRequiredService<LocalExecutorPool>();
        var thrown = new InvalidOperationException("posted work failed");

        pool[1].Post(() => throw thrown);

        LogEntry entry = await logs.WaitFor(e => e.EventId.Id == 7).Within("the unhandled exception to be logged");
        entry.Level.Should().Be(LogLevel.Error);
        entry.Exception.Should().BeSameAs(thrown);
        entry.Message.Should().Be("Unhandled exception on executor pool-1 (shard 1).");
        (await pool[1].Spawn(() => 1).AsTask().Within("the shard to go on")).Should().Be(1, "the Continue policy keeps the shard running");
        await host.StopAsync().Within("the host to stop");
    }

    [Fact]
    public async Task A_shard_that_stops_on_an_unhandled_exception_stops_the_host()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs, options =>
        {
            options.Placement = PoolPlacement.Unbound(2);
            options.UnhandledExceptionPolicy = UnhandledExceptionPolicy.StopExecutor;
        });
        await host.StartAsync().Within("the host to start");
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource();
        lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());

        host.Services.GetRequiredService<LocalExecutorPool>()[0].Post(() => throw new InvalidOperationException("fatal"));

        await stopping.Task.Within("the host to be asked to stop");
        LogEntry entry = logs.Pool.Should().ContainSingle(e => e.EventId.Id == 8).Subject;
        entry.Level.Should().Be(LogLevel.Critical);
        entry.Exception!.Message.Should().Be("fatal");
        await host.StopAsync().Within("the host to stop");
    }

    [Fact]
    public async Task Stopping_drains_until_the_hosts_timeout_then_logs_what_it_cancelled()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs, shutdownTimeout: TimeSpan.FromMilliseconds(300));
        await host.StartAsync().Within("the host to start");
        var pool = host.Services.GetRequiredService<LocalExecutorPool>();
        LocalTask shortSleep = pool[0].Sleep(TimeSpan.FromMilliseconds(20));
        var never = new TaskCompletionSource();
        LocalTask endless = pool[1].Start(() => WaitForeverAsync(never.Task)); // in flight until the deadline

        await host.StopAsync().Within("the host to stop");

        shortSleep.IsCompletedSuccessfully.Should().BeTrue("work in flight finishes during the drain");
        endless.IsCanceled.Should().BeTrue("what is left at the host's deadline is cancelled");
        LogEntry stopped = logs.Pool.Should().ContainSingle(e => e.EventId.Id == 4).Subject;
        stopped.Message.Should().Contain("cancelled");
        LogEntry cancelled = logs.Pool.Should().ContainSingle(e => e.EventId.Id == 9, string.Join(" | ", logs.Pool.Select(e => e.Message))).Subject;
        cancelled.Level.Should().Be(LogLevel.Warning);
        cancelled.Message.Should().Contain("1 tasks cancelled at the drain deadline")
            .And.Contain($"{typeof(HostedPoolTests).FullName}.{nameof(WaitForeverAsync)} x1", "the log names what was cancelled, by its async method");
    }

    [Fact]
    public async Task Late_work_after_the_stop_is_logged_with_how_it_was_handled()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs);
        await host.StartAsync().Within("the host to start");
        var pool = host.Services.GetRequiredService<LocalExecutorPool>();
        SynchronizationContext context = await pool[0].Spawn(() => SynchronizationContext.Current!);
        await host.StopAsync().Within("the host to stop");

        var ran = new TaskCompletionSource();
#pragma warning disable VSTHRD001 // posting to the stopped core's context is the point: late work
        context.Post(_ => ran.SetResult(), null);
#pragma warning restore VSTHRD001
        await ran.Task.Within("the late callback to run on the thread pool (the default policy)");

        LogEntry late = logs.Pool.Should().ContainSingle(e => e.EventId.Id == 10).Subject;
        late.Level.Should().Be(LogLevel.Warning);
        late.Message.Should().Contain("run on the thread pool");
    }

    [Fact]
    public async Task A_stall_on_a_shard_is_logged_while_it_lasts()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs, options => options.StallThreshold = TimeSpan.FromMilliseconds(50));
        await host.StartAsync().Within("the host to start");
        var pool = host.Services.GetRequiredService<LocalExecutorPool>();
        Task<LogEntry> stall = logs.WaitFor(e => e.EventId.Id == 11);
        using var release = new ManualResetEventSlim();
        pool[0].Post(() => release.Wait()); // a turn that lasts until the report has been logged

        try
        {
            LogEntry entry = await stall.Within("the stall to be logged while the turn still runs");
            entry.Level.Should().Be(LogLevel.Warning);
            entry.Message.Should().Contain("pool-0");
        }
        finally
        {
            release.Set();
        }

        await host.StopAsync().Within("the host to stop");
    }

    [Fact]
    public async Task Stopping_gives_up_at_the_hosts_shutdown_timeout_when_a_shard_does_not_return()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs, shutdownTimeout: TimeSpan.FromMilliseconds(200));
        await host.StartAsync().Within("the host to start");
        var pool = host.Services.GetRequiredService<LocalExecutorPool>();
        using var release = new ManualResetEventSlim();
        var blocking = new TaskCompletionSource();
        pool[1].Post(() =>
        {
            blocking.SetResult();
            release.Wait(); // a work item that does not return until the test lets it
        });
        await blocking.Task.Within("shard 1 to block");

        try
        {
            // Only the host's shutdown token can end this stop: shard 1 cannot exit while the item blocks.
            await host.StopAsync().Within("the host to stop at its shutdown timeout");
            LogEntry entry = logs.Pool.Should().ContainSingle(e => e.EventId.Id == 5).Subject;
            entry.Level.Should().Be(LogLevel.Warning);
            entry.Message.Should().Contain("still running: pool-1.");
            pool[1].Completion.IsCompleted.Should().BeFalse();
        }
        finally
        {
            release.Set();
        }

        await pool[1].Completion.Within("shard 1 to finish stopping once its item returns");
    }

    [Fact]
    public async Task Hosted_services_registered_before_the_pool_still_use_it_while_they_start_and_stop()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(logs, services: s =>
        {
            s.AddSingleton<UsesPool>();
            s.AddHostedService(p => p.GetRequiredService<UsesPool>());
        });
        var user = host.Services.GetRequiredService<UsesPool>();

        await host.StartAsync().Within("the host to start");
        await host.StopAsync().Within("the host to stop");

        user.AtStart.Should().Be(1);
        user.AtStop.Should().Be(2, "the pool drains after every hosted service stopped");
    }

    private static async LocalTask WaitForeverAsync(Task never) => await never;

    private sealed class Probe : IHostedService
    {
        public bool Started { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Started = true;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class UsesPool(IServiceProvider services) : IHostedService
    {
        public int AtStart { get; private set; }

        public int AtStop { get; private set; }

        public async Task StartAsync(CancellationToken cancellationToken) =>
            AtStart = await services.GetRequiredService<LocalExecutorPool>()[0].Spawn(() => 1);

        public async Task StopAsync(CancellationToken cancellationToken) =>
            AtStop = await services.GetRequiredService<LocalExecutorPool>()[1].Spawn(() => 2);
    }
}
