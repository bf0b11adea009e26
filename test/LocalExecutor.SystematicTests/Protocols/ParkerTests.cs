using System.Collections.Concurrent;
using System.Threading;
using Microsoft.Coyote.Specifications;
using Xunit;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>
/// The parker/inbox handshake (<see cref="Parker"/> with a concurrent queue, as the executor's inbox is): no interleaving of an
/// owner that drains and parks with producers that enqueue and unpark loses a wake-up, nor the stop request of
/// another thread; on the semaphore signal and on the reactor's (<see cref="ReactorSignalModel"/>: a wait that can
/// return for readiness without a release, and a release that stays pending until drained).
/// </summary>
public sealed class ParkerTests
{
    [Fact]
    public void No_interleaving_of_two_producers_and_a_parking_owner_loses_a_wake_up() =>
        Systematic.AssertNoBug(() => OwnerTakesAll(new RealParker(), producers: 2, timeoutMilliseconds: Timeout.Infinite));

    [Fact]
    public void No_interleaving_loses_a_wake_up_when_the_park_can_time_out() =>
        Systematic.AssertNoBug(() => OwnerTakesAll(new RealParker(), producers: 2, timeoutMilliseconds: 1));

    [Fact]
    public void The_harness_finds_the_lost_wake_up_of_a_parker_that_does_not_recheck_its_inbox()
    {
        string bug = Systematic.AssertFindsBug(() => OwnerTakesAll(new NoRecheckParker(), producers: 2, timeoutMilliseconds: Timeout.Infinite));
        Assert.Contains("eadlock", bug, System.StringComparison.Ordinal);
    }

    [Fact]
    public void The_harness_finds_the_lost_wake_up_of_a_parker_that_rechecks_before_announcing_it_sleeps()
    {
        string bug = Systematic.AssertFindsBug(() => OwnerTakesAll(new EarlyRecheckParker(), producers: 2, timeoutMilliseconds: Timeout.Infinite));
        Assert.Contains("eadlock", bug, System.StringComparison.Ordinal);
    }

    [Fact]
    public void No_interleaving_loses_a_wake_up_when_the_parker_sleeps_on_a_reactor_whose_wait_also_returns_for_readiness() =>
        Systematic.AssertNoBug(() => OwnerTakesAll(new RealParker(new ReactorSignalModel(spuriousReturns: 3)), producers: 2, timeoutMilliseconds: Timeout.Infinite));

    [Fact]
    public void The_harness_finds_the_lost_wake_up_of_a_reactor_signal_that_drops_a_release_no_one_waits_for()
    {
        string bug = Systematic.AssertFindsBug(() => OwnerTakesAll(
            new RealParker(new ReactorSignalModel(spuriousReturns: 3, keepsPendingRelease: false)), producers: 2, timeoutMilliseconds: Timeout.Infinite));
        Assert.Contains("eadlock", bug, System.StringComparison.Ordinal);
    }

    [Fact]
    public void No_interleaving_loses_the_stop_request_of_another_thread_racing_a_producer() =>
        Systematic.AssertNoBug(() => OwnerStopsWhenAsked(recheckStop: true));

    [Fact]
    public void The_harness_finds_the_lost_stop_of_an_owner_that_rechecks_only_its_inbox_before_sleeping()
    {
        string bug = Systematic.AssertFindsBug(() => OwnerStopsWhenAsked(recheckStop: false));
        Assert.Contains("eadlock", bug, System.StringComparison.Ordinal);
    }

    /// <summary>
    /// The executor's real stop request (<see cref="ShutdownGate.RequestStop"/> then <see cref="Parker.Unpark"/>, as
    /// <c>LocalExecutor.RequestStop</c> does) racing a producer, against an owner that loops while no stop is requested and
    /// parks with the re-check of <c>LocalExecutor.HasForeignWork</c>: inbox not empty, or the stop requested. The owner
    /// must always see the stop and leave; with <paramref name="recheckStop"/> false the re-check looks at the inbox only,
    /// and a stop requested between the loop's check and the park is slept through.
    /// </summary>
    private static void OwnerStopsWhenAsked(bool recheckStop)
    {
        var gate = new GateBox();
        using var parker = new Parker();
        var inbox = new ConcurrentQueue<int>();
        var owner = new Thread(() =>
        {
            while (!gate.IsStopRequested)
            {
                while (inbox.TryDequeue(out _))
                {
                }

                parker.Park(Timeout.Infinite, () => !inbox.IsEmpty || (recheckStop && gate.IsStopRequested));
            }
        });
        var producer = new Thread(() =>
        {
            inbox.Enqueue(1);
            parker.Unpark();
        });
        var stopper = new Thread(() =>
        {
            if (gate.RequestStop())
            {
                parker.Unpark();
            }
        });

        owner.Start();
        producer.Start();
        stopper.Start();
        producer.Join();
        stopper.Join();
        owner.Join();
        Specification.Assert(gate.IsStopRequested, "the owner left without a stop");
    }

