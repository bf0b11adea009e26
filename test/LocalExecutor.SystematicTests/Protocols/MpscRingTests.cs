using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.Coyote.Specifications;
using ThreadPerCore.Channels;
using Xunit;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>
/// The protocol of <c>SharedMpscChannel</c> under systematic exploration: the shipped <see cref="MpscRing{T, TWait}"/>
/// (compiled from the library's source) with two producers whose sends wait for room when the ring is full, a consumer
/// that waits for items with the ring's waiting flag (and may take it back, as a cancelled receive does), and a close
/// from a third thread. Whatever the interleaving, every send ends (sent or refused by the close, signalled once), every
/// item sent is received exactly once and in its producer's order, nothing refused is received, the consumer is woken
/// only with an item or the end to find, and it finds the end once the ring is closed and drained.
/// </summary>
/// <remarks>Mutation testing found these windows unreachable from the unit tests (docs/testing.md): a close or a freed
/// slot between a send's failed claim and its joining the wait list, and a claim between the close's read and its
/// compare-and-swap. Each is a few instructions wide with no callback inside it that a test could hold; here every
/// interlocked and volatile access is a scheduling point.</remarks>
public sealed class MpscRingTests
{
    [Fact]
    public void No_interleaving_of_sends_that_wait_for_room_a_close_and_the_consumer_loses_doubles_or_strands_an_item() =>
        Systematic.AssertNoBug(() => SendsReceiveAndClose(new Scenario()));

    [Fact]
    public void No_interleaving_of_reserved_sends_one_giving_its_position_up_as_a_hole_loses_doubles_or_strands_an_item() =>
        Systematic.AssertNoBug(() => SendsReceiveAndClose(new Scenario(SecondProducerReserves: true, GiveUpReservedPosition: true)));

    [Fact]
    public void No_interleaving_of_a_send_abandoned_while_it_waits_with_its_serving_and_dropping_loses_doubles_or_strands_an_item() =>
        Systematic.AssertNoBug(() => SendsReceiveAndClose(new Scenario(SecondProducerReserves: true, AbandonFirstWait: true)));

    [Fact]
    public void No_interleaving_of_a_send_abandoned_in_a_full_ring_with_the_consumer_serving_it_wakes_a_wait_that_is_over() =>
        Systematic.AssertNoBug(() => SendsReceiveAndClose(new Scenario(SecondProducerReserves: true, AbandonFirstWait: true, StartFull: true)));

    [Fact]
    public void No_interleaving_of_the_consumer_taking_its_waiting_flag_back_with_producers_taking_it_loses_or_doubles_a_wake() =>
        Systematic.AssertNoBug(() => SendsReceiveAndClose(new Scenario(ConsumerWithdrawsFirstWait: true)));

    [Fact]
    public void No_interleaving_of_two_closes_and_the_producers_claims_leaves_the_ring_open_or_closes_it_twice() =>
        Systematic.AssertNoBug(() => SendsReceiveAndClose(new Scenario(Closers: 2)));

    /// <param name="SecondProducerReserves">The second producer's waits reserve room: the serving thread only claims the
    /// position, and the producer publishes its item when it resumes, as a raw task does.</param>
    /// <param name="GiveUpReservedPosition">Its first reserved position is given up as a hole instead (the raw task was
    /// cancelled after it got room): that item is not sent.</param>
    /// <param name="AbandonFirstWait">Its first wait is abandoned as soon as it is in the list (its raw task cancelled
    /// while it waits), then withdrawn as the channel's wait withdraws itself: taken out of the list if still there
    /// (else dropped by whichever thread found it abandoned first), its reserved position given up if it was served.
    /// That item is not sent.</param>
    /// <param name="StartFull">The ring holds two items before the threads start, so the first sends wait.</param>
    /// <param name="ConsumerWithdrawsFirstWait">The consumer takes its first waiting flag back, as a cancelled receive does;
    /// if a producer took it first, the consumer waits for that producer's signal instead.</param>
    /// <param name="Closers">How many threads close the ring.</param>
    private sealed record Scenario(
        bool SecondProducerReserves = false,
        bool GiveUpReservedPosition = false,
        bool AbandonFirstWait = false,
        bool StartFull = false,
        bool ConsumerWithdrawsFirstWait = false,
        int Closers = 1);

    private const int Producers = 2;
    private const int ItemsPerProducer = 2;

