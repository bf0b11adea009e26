using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.Coyote.Specifications;
using Xunit;

namespace ThreadPerCore.SystematicTests.Protocols;

/// <summary>
/// The join side of a task (<see cref="ContinuationSlot"/> and its <see cref="ContinuationList"/>): awaiters register
/// from several threads while the task completes and a cancelled waiter withdraws itself. In no interleaving is a
/// registration that was accepted lost, run twice, or run after it was refused; only an abandoned waiter may be missing
/// from what the completion runs.
/// </summary>
public sealed class ContinuationSlotTests
{
    [Fact]
    public void No_interleaving_of_two_registering_threads_a_withdrawing_waiter_and_the_completion_loses_a_continuation() =>
        Systematic.AssertNoBug(() => RegisterWithdrawComplete(new RealSlot()));

    [Fact]
    public void No_interleaving_loses_a_continuation_when_the_withdrawn_waiter_is_the_lone_one_becoming_a_list() =>
        Systematic.AssertNoBug(() => LoneWaiterWithdrawnWhileAnotherRegisters(new RealSlot()));

    [Fact]
    public void The_harness_finds_the_lost_registration_of_a_completion_that_does_not_wait_for_adders()
    {
        string bug = Systematic.AssertFindsBug(() => RegisterWithdrawComplete(new CompletionWithoutCloseSlot()));
        Assert.Contains("was accepted but never run", bug, System.StringComparison.Ordinal);
    }

    [Fact]
    public void The_harness_finds_the_continuation_erased_by_a_withdrawal_that_is_not_a_compare_and_swap()
    {
        string bug = Systematic.AssertFindsBug(() => LoneWaiterWithdrawnWhileAnotherRegisters(new PlainWriteRemovalSlot()));
        Assert.Contains("was accepted but never run", bug, System.StringComparison.Ordinal);
    }

    /// <summary>Two threads register two continuations each (so the lone slot becomes a list), a waiter registered
    /// first is cancelled and withdraws, and the completion runs concurrently with all of it.</summary>
    private static void RegisterWithdrawComplete(ISlotUnderTest slot)
    {
        var waiter = new Waiter("cancelled waiter");
        Specification.Assert(slot.TryAdd(waiter), "the first registration of a pending task is accepted");
        var accepted = new bool[4];
        var items = new[] { new Waiter("a1"), new Waiter("a2"), new Waiter("b1"), new Waiter("b2") };
        object[]? ran = null;

        var a = new Thread(() =>
        {
            accepted[0] = slot.TryAdd(items[0]);
            accepted[1] = slot.TryAdd(items[1]);
        });
        var b = new Thread(() =>
        {
            accepted[2] = slot.TryAdd(items[2]);
            accepted[3] = slot.TryAdd(items[3]);
        });
        var cancel = new Thread(() =>
        {
            waiter.Abandon();
            slot.Remove(waiter);
        });
        var complete = new Thread(() => ran = slot.Complete());

        a.Start();
        b.Start();
        cancel.Start();
        complete.Start();
        a.Join();
        b.Join();
        cancel.Join();
        complete.Join();

        CheckOutcome(ran!, items, accepted, abandoned: waiter);
    }

    /// <summary>The lone registered waiter withdraws while another thread registers (turning the lone slot into a list)
    /// and the task completes.</summary>
    private static void LoneWaiterWithdrawnWhileAnotherRegisters(ISlotUnderTest slot)
    {
        var waiter = new Waiter("cancelled waiter");
        slot.TryAdd(waiter);
        var items = new[] { new Waiter("other") };
        var accepted = new bool[1];
        object[]? ran = null;

        var add = new Thread(() => accepted[0] = slot.TryAdd(items[0]));
        var cancel = new Thread(() =>
        {
            waiter.Abandon();
            slot.Remove(waiter);
        });

        add.Start();
        cancel.Start();
        add.Join();
        cancel.Join();
        ran = slot.Complete();

        CheckOutcome(ran, items, accepted, abandoned: waiter);
    }

