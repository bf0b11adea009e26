using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ThreadPerCore.Platform;
using ThreadPerCore.Tests.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Pool;

public sealed class PoolStartTests
{
    private static readonly TimeSpan Bound = Bounded.Timeout;

    [Fact]
    public void An_explicit_cpu_list_with_an_unavailable_cpu_is_refused_before_any_executor_starts()
    {
        CpuSet available = SystemCpus.GetAvailableCpus();
        int missing = CpuSet.MaxCpu; // never available (see PlacementTests)
        int[] cpus = SystemCpus.UsableCpuCount >= 2 ? [available.First(), missing] : [missing];
        int started = 0;
        var act = () => new LocalExecutorPool(
            new LocalExecutorPoolOptions { Placement = PoolPlacement.Cpus(cpus) },
            (shard, options) =>
            {
                Interlocked.Increment(ref started);
                return new LocalExecutor(options);
            });

        ArgumentOutOfRangeException failure = act.Should().Throw<ArgumentOutOfRangeException>().Which;
        started.Should().Be(0, "the whole placement is checked before the first executor starts");
        failure.ActualValue.Should().Be(missing);
        failure.Message.Should().Contain($"CPU {missing}").And.Contain(available.ToString()).And.Contain($"shard {cpus.Length - 1}");

        // The error a single executor gives for the same CPU.
        var single = () => new LocalExecutor(new LocalExecutorOptions { Placement = Placement.Fixed(missing) }).Dispose();
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        {
            string reason = $" is not available to this process; it may use CPUs {available}.";
            failure.Message.Should().Contain(reason);
            single.Should().Throw<ArgumentOutOfRangeException>().Which.Message.Should().StartWith($"CPU {missing}{reason}");
        }
    }

    [Fact]
    public void Planning_an_explicit_list_checks_every_cpu_against_the_usable_ones()
    {
        CpuTopology twoCpus = CpuTopology.Flat(CpuSet.Of(0, 1));

        FluentActions.Invoking(() => PoolPlacement.Cpus(1, 0).Plan(twoCpus, 2)).Should().NotThrow();
        FluentActions.Invoking(() => PoolPlacement.Cpus(0, 5).Plan(twoCpus, 2)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("placement")
            .WithMessage("CPU 5 (shard 1 of Cpus(0,5)) is not available to this process; it may use CPUs 0-1.*");
    }

    [Fact]
    public void A_failed_start_stops_the_executors_already_started_and_runs_no_body()
    {
        var started = new List<LocalExecutor>();
        var act = () => new LocalExecutorPool(
            new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(3) },
            (shard, options) =>
            {
                if (shard == 2)
                {
                    throw new InvalidOperationException("thread creation failed");
                }

                var executor = new LocalExecutor(options);
                started.Add(executor);
                return executor;
            });

        act.Should().Throw<PoolStartException>()
            .Which.Should().Match<PoolStartException>(e => e.Shard == 2 && e.InnerException!.Message == "thread creation failed");
        started.Should().HaveCount(2);
        foreach (LocalExecutor executor in started)
        {
            executor.Completion.IsCompleted.Should().BeTrue("the pool stops what it started before throwing");
            executor.LiveTasks.Count.Should().Be(0);
            executor.Invoking(e => e.Spawn(() => 1)).Should().Throw<ObjectDisposedException>();
        }
    }

    [Fact]
    public async Task No_body_runs_before_every_shard_is_up()
    {
        int constructed = 0;
        int ranEarly = 0;
        await using var pool = new LocalExecutorPool(
            new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(3) },
            (shard, options) =>
            {
                var executor = new LocalExecutor(options);
                Interlocked.Increment(ref constructed);
                return executor;
            });

        ShardResult<int>[] results = await pool.RunOnAllShards(shard =>
        {
            if (Volatile.Read(ref constructed) != 3)
            {
                Interlocked.Increment(ref ranEarly);
            }

            return shard;
        }).WaitAsync(Bound);

        ranEarly.Should().Be(0);
        results.Select(r => r.Value).Should().Equal(0, 1, 2);
    }

    [Fact]
    public void More_pinned_executors_than_usable_cpus_is_an_argument_error()
    {
        int tooMany = SystemCpus.UsableCpuCount + 1;
        foreach (PoolPlacement placement in new[] { PoolPlacement.Spread(tooMany), PoolPlacement.Pack(tooMany) })
        {
            var act = () => new LocalExecutorPool(placement);
            act.Should().Throw<ArgumentOutOfRangeException>()
                .WithMessage($"*Cannot pin {tooMany} executors*can use {SystemCpus.UsableCpuCount} CPUs*Unbound*");
        }
    }

    [Fact]
    public void An_explicit_list_longer_than_the_usable_cpus_is_an_argument_error()
    {
        int[] cpus = Enumerable.Range(0, SystemCpus.UsableCpuCount + 1).ToArray();
        var act = () => new LocalExecutorPool(PoolPlacement.Cpus(cpus));
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Cannot pin*");
    }

    [Fact]
    public async Task Unbound_accepts_more_executors_than_cpus()
    {
        int count = SystemCpus.UsableCpuCount + 2;
        await using var pool = new LocalExecutorPool(PoolPlacement.Unbound(count));

        pool.Count.Should().Be(count);
        pool.Executors.Should().OnlyContain(e => e.Placement == Placement.Unbound);
        ShardResult<int>[] results = await pool.RunOnAllShards(shard => shard * 10).WaitAsync(Bound);
        results.Select(r => r.Value).Should().Equal(Enumerable.Range(0, count).Select(i => i * 10));
    }

    [Fact]
    public void Placement_arguments_are_validated_where_they_are_given()
    {
        FluentActions.Invoking(() => PoolPlacement.Unbound(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("count");
        FluentActions.Invoking(() => PoolPlacement.Spread(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("count");
        FluentActions.Invoking(() => PoolPlacement.Pack(-1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("count");
        FluentActions.Invoking(() => PoolPlacement.Cpus()).Should().Throw<ArgumentException>().WithParameterName("cpus");
        FluentActions.Invoking(() => PoolPlacement.Cpus(0, 0)).Should().Throw<ArgumentException>().WithMessage("*CPU 0 appears more than once*");
        FluentActions.Invoking(() => PoolPlacement.Cpus(-1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task Disposing_stops_every_executor_and_is_idempotent()
    {
        var pool = new LocalExecutorPool(PoolPlacement.Unbound(2));
        await pool.DisposeAsync();
        await pool.DisposeAsync();
        pool.Dispose();

        pool.Executors.Should().OnlyContain(e => e.Completion.IsCompleted);
        ShardResult<int>[] results = await pool.RunOnAllShards(shard => shard).WaitAsync(Bound);
        results.Should().OnlyContain(r => r.Exception is ObjectDisposedException);
    }

    [Fact]
    public async Task Executors_are_named_by_prefix_and_shard()
    {
        await using var pool = new LocalExecutorPool(new LocalExecutorPoolOptions { Placement = PoolPlacement.Unbound(2), NamePrefix = "web" });
        pool.Executors.Select(e => e.Name).Should().Equal("web-0", "web-1");
        pool[1].Thread.Name.Should().Be("web-1");
        pool.Invoking(p => p[2]).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*2 shards*");
    }
}