    private static void SendsReceiveAndClose(Scenario scenario)
    {
        using var receiver = new ModelReceiver();
        var box = new RingBox(new MpscRing<int, ModelSendWait>(2, receiver));
        var sent = new ConcurrentBag<int>();
        var received = new List<int>();
        int closedBy = 0;
        if (scenario.StartFull)
        {
            foreach (int item in new[] { 100, 101 })
            {
                Specification.Assert(box.Ring.TrySend(item) == MpscSendOutcome.Sent, "the empty ring took an item");
                sent.Add(item);
            }
        }

        var producers = new Thread[Producers];
        for (int p = 0; p < Producers; p++)
        {
            int producer = p;
            producers[p] = new Thread(() =>
            {
                bool reserves = producer == 1 && scenario.SecondProducerReserves;
                bool giveUpNext = reserves && scenario.GiveUpReservedPosition;
                bool abandonNext = reserves && scenario.AbandonFirstWait;
                for (int i = 0; i < ItemsPerProducer; i++)
                {
                    int item = (producer * 10) + i;
                    switch (Send(box, item, reserves, ref giveUpNext, ref abandonNext))
                    {
                        case MpscSendOutcome.Sent:
                            sent.Add(item);
                            break;
                        case MpscSendOutcome.Closed:
                            return; // refused: a closed ring stays closed, so the later items would be too
                        default:
                            break; // given up as a hole: not sent
                    }
                }
            });
        }

        var consumer = new Thread(() =>
        {
            bool withdrawNext = scenario.ConsumerWithdrawsFirstWait;
            while (true)
            {
                if (box.Ring.TryReceive(out int item))
                {
                    received.Add(item);
                    continue;
                }

                if (box.Ring.PeekHead() == MpscHead.End)
                {
                    return;
                }

                if (!box.Ring.TryWaitForItem())
                {
                    continue; // an item or the end came first: the consumer took its flag back itself
                }

                if (withdrawNext)
                {
                    withdrawNext = false;
                    if (box.Ring.TryLowerWaitingFlag())
                    {
                        continue; // withdrawn: nobody signals this wait
                    }
                }

                receiver.AwaitSignal();
                MpscHead head = box.Ring.PeekHead();
                Specification.Assert(head != MpscHead.Empty, "the consumer was woken with neither an item nor the end to find");
            }
        });

        var closers = new Thread[scenario.Closers];
        for (int c = 0; c < closers.Length; c++)
        {
            closers[c] = new Thread(() =>
            {
                if (box.Ring.Close())
                {
                    Interlocked.Increment(ref closedBy);
                }

                Specification.Assert(box.Ring.IsClosed, "Close returned and the ring is still open");
            });
        }

        foreach (Thread thread in producers.Append(consumer).Concat(closers))
        {
            thread.Start();
        }

        foreach (Thread thread in producers.Append(consumer).Concat(closers))
        {
            thread.Join();
        }

        Specification.Assert(closedBy == 1, $"{closedBy} calls of Close report that they closed the ring");
        Specification.Assert(receiver.PendingSignals == 0, "the consumer was signalled for a wait that was over");
        foreach (ModelSendWait abandoned in box.Abandoned)
        {
            Specification.Assert(abandoned.IsEnded || abandoned.Drops == 1, "an abandoned wait was taken out of the list and never dropped (recycled)");
            Specification.Assert(!abandoned.WasReserved || abandoned.Recycles == 1, "an abandoned wait served with a reserved position was not recycled");
        }

        Specification.Assert(box.Ring.WaitingSends == 0, $"{box.Ring.WaitingSends} sends still wait after the close");
        int[] expected = sent.OrderBy(i => i).ToArray();
        int[] got = received.OrderBy(i => i).ToArray();
        Specification.Assert(
            expected.SequenceEqual(got),
            $"sent [{string.Join(", ", expected)}] but received [{string.Join(", ", received)}]");
        for (int p = 0; p < Producers; p++)
        {
            int[] fromProducer = received.Where(i => i / 10 == p).ToArray();
            Specification.Assert(
                fromProducer.SequenceEqual(fromProducer.Order()),
                $"producer {p}'s items arrived out of order: [{string.Join(", ", received)}]");
        }
    }

    /// <summary>What <c>SharedMpscChannel.SendAsync</c> does: send if there is room, else wait in the list for it (its
    /// waiter publishing a reserved position itself when it resumes, or giving it up as a hole).</summary>
    private static MpscSendOutcome Send(RingBox box, int item, bool reserves, ref bool giveUpNext, ref bool abandonNext)
    {
        MpscSendOutcome outcome = box.Ring.TrySend(item);
        if (outcome != MpscSendOutcome.Full)
        {
            return outcome;
        }

        using var wait = new ModelSendWait(item, reserves);
        box.Ring.EnqueueSendWait(wait);
        if (abandonNext)
        {
            abandonNext = false;
            AbandonAndWithdraw(box, wait);
            return MpscSendOutcome.Full; // not sent
        }

        MpscSendOutcome ended = wait.AwaitSignal();
        if (wait.ReservedPosition is long position)
        {
            if (giveUpNext)
            {
                giveUpNext = false;
                box.Ring.PublishHole(position);
                return MpscSendOutcome.Full;
            }

            box.Ring.Publish(position, item);
        }

        return ended;
    }