    /// <summary>The shipped lifecycle word, kept in place (a mutable struct).</summary>
    private sealed class GateBox
    {
        private ShutdownGate _gate;

        public bool IsStopRequested => _gate.IsStopRequested;

        public bool RequestStop() => _gate.RequestStop();
    }

    private static void OwnerTakesAll(IParkerUnderTest parkerUnderTest, int producers, int timeoutMilliseconds)
    {
        using IParkerUnderTest parker = parkerUnderTest;
        var inbox = new ConcurrentQueue<int>();
        int taken = 0;
        var owner = new Thread(() =>
        {
            while (taken < producers)
            {
                while (inbox.TryDequeue(out _))
                {
                    taken++;
                }

                if (taken < producers)
                {
                    parker.Park(timeoutMilliseconds, () => !inbox.IsEmpty);
                }
            }
        });

        var threads = new Thread[producers];
        for (int i = 0; i < producers; i++)
        {
            threads[i] = new Thread(() =>
            {
                inbox.Enqueue(1);
                parker.Unpark();
            });
        }

        owner.Start();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        owner.Join();
        Specification.Assert(taken == producers, $"the owner took {taken} of {producers} items");
    }

    private interface IParkerUnderTest : System.IDisposable
    {
        void Park(int timeoutMilliseconds, System.Func<bool> hasWork);

        void Unpark();
    }

    /// <summary>The shipped parker, on its semaphore (the executor without a reactor) or on <paramref name="signal"/>.</summary>
    private sealed class RealParker(ParkSignal? signal = null) : IParkerUnderTest
    {
        private readonly Parker _parker = new(signal);

        public void Park(int timeoutMilliseconds, System.Func<bool> hasWork) => _parker.Park(timeoutMilliseconds, hasWork);

        public void Unpark() => _parker.Unpark();

        public void Dispose() => _parker.Dispose();
    }

    /// <summary>The protocol with its re-check removed: the owner publishes that it sleeps and sleeps without looking
    /// at the inbox again, so a producer that enqueued just before the announcement never signals it.</summary>
    private sealed class NoRecheckParker : IParkerUnderTest
    {
        private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
        private int _sleeping;

        public void Park(int timeoutMilliseconds, System.Func<bool> hasWork)
        {
            Interlocked.Exchange(ref _sleeping, 1);
            _signal.Wait(timeoutMilliseconds);
            Interlocked.Exchange(ref _sleeping, 0);
        }

        public void Unpark()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                _signal.Release();
            }
        }

        public void Dispose() => _signal.Dispose();
    }

    /// <summary>The shipped protocol with its two steps swapped: the owner re-checks its inbox and only then announces
    /// that it sleeps. A producer that enqueues between the two reads the state before the announcement, sees an
    /// awake owner and does not signal; the owner then sleeps on an inbox that holds work.</summary>
    private sealed class EarlyRecheckParker : IParkerUnderTest
    {
        private const int Empty = 0;
        private const int Parked = 1;
        private const int Notified = 2;
        private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
        private int _state;

        public void Park(int timeoutMilliseconds, System.Func<bool> hasWork)
        {
            if (Interlocked.CompareExchange(ref _state, Empty, Notified) == Notified || hasWork())
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, Parked, Empty) != Empty)
            {
                Volatile.Write(ref _state, Empty);
                return;
            }

            bool signalled = _signal.Wait(timeoutMilliseconds);
            if (Interlocked.Exchange(ref _state, Empty) == Notified && !signalled)
            {
                _signal.Wait(Timeout.Infinite);
            }
        }

        public void Unpark()
        {
            if (Volatile.Read(ref _state) == Parked && Interlocked.Exchange(ref _state, Notified) == Parked)
            {
                _signal.Release();
            }
        }

        public void Dispose() => _signal.Dispose();
    }
}
