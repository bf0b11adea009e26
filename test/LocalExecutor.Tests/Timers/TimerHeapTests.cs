using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Timers;

/// <summary>
/// The executor's timer heap on its own: entries come out by deadline and, for equal deadlines, in arming order,
/// whatever was removed from where in between. Checked against a sorted model over many seeded random sequences.
/// </summary>
public sealed class TimerHeapTests
{
    [Fact]
    public void Entries_with_equal_deadlines_come_out_in_the_order_they_were_armed()
    {
        var heap = new TimerHeap();
        Entry[] entries = Enumerable.Range(0, 40).Select(i => new Entry(i, deadline: 100)).ToArray();
        foreach (Entry entry in entries)
        {
            heap.Add(entry);
        }

        PopAll(heap).Select(e => e.Id).Should().Equal(Enumerable.Range(0, 40), "equal deadlines fire in arming order");
    }

    [Fact]
    public void Equal_deadlines_keep_arming_order_among_earlier_and_later_ones()
    {
        var heap = new TimerHeap();
        long[] deadlines = [50, 10, 50, 30, 10, 50, 30, 10];
        for (int i = 0; i < deadlines.Length; i++)
        {
            heap.Add(new Entry(i, deadlines[i]));
        }

        PopAll(heap).Select(e => e.Id).Should().Equal(1, 4, 7, 3, 6, 0, 2, 5);
    }