    private static void CheckOutcome(object[] ran, Waiter[] items, bool[] accepted, Waiter abandoned)
    {
        Specification.Assert(ran.Distinct().Count() == ran.Length, $"a continuation ran twice: {string.Join(", ", ran)}");
        for (int i = 0; i < items.Length; i++)
        {
            int times = ran.Count(r => r == items[i]);
            if (accepted[i])
            {
                Specification.Assert(times == 1, $"{items[i]} was accepted but never run");
            }
            else
            {
                Specification.Assert(times == 0, $"{items[i]} was refused (the caller runs it) yet the completion ran it too");
            }
        }

        Specification.Assert(ran.All(r => r == abandoned || items.Contains(r)), "the completion ran something never registered");
    }

    private sealed class Waiter : IAbandonable
    {
        private readonly string _name;
        private int _abandoned;

        public Waiter(string name) => _name = name;

        public bool IsAbandoned => Volatile.Read(ref _abandoned) != 0;

        public void Abandon() => Volatile.Write(ref _abandoned, 1);

        public override string ToString() => _name;
    }

    private interface ISlotUnderTest
    {
        bool TryAdd(object continuation);

        void Remove(IAbandonable continuation);

        /// <summary>Completes and returns every continuation the completion runs.</summary>
        object[] Complete();
    }

    private sealed class RealSlot : ISlotUnderTest
    {
        private object? _slot;

        public bool TryAdd(object continuation) => ContinuationSlot.TryAdd(ref _slot, continuation);

        public void Remove(IAbandonable continuation) => ContinuationSlot.Remove(ref _slot, continuation);

        public object[] Complete() => ContinuationSlot.Complete(ref _slot) switch
        {
            null => [],
            ContinuationList list => list.Items.ToArray(),
            object one => [one],
        };
    }

    /// <summary>The protocol with the completion's wait for in-flight adders removed: it reads the list as soon as it
    /// swapped the slot, and adders append under the list's lock without looking whether the list was closed, so an
    /// adder that read the list before the swap appends after the read and is told it was accepted.</summary>
    private sealed class CompletionWithoutCloseSlot : ISlotUnderTest
    {
        private static readonly object Completed = new();
        private object? _slot;

        public bool TryAdd(object continuation)
        {
            object? current = Volatile.Read(ref _slot);
            while (true)
            {
                if (current == Completed)
                {
                    return false;
                }

                if (current is BrokenList list)
                {
                    list.Add(continuation);
                    return true;
                }

                object next = current is null ? continuation : new BrokenList(current, continuation);
                object? seen = Interlocked.CompareExchange(ref _slot, next, current);
                if (seen == current)
                {
                    return true;
                }

                current = seen;
            }
        }

        public void Remove(IAbandonable continuation) => Interlocked.CompareExchange(ref _slot, null, continuation);

        public object[] Complete() => Interlocked.Exchange(ref _slot, Completed) switch
        {
            null => [],
            BrokenList list => list.Snapshot(),
            object one => [one],
        };

        private sealed class BrokenList
        {
            private readonly object[] _items = new object[8];
            private int _count;

            public BrokenList(object first, object second)
            {
                _items[0] = first;
                _items[1] = second;
                _count = 2;
            }

            public void Add(object continuation)
            {
                lock (this)
                {
                    _items[_count] = continuation;
                    Volatile.Write(ref _count, _count + 1);
                }
            }

            public object[] Snapshot() => _items.Take(Volatile.Read(ref _count)).ToArray();
        }
    }

    /// <summary>The real protocol except that a lone waiter withdraws with a check and a plain write instead of a
    /// compare-and-swap: a registration that turned the lone slot into a list in between is erased with it.</summary>
    private sealed class PlainWriteRemovalSlot : ISlotUnderTest
    {
        private object? _slot;

        public bool TryAdd(object continuation) => ContinuationSlot.TryAdd(ref _slot, continuation);

        public void Remove(IAbandonable continuation)
        {
            object? current = Volatile.Read(ref _slot);
            if (current == continuation)
            {
                Volatile.Write(ref _slot, null);
                return;
            }

            if (current is ContinuationList list)
            {
                list.Abandoned();
            }
        }

        public object[] Complete() => ContinuationSlot.Complete(ref _slot) switch
        {
            null => [],
            ContinuationList list => list.Items.ToArray(),
            object one => [one],
        };
    }
}
