using System;
using System.Threading;
using Microsoft.Coyote.Specifications;
using Xunit;
using Xunit.Abstractions;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>
/// The wait of a cross-core channel under systematic exploration: the shipped <see cref="Channels.WaitState{TWaiter}"/>
/// and <see cref="Channels.WaitingWord"/> (compiled from the library's sources), driven by a producer, a close, token
/// cancellations and a consumer whose raw task is cancelled while it waits. Each property has a broken twin, the
/// protocol as it was before issue 9 (<see cref="PreFixReceiveSide"/>), which the same exploration must catch.
/// </summary>
public sealed class ChannelWaitProtocolTests(ITestOutputHelper output)
{
    [Fact]
    public void No_interleaving_around_an_abandoned_wait_and_its_reclaim_wakes_a_wrong_wait_loses_a_wake_or_makes_the_reclaim_wait() =>
        Systematic.AssertNoBug(() => AbandonAndReuse(Shipped, new Reuse()));

    [Fact]
    public void No_interleaving_of_signals_and_cancels_on_two_waits_and_two_items_breaks_the_channel() =>
        Systematic.AssertNoBug(() => AbandonAndReuse(Shipped, new Reuse(FirstWaitHasToken: true, Items: 2)));

    [Fact]
    public void No_prioritized_schedule_of_a_late_signal_racing_a_cancel_of_the_reused_wait_breaks_the_channel() =>
        PriorityExploration.AssertNoBug(() => AbandonAndReuse(Shipped, new Reuse(CancelOnceAbandoned: true)));

    [Fact]
    public void The_harness_finds_the_endless_reclaim_spin_of_the_pre_fix_protocol()
    {
        string bug = PriorityExploration.AssertFindsBug(() => AbandonAndReuse(PreFix(CancelStore.Immediate), new Reuse(CancelOnceAbandoned: true)));
        output.WriteLine(bug);
        Assert.Contains("spins forever", bug, StringComparison.Ordinal);
    }

    [Fact]
    public void No_interleaving_of_a_token_cancel_with_the_arming_of_the_wait_loses_the_cancel() =>
        Systematic.AssertNoBug(() => CancelWhileArming(Shipped));

