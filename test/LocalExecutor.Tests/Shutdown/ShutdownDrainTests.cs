using System.Threading.Tasks;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Shutdown;

/// <summary>The drain's deadline and the predicate the loop's park re-check reads: before it sleeps, the owner must
/// take a turn whenever the stop is unseen, the deadline moved since it armed the drain's timer, or its pool's drain
/// group finished while this member's drain has not ended. A wrong answer there lets the owner sleep through a shorter
/// deadline or the end of its pool's drain; the tests of whole shutdowns rarely hit that window, so the predicate is
/// checked here state by state.</summary>
public sealed class ShutdownDrainTests
{
    [Fact]
    public async Task The_deadline_only_moves_earlier_and_Lower_says_whether_it_moved()
    {
        await using LocalExecutor executor = Executors.Start(nameof(The_deadline_only_moves_earlier_and_Lower_says_whether_it_moved));
        var drain = new ShutdownDrain(executor);
        drain.RequestedDeadline.Should().Be(Deadlines.Never);

        drain.Lower(1_000).Should().BeTrue();
        drain.Lower(1_000).Should().BeFalse("the same deadline is no move: the owner need not be woken for it");
        drain.Lower(2_000).Should().BeFalse("a later deadline never pushes the first one back");
        drain.RequestedDeadline.Should().Be(1_000);
        drain.Lower(500).Should().BeTrue();
        drain.RequestedDeadline.Should().Be(500);
    }

    [Fact]
    public async Task The_loop_takes_a_turn_until_it_saw_the_stop_and_armed_the_deadline_requested_now()
    {
        await using LocalExecutor executor = Executors.Start(nameof(The_loop_takes_a_turn_until_it_saw_the_stop_and_armed_the_deadline_requested_now));
        var drain = new ShutdownDrain(executor);
        drain.NeedsLoopTurn.Should().BeTrue("the owner has not seen the stop yet");

        drain.Start(now: 0, tasksInFlight: 0, itemsRun: 0);
        drain.NeedsLoopTurn.Should().BeFalse("a drain with no deadline (a token bounds it) has no timer to arm");

        drain.Lower(1_000);
        drain.NeedsLoopTurn.Should().BeTrue("a deadline was requested and is not armed");

        Arm(drain, 1_000);
        drain.NeedsLoopTurn.Should().BeFalse("armed at the deadline requested");

        drain.Lower(500);
        drain.IsArmedAtRequestedDeadline.Should().BeFalse("armed, but at the deadline that was requested before");
        drain.NeedsLoopTurn.Should().BeTrue("a shorter deadline came: the timer must move");

        Arm(drain, 500);
        drain.NeedsLoopTurn.Should().BeFalse();
    }

    [Fact]
    public async Task A_pool_member_takes_a_turn_once_its_group_is_done_until_its_own_drain_ended()
    {
        await using LocalExecutor executor = Executors.Start(nameof(A_pool_member_takes_a_turn_once_its_group_is_done_until_its_own_drain_ended));
        var drain = new ShutdownDrain(executor) { Group = new DrainGroup([executor]) };
        drain.Start(now: 0, tasksInFlight: 1, itemsRun: 0);
        drain.NeedsLoopTurn.Should().BeFalse("the group is still draining");

        drain.Group.Idle(); // the only member found itself drained: the group is done
        drain.Group.IsDone.Should().BeTrue();
        drain.NeedsLoopTurn.Should().BeTrue("the group is done and this member has yet to end its drain");

        drain.End(now: 10, deadlineReached: false, itemsRun: 3);
        drain.NeedsLoopTurn.Should().BeFalse("its drain ended");
        drain.CreateReport("member", unfinishedAsyncVoidMethods: 0).ItemsRun.Should().Be(3);
    }

    /// <summary>What the timer heap does to an entry it arms (the heap itself is the owner's).</summary>
    private static void Arm(ShutdownDrain drain, long deadline)
    {
        drain.Deadline = deadline;
        drain.HeapIndex = 0;
    }
}
