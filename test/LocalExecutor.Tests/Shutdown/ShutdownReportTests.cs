using System;
using System.Collections.Generic;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Shutdown;

/// <summary>What a pool's report adds up from its shards, and the one-line summary a log gets.</summary>
public sealed class ShutdownReportTests
{
    private static ShutdownReport Shard(
        string name,
        int drainMs,
        bool deadlineReached,
        int inFlight,
        long itemsRun,
        Dictionary<string, int>? cancelled = null,
        int asyncVoid = 0)
    {
        int cancelledTasks = 0;
        foreach (int count in (cancelled ?? []).Values)
        {
            cancelledTasks += count;
        }

        return new ShutdownReport(name, TimeSpan.FromMilliseconds(drainMs), deadlineReached, inFlight, itemsRun, cancelledTasks, cancelled, asyncVoid);
    }

    [Fact]
    public void A_pools_report_sums_its_shards_takes_the_longest_drain_and_reaches_the_deadline_if_any_shard_did()
    {
        ShutdownReport drained = Shard("shard-0", drainMs: 12, deadlineReached: false, inFlight: 3, itemsRun: 41, asyncVoid: 1);
        ShutdownReport cut = Shard("shard-1", drainMs: 5000, deadlineReached: true, inFlight: 5, itemsRun: 9,
            new Dictionary<string, int> { ["App.Handler.ServeAsync"] = 2, ["App.Cache.RefreshAsync"] = 1 }, asyncVoid: 2);
        ShutdownReport alsoCut = Shard("shard-2", drainMs: 4000, deadlineReached: true, inFlight: 4, itemsRun: 20,
            new Dictionary<string, int> { ["App.Handler.ServeAsync"] = 3 });

        ShutdownReport pool = ShutdownReport.Combine("pool of 3 executors", [drained, cut, alsoCut]);

        pool.Name.Should().Be("pool of 3 executors");
        pool.DrainTime.Should().Be(TimeSpan.FromMilliseconds(5000), "the pool drained as long as its slowest shard");
        pool.DeadlineReached.Should().BeTrue("a shard reached it, though not all did");
        pool.TasksInFlight.Should().Be(12);
        pool.ItemsRun.Should().Be(70);
        pool.CancelledTasks.Should().Be(6);
        pool.CancelledTaskTypes.Should().Equal(new Dictionary<string, int> { ["App.Handler.ServeAsync"] = 5, ["App.Cache.RefreshAsync"] = 1 });
        pool.UnfinishedAsyncVoidMethods.Should().Be(3);
        pool.Shards.Should().Equal(drained, cut, alsoCut);
    }

    [Fact]
    public void A_pool_whose_shards_all_ran_out_of_work_did_not_reach_the_deadline()
    {
        ShutdownReport pool = ShutdownReport.Combine("pool of 2 executors", [
            Shard("shard-0", drainMs: 3, deadlineReached: false, inFlight: 0, itemsRun: 1),
            Shard("shard-1", drainMs: 7, deadlineReached: false, inFlight: 2, itemsRun: 5),
        ]);

        pool.DeadlineReached.Should().BeFalse();
        pool.DrainTime.Should().Be(TimeSpan.FromMilliseconds(7));
        pool.CancelledTaskTypes.Should().BeEmpty();
    }

    [Fact]
    public void A_pool_of_no_shards_reports_nothing()
    {
        ShutdownReport pool = ShutdownReport.Combine("pool of 0 executors", []);

        pool.DrainTime.Should().Be(TimeSpan.Zero);
        pool.DeadlineReached.Should().BeFalse();
        (pool.TasksInFlight, pool.ItemsRun, pool.CancelledTasks, pool.UnfinishedAsyncVoidMethods).Should().Be((0, 0L, 0, 0));
        pool.Shards.Should().BeEmpty();
    }

    [Fact]
    public void An_executors_report_has_no_shards_and_no_cancelled_types_when_none_are_given()
    {
        ShutdownReport report = Shard("solo", drainMs: 1, deadlineReached: false, inFlight: 0, itemsRun: 0);

        report.Shards.Should().NotBeNull().And.BeEmpty();
        report.CancelledTaskTypes.Should().NotBeNull().And.BeEmpty();
    }

    [Fact]
    public void A_drained_report_reads_as_one_line_with_nothing_cancelled()
    {
        Shard("shard-0", drainMs: 12, deadlineReached: false, inFlight: 3, itemsRun: 41).ToString()
            .Should().Be("shard-0: drained in 12 ms, 3 task(s) in flight, 41 item(s) run, nothing cancelled");
    }

    [Fact]
    public void A_report_cut_by_the_deadline_lists_the_cancelled_tasks_most_first_and_the_unfinished_async_void_methods()
    {
        ShutdownReport report = Shard("shard-1", drainMs: 5000, deadlineReached: true, inFlight: 4, itemsRun: 7,
            new Dictionary<string, int> { ["App.Cache.RefreshAsync"] = 1, ["App.Handler.ServeAsync"] = 2 }, asyncVoid: 1);

        report.ToString().Should().Be(
            "shard-1: deadline reached after 5000 ms, 4 task(s) in flight, 7 item(s) run, "
            + "cancelled 3 task(s): App.Handler.ServeAsync x2, App.Cache.RefreshAsync x1; 1 async void method(s) unfinished");
    }
}