    [Fact]
    public void The_harness_finds_the_lost_cancel_of_the_pre_fix_handshake_when_the_cancel_store_waits_in_a_store_buffer()
    {
        string bug = Systematic.AssertFindsBug(() => CancelWhileArming(PreFix(CancelStore.Buffered)));
        output.WriteLine(bug);
        Assert.Contains("sleeps forever", bug, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pre_fix_handshake_loses_no_cancel_once_the_cancel_store_is_a_full_fence() =>
        Systematic.AssertNoBug(() => CancelWhileArming(PreFix(CancelStore.Fenced)));

    [Fact]
    public void A_reclaim_racing_the_late_signal_it_counts_as_owed_moves_the_version_once_and_is_paid_off() =>
        Systematic.AssertNoBug(ReclaimRacingItsLateSignal);

    private static IReceiveSideUnderTest Shipped(EventLog log, SemaphoreSlim settled) => new ShippedReceiveSide(log);

    private static Func<EventLog, SemaphoreSlim, IReceiveSideUnderTest> PreFix(CancelStore cancelStore) =>
        (log, settled) => new PreFixReceiveSide(log, cancelStore, settled);

    /// <summary>
    /// The consumer receives until the close: its first receive waits (and may be cancelled by its token); its second
    /// is abandoned (its raw task cancelled as soon as the wait is armed) while its token fires, and the next receive
    /// reclaims it. The producer publishes its items and closes. Every item published is received exactly once, no
    /// wait is woken twice or without a reason, no wait sleeps forever and no reclaim waits for another thread.
    /// </summary>
    private static void AbandonAndReuse(Func<EventLog, SemaphoreSlim, IReceiveSideUnderTest> create, Reuse options)
    {
        var log = new EventLog();
        var settled = new SemaphoreSlim(0, int.MaxValue);
        var secondReceiveDone = new SemaphoreSlim(0, 1);
        IReceiveSideUnderTest side = create(log, settled);
        ModelToken? firstToken = options.FirstWaitHasToken ? new ModelToken("the token of wait 1", log) : null;
        var secondToken = new ModelToken("the token of wait 2", log);
        int published = 0;
        int received = 0;
        var consumer = new ConsumerThread(log, settled, side, wait =>
        {
            ReceiveOutcome outcome = side.Receive(wait.Waiter, wait.Number switch { 1 => firstToken, 2 => secondToken, _ => null }, abandon: wait.Number == 2);
            if (outcome == ReceiveOutcome.Item)
            {
                received++;
            }

            if (wait.Number == 2)
            {
                secondReceiveDone.Release();
            }

            return outcome != ReceiveOutcome.Closed;
        });

        var producer = new Thread(() =>
        {
            for (int i = 0; i < options.Items; i++)
            {
                if (side.Publish())
                {
                    published++;
                }
            }

            side.Close();
        });
        var canceller = new Thread(() =>
        {
            firstToken?.Cancel();
            if (options.CancelOnceAbandoned)
            {
                // Earlier fires (before the wait exists, or before it armed) are the other scenarios' business.
                secondReceiveDone.Wait();
            }

            secondToken.Cancel();
        });

        consumer.Start();
        producer.Start();
        canceller.Start();
        producer.Join();
        canceller.Join();
        consumer.JoinUnlessStuck();
        Specification.Assert(received == published, "{0} items published, {1} received. {2}", published, received, log);
    }

    /// <summary>A receive on an empty channel whose token fires while it arms must end, cancelled.</summary>
    private static void CancelWhileArming(Func<EventLog, SemaphoreSlim, IReceiveSideUnderTest> create)
    {
        var log = new EventLog();
        var settled = new SemaphoreSlim(0, int.MaxValue);
        IReceiveSideUnderTest side = create(log, settled);
        var token = new ModelToken("the token", log);
        ReceiveOutcome outcome = ReceiveOutcome.Abandoned;
        var consumer = new ConsumerThread(log, settled, side, wait =>
        {
            outcome = side.Receive(wait.Waiter, token, abandon: false);
            return false;
        });
        var canceller = new Thread(token.Cancel);

        consumer.Start();
        canceller.Start();
        canceller.Join();
        consumer.JoinUnlessStuck();
        Specification.Assert(outcome == ReceiveOutcome.Canceled, "the receive ended {0}, not cancelled. {1}", outcome, log);
    }

    /// <summary>
    /// The shipped wait state alone: an armed wait whose flag a signaller took is reclaimed (its raw task was cancelled)
    /// while that signaller delivers. Whichever comes first, the reclaim moves the version on once, and the signal is
    /// either the old wait's (before the reclaim) or pays off the debt the reclaim counted (after it), so the next wait
    /// starts unsignalled and owing nothing. A compare-and-swap that gave up instead of retrying would lose one side.
    /// </summary>
    private static void ReclaimRacingItsLateSignal()
    {
        var holder = new WaitHolder();
        holder.State.Waiter = 1;
        bool wakeNow = holder.State.Arm(default(TakenFlag), out _);
        Specification.Assert(!wakeNow, "the armed wait waits: its flag is up");

        var reclaimer = new Thread(() => holder.State.Release(signalDue: true));
        var signaller = new Thread(() => holder.State.Signal(out _));
        reclaimer.Start();
        signaller.Start();
        reclaimer.Join();
        signaller.Join();

        Specification.Assert(holder.State.Version == 1, "the reclaim moved the version to {0}, not 1", holder.State.Version);
        Specification.Assert(holder.State.OwedSignals == 0, "{0} signals still owed after the late one arrived", holder.State.OwedSignals);
        Specification.Assert(!holder.State.IsSignalled, "the next wait starts signalled: the late signal would wake it");
    }

    /// <summary>A wait state on the heap, so two threads work on the same one.</summary>
    private sealed class WaitHolder
    {
        public Channels.WaitState<int> State;
    }

    /// <summary>A flag a signaller has already taken: raising succeeds, taking it back fails.</summary>
    private readonly struct TakenFlag : Channels.IWaitFlag
    {
        public bool TryRaise() => true;

        public bool TryWithdraw() => false;
    }

    /// <summary>The variants of <see cref="AbandonAndReuse"/>.</summary>
    /// <param name="FirstWaitHasToken">The first receive's token fires too.</param>
    /// <param name="Items">How many items the producer publishes before it closes.</param>
    /// <param name="CancelOnceAbandoned">The second receive's token fires only once that receive returned (armed and
    /// abandoned): the schedules where a late signal of the first wait meets the cancel of the second.</param>
    private readonly record struct Reuse(bool FirstWaitHasToken = false, int Items = 1, bool CancelOnceAbandoned = false);

    /// <summary>
    /// The consumer's thread: receive after receive, each with a new waiter, while <c>receive</c> says go on. Once every
    /// other thread has finished, nobody can wake it any more: if it sleeps on a wait nobody woke, that wait is lost,
    /// which <see cref="JoinUnlessStuck"/> reports with the schedule (rather than as a bare deadlock). The watcher
    /// blocks between looks (each suspension and the end let it look once), so it adds no scheduling points of its own.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "See ModelWaiter.")]
    private sealed class ConsumerThread(EventLog log, SemaphoreSlim settled, IReceiveSideUnderTest side, Func<(int Number, ModelWaiter Waiter), bool> receive)
    {
        private readonly SemaphoreSlim _settled = settled;
        private ModelWaiter? _current;
        private bool _done;
        private Thread? _running;

        public void Start()
        {
            _running = new Thread(() =>
            {
                for (int number = 1; ; number++)
                {
                    Specification.Assert(number <= 8, "the consumer went on receiving. {0}", log);
                    var waiter = new ModelWaiter(number, log, _settled);
                    _current = waiter;
                    if (!receive((number, waiter)))
                    {
                        break;
                    }
                }

                _done = true;
                _settled.Release();
            });
            _running.Start();
        }

        /// <summary>Call once every other thread has finished.</summary>
        public void JoinUnlessStuck()
        {
            while (true)
            {
                _settled.Wait();
                if (_done)
                {
                    break;
                }

                string? blockedBy = side.BlockedBy;
                Specification.Assert(blockedBy is null, "{0}. {1}", blockedBy, log);
                Specification.Assert(
                    _current is not { IsSuspended: true, WasWoken: false },
                    "wait {0} sleeps forever: every other thread has finished and nobody woke it. {1}",
                    _current?.Wait ?? 0,
                    log);
            }

            _running!.Join();
        }
    }
}
