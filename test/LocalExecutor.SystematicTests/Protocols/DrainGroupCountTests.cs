using System.Collections.Concurrent;
using System.Threading;
using Microsoft.Coyote.Specifications;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>
/// A pool's shards draining as one group, over the shipped <see cref="DrainGroupCount"/> and <see cref="Parker"/>: the
/// owner side of <c>LocalExecutor.ContinueDraining</c> on a receiving shard, and a sending shard that, while it is still
/// busy, hands the receiver work (<c>EnqueueForeign</c> from a draining executor's thread) and then finds itself drained.
/// Whatever the interleaving, the group is not done while the handed work waits in the receiver's inbox: the receiver
/// runs it before its drain ends (work left there when the drain ends is cancelled unrun), and the drain does end.
/// </summary>
public sealed class DrainGroupCountTests(ITestOutputHelper output)
{
    [Fact]
    public void No_interleaving_ends_the_group_s_drain_while_handed_work_waits_in_an_inbox() =>
        Systematic.AssertNoBug(() => HandOffAgainstTheReceiversCount(new ShippedCount()));

    [Theory]
    [InlineData(nameof(OwnerOnlyCount))]
    [InlineData(nameof(NoSecondLookCount))]
    public void The_harness_finds_the_lost_hand_off_in_the_counts_that_miss_it(string count)
    {
        // OwnerOnlyCount: only the receiver counts itself busy (before the fix). NoSecondLookCount: the hand-off counts
        // the receiver busy, but the receiver counts itself drained on its first look.
        (string bug, long explored, string trace) = Systematic.AssertFindsBugWithTrace(() => HandOffAgainstTheReceiversCount(
            count == nameof(OwnerOnlyCount) ? new OwnerOnlyCount() : new NoSecondLookCount())); // a fresh count each schedule
        output.WriteLine($"{count}: found after {explored} schedule(s): {bug}");
        output.WriteLine(trace);
        Assert.Contains("cancelled unrun", bug, System.StringComparison.Ordinal);
    }

    private static void HandOffAgainstTheReceiversCount(ICountUnderTest count)
    {
        var events = new ConcurrentQueue<string>();
        var group = new GroupModel(members: 2);
        var parker = new Parker();
        var inbox = new ConcurrentQueue<int>();
        group.Done += parker.Unpark; // DrainGroup.Idle wakes every member once it is done
        bool ran = false;

        var receiver = new Thread(() =>
        {
            // The receiving shard's loop while it drains: run what arrived, then ContinueDraining.
            while (true)
            {
                while (inbox.TryDequeue(out _))
                {
                    ran = true; // the handed work runs and ends within its turn
                    events.Enqueue("receiver: runs the handed work");
                }

                bool idle = inbox.IsEmpty;
                if (idle != count.CountedIdle)
                {
                    if (idle)
                    {
                        count.BeginCountingIdle();
                        if (count.FinishCountingIdle(stillDrained: inbox.IsEmpty))
                        {
                            events.Enqueue("receiver: counts itself drained");
                            group.Idle();
                        }
                    }
                    else if (count.TryCountBusy())
                    {
                        events.Enqueue("receiver: counts itself busy");
                        group.Busy();
                    }
                }

                if (group.IsDone)
                {
                    events.Enqueue("receiver: its drain ends");
                    return;
                }

                // HasLoopWork: foreign work, or a count that no longer matches what is in flight.
                parker.Park(Timeout.Infinite, () => !inbox.IsEmpty || inbox.IsEmpty != count.CountedIdle || group.IsDone);
            }
        });

        var sender = new Thread(() =>
        {
            // The sending shard, busy with a request that hands work on and ends: EnqueueForeign's draining-caller path,
            // then its own ContinueDraining finds it drained.
            inbox.Enqueue(1);
            events.Enqueue("sender: hands the work on");
            if (count.HandOffCountsBusy && count.TryCountBusy())
            {
                events.Enqueue("sender: counts the receiver busy");
                group.Busy();
            }

            parker.Unpark();
            events.Enqueue("sender: counts itself drained");
            group.Idle();
        });

        receiver.Start();
        sender.Start();
        sender.Join();
        receiver.Join();
        parker.Dispose();

        Specification.Assert(ran, $"the group's drain ended with the handed work in the receiver's inbox: it would be cancelled unrun. Schedule: {string.Join("; ", events)}");
    }

    /// <summary><see cref="DrainGroup"/>'s count: done, for good, once every member counted drained at once.</summary>
    private sealed class GroupModel(int members)
    {
        private int _busy = members;
        private volatile bool _done;

        public event System.Action? Done;

        public bool IsDone => _done;

        public void Idle()
        {
            if (Interlocked.Decrement(ref _busy) == 0)
            {
                _done = true;
                Done?.Invoke();
            }
        }

        public void Busy() => Interlocked.Increment(ref _busy);
    }

    private interface ICountUnderTest
    {
        bool HandOffCountsBusy { get; }

        bool CountedIdle { get; }

        void BeginCountingIdle();

        bool FinishCountingIdle(bool stillDrained);

        bool TryCountBusy();
    }

    /// <summary>The shipped count (a struct, kept in place in this box); the hand-off counts the receiver busy.</summary>
    private sealed class ShippedCount : ICountUnderTest
    {
        private DrainGroupCount _count;

        public bool HandOffCountsBusy => true;

        public bool CountedIdle => _count.CountedIdle;

        public void BeginCountingIdle() => _count.BeginCountingIdle();

        public bool FinishCountingIdle(bool stillDrained) => _count.FinishCountingIdle(stillDrained);

        public bool TryCountBusy() => _count.TryCountBusy();
    }

    /// <summary>The count before the fix: the owner's own flag, and a hand-off that leaves counting to the receiver's
    /// next look. The sender can count itself drained first and end the group's drain with the work still queued.</summary>
    private sealed class OwnerOnlyCount : ICountUnderTest
    {
        private volatile bool _idle;

        public bool HandOffCountsBusy => false;

        public bool CountedIdle => _idle;

        public void BeginCountingIdle()
        {
        }

        public bool FinishCountingIdle(bool stillDrained)
        {
            _idle = true;
            return true;
        }

        public bool TryCountBusy()
        {
            _idle = false;
            return true;
        }
    }

    /// <summary>A hand-off that counts the receiver busy, against an owner that counts itself drained on its first look:
    /// the owner looks, the sender enqueues and finds it still counted busy, the owner then counts drained with the work
    /// in its inbox, and the sender's own drain ends the group's.</summary>
    private sealed class NoSecondLookCount : ICountUnderTest
    {
        private int _idle;

        public bool HandOffCountsBusy => true;

        public bool CountedIdle => Volatile.Read(ref _idle) == 1;

        public void BeginCountingIdle()
        {
        }

        public bool FinishCountingIdle(bool stillDrained) => Interlocked.CompareExchange(ref _idle, 1, 0) == 0;

        public bool TryCountBusy() => Interlocked.CompareExchange(ref _idle, 0, 1) == 1;
    }
}