    /// <summary>What the channel does when the raw task awaiting a send is cancelled: the wait is abandoned at once (the
    /// task finished) and withdrawn after, through the ring. A wait the ring served meanwhile is signalled; the producer
    /// takes that signal before it disposes the model wait.</summary>
    private static void AbandonAndWithdraw(RingBox box, ModelSendWait wait)
    {
        wait.Abandon();
        box.Abandoned.Enqueue(wait);
        box.Ring.Withdraw(wait, wait.Waiter);
        if (wait.IsEnded)
        {
            _ = wait.AwaitSignal();
        }
    }

    /// <summary>Holds the ring (a mutable struct) where every thread reaches the same instance.</summary>
    private sealed class RingBox(MpscRing<int, ModelSendWait> ring)
    {
        public MpscRing<int, ModelSendWait> Ring = ring;

        /// <summary>The waits abandoned in the run, checked at its end.</summary>
        public ConcurrentQueue<ModelSendWait> Abandoned { get; } = new();
    }

    /// <summary>The consumer's wait: a semaphore released by whoever takes the waiting flag.</summary>
    private sealed class ModelReceiver : IChannelSignal, IDisposable
    {
        private readonly SemaphoreSlim _signals = new(0, int.MaxValue);

        public int PendingSignals => _signals.CurrentCount;

        public void Signal() => _signals.Release();

        public void AwaitSignal() => _signals.Wait();

        public void Dispose() => _signals.Dispose();
    }

    /// <summary>A send waiting for room, as the channel's pooled wait is to the ring.</summary>
    private sealed class ModelSendWait(int item, bool reservesRoom) : IMpscSendWait<int, ModelSendWait>, IDisposable
    {
        private readonly SemaphoreSlim _signalled = new(0, int.MaxValue);
        private MpscSendOutcome _outcome = MpscSendOutcome.Full;
        private volatile bool _abandoned;
        private int _signalArrived; // set with an interlocked write, as the shipped wait state records an arrival
        private bool _ended;
        private int _drops;
        private int _recycles;

        public ModelSendWait? Next { get; set; }

        public ModelSendWait? Previous { get; set; }

        public bool IsLinked { get; set; }

        public bool IsAbandoned => _abandoned;

        public bool IsEnded => _ended;

        public int Drops => _drops;

        public int Recycles => _recycles;

        /// <summary>Who waits for this send (what the channel's wait checks is still its raw task).</summary>
        public object Waiter { get; } = new();

        public bool WasReserved { get; private set; }

        public bool ReservesRoom => reservesRoom;

        public int Item => item;

        public long? ReservedPosition { get; private set; }

        public void Reserve(long position)
        {
            EndOnce();
            _outcome = MpscSendOutcome.Sent;
            ReservedPosition = position;
            WasReserved = true;
        }

        public void Complete(MpscSendOutcome outcome)
        {
            EndOnce();
            Specification.Assert(outcome != MpscSendOutcome.Full, "a waiting send was completed without room");
            Specification.Assert(!reservesRoom || outcome == MpscSendOutcome.Closed, "a send that reserves room had its item published for it");
            _outcome = outcome;
        }

        public void Signal()
        {
            Interlocked.Exchange(ref _signalArrived, 1);
            _signalled.Release();
        }

        public bool IsAwaitedBy(object waiter) => ReferenceEquals(waiter, Waiter);

        public long TakeReservation()
        {
            long reserved = ReservedPosition ?? -1;
            ReservedPosition = null;
            return reserved;
        }

        public void Recycle(bool signalMayBeOnItsWay)
        {
            Specification.Assert(_ended, "a wait the ring never served was recycled as served");
            Specification.Assert(
                signalMayBeOnItsWay || Volatile.Read(ref _signalArrived) == 1,
                "a served wait was recycled as if no signal were coming while its signal was on its way: it would wake the instance's next wait");
            Specification.Assert(++_recycles == 1, "a wait was recycled twice");
        }

        public void Abandon() => _abandoned = true;

        public void Drop()
        {
            Specification.Assert(_abandoned, "a wait nobody abandoned was dropped");
            Specification.Assert(!_ended, "a wait that was served was dropped");
            Specification.Assert(++_drops == 1, "a wait was dropped twice");
        }

        /// <summary>Waits for the signal, then checks it came once, for an ended wait.</summary>
        public MpscSendOutcome AwaitSignal()
        {
            _signalled.Wait();
            Specification.Assert(_ended, "a send was signalled before it ended");
            Specification.Assert(!IsLinked, "a signalled send is still in the wait list");
            Specification.Assert(_signalled.CurrentCount == 0, "a send was signalled twice");
            return _outcome;
        }

        public void Dispose() => _signalled.Dispose();

        private void EndOnce()
        {
            Specification.Assert(!_ended, "a waiting send was ended twice");
            _ended = true;
        }
    }
}