    [Fact]
    public void A_rearmed_entry_goes_behind_the_entries_already_armed_at_its_deadline()
    {
        var heap = new TimerHeap();
        var first = new Entry(0, 20);
        var second = new Entry(1, 20);
        heap.Add(first);
        heap.Add(second);

        heap.Remove(first);
        heap.Add(first); // re-armed: a new arming, so it now comes after the second

        PopAll(heap).Select(e => e.Id).Should().Equal(1, 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Removing_entries_from_anywhere_keeps_the_heap_in_order(int seed)
    {
        var random = new Random(seed);
        var heap = new TimerHeap();
        var model = new List<Entry>();
        int nextId = 0;

        for (int step = 0; step < 3000; step++)
        {
            int action = random.Next(10);
            if (action < 5 || model.Count == 0)
            {
                // Few distinct deadlines, so equal ones are common and the arming order matters.
                var entry = new Entry(nextId++, random.Next(64));
                heap.Add(entry);
                model.Add(entry);
            }
            else if (action < 8)
            {
                Entry victim = model[random.Next(model.Count)];
                heap.Remove(victim);
                model.Remove(victim);
                victim.IsArmed.Should().BeFalse("a removed entry is no longer armed");
            }
            else
            {
                Entry expected = Earliest(model);
                heap.Pop().Should().BeSameAs(expected, $"the earliest entry comes out first (step {step})");
                model.Remove(expected);
            }

            heap.Count.Should().Be(model.Count);
            heap.NextDeadline.Should().Be(model.Count == 0 ? long.MaxValue : Earliest(model).Deadline);
        }

        PopAll(heap).Should().Equal(model.OrderBy(e => e.Deadline).ThenBy(e => e.Sequence), "the rest drains in order");
    }

    [Fact]
    public void Removing_each_position_of_a_full_heap_keeps_the_rest_in_order()
    {
        const int Size = 31; // a complete heap of five levels: every position, leaf or inner, is removed
        var random = new Random(12);
        for (int shuffle = 0; shuffle < 40; shuffle++)
        {
            // Shuffled deadlines (with ties): the last entry, moved into the hole, is sometimes smaller than the
            // hole's parent (it must sift up) and sometimes larger than its children (it must sift down).
            long[] deadlines = Enumerable.Range(0, Size).Select(i => (long)(i / 2)).OrderBy(_ => random.Next()).ToArray();
            for (int position = 0; position < Size; position++)
            {
                var heap = new TimerHeap();
                Entry[] entries = deadlines.Select((deadline, i) => new Entry(i, deadline)).ToArray();
                foreach (Entry entry in entries)
                {
                    heap.Add(entry);
                }

                Entry removed = entries.First(e => e.HeapIndex == position);
                heap.Remove(removed);

                PopAll(heap).Should().Equal(
                    entries.Where(e => e != removed).OrderBy(e => e.Deadline).ThenBy(e => e.Sequence),
                    $"removing position {position} of shuffle {shuffle} leaves a heap");
            }
        }
    }

    [Fact]
    public void Removing_an_entry_that_is_not_armed_does_nothing()
    {
        var heap = new TimerHeap();
        var armed = new Entry(0, 5);
        var never = new Entry(1, 1);
        heap.Add(armed);

        heap.Remove(never);
        heap.Remove(armed);
        heap.Remove(armed);

        heap.Count.Should().Be(0);
        heap.NextDeadline.Should().Be(long.MaxValue);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_removed_or_popped_entry_is_not_kept_alive_by_the_heap(bool popped)
    {
        var heap = new TimerHeap();
        heap.Add(new Entry(0, 10));
        WeakReference gone = AddAndTakeOut(heap, popped);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        gone.IsAlive.Should().BeFalse("a timer taken out of the heap (and the task it would wake) must be collectable");
        heap.Count.Should().Be(1);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference AddAndTakeOut(TimerHeap heap, bool popped)
    {
        var last = new Entry(1, popped ? 1 : 20); // popped: the earliest; removed: the last slot
        heap.Add(last);
        if (popped)
        {
            heap.Pop().Should().BeSameAs(last);
        }
        else
        {
            heap.Remove(last);
        }

        return new WeakReference(last);
    }

    [Fact]
    public void Clear_takes_every_entry_out_and_disarms_it()
    {
        var heap = new TimerHeap();
        Entry[] entries = Enumerable.Range(0, 20).Select(i => new Entry(i, 20 - i)).ToArray();
        foreach (Entry entry in entries)
        {
            heap.Add(entry);
        }

        TimerEntry[] taken = heap.Clear();

        taken.Should().BeEquivalentTo(entries);
        entries.Should().OnlyContain(e => !e.IsArmed);
        heap.Count.Should().Be(0);
        heap.NextDeadline.Should().Be(long.MaxValue);
        heap.Add(entries[3]);
        heap.Pop().Should().BeSameAs(entries[3], "the heap is usable after a clear");
    }

    [Fact]
    public void The_heap_grows_past_its_first_array()
    {
        var heap = new TimerHeap();
        Entry[] entries = Enumerable.Range(0, 100).Select(i => new Entry(i, 1000 - i)).ToArray();
        foreach (Entry entry in entries)
        {
            heap.Add(entry);
        }

        heap.Count.Should().Be(100);
        PopAll(heap).Should().Equal(entries.Reverse());
    }

    private static Entry Earliest(List<Entry> model) =>
        model.OrderBy(e => e.Deadline).ThenBy(e => e.Sequence).First();

    private static List<Entry> PopAll(TimerHeap heap)
    {
        var popped = new List<Entry>();
        while (heap.Count > 0)
        {
            long next = heap.NextDeadline;
            TimerEntry peeked = heap.Peek();
            TimerEntry entry = heap.Pop();
            entry.Should().BeSameAs(peeked);
            entry.Deadline.Should().Be(next);
            entry.IsArmed.Should().BeFalse();
            popped.Add((Entry)entry);
        }

        return popped;
    }

    /// <summary>A heap entry and nothing else: the heap never calls back into it.</summary>
    private sealed class Entry : TimerEntry
    {
        public Entry(int id, long deadline)
            : base(null!)
        {
            Id = id;
            Deadline = deadline;
        }

        public int Id { get; }

        public override void OnDue(LocalExecutor executor, long now) =>
            throw new InvalidOperationException("The heap itself never fires an entry.");

        public override string ToString() => $"#{Id} at {Deadline} (armed {Sequence})";
    }
}
