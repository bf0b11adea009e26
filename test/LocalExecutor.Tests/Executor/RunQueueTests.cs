using System.Linq;
using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Executor;

/// <summary>The ring under each task queue: first in, first out across wrap-around and growth, and the copy that
/// shutdown and the debugger views take is in that order too.</summary>
public sealed class RunQueueTests
{
    private static WorkItem Item(int n) => new(WorkKind.StateAction, "target", n);

    [Fact]
    public void Items_come_out_and_are_copied_oldest_first_after_the_ring_wrapped_and_grew()
    {
        var queue = new RunQueue(initialCapacity: 4);
        int next = 0;
        for (; next < 3; next++)
        {
            queue.Enqueue(Item(next));
        }

        queue.TryDequeue(out WorkItem first).Should().BeTrue();
        queue.TryDequeue(out WorkItem second).Should().BeTrue();
        ((int)first.State!, (int)second.State!).Should().Be((0, 1));
        for (; next < 6; next++)
        {
            queue.Enqueue(Item(next)); // the head is at slot 2 now: items 4 and 5 wrap to slots 0 and 1
        }

        queue.ToArray().Select(item => (int)item.State!).Should().Equal([2, 3, 4, 5], "a copy of a wrapped ring starts at its head");
        for (; next < 9; next++)
        {
            queue.Enqueue(Item(next)); // grows from 4 to 8 slots with the head in the middle
        }

        queue.ToArray().Select(item => (int)item.State!).Should().Equal([2, 3, 4, 5, 6, 7, 8]);
        var drained = new System.Collections.Generic.List<int>();
        while (queue.TryDequeue(out WorkItem item))
        {
            drained.Add((int)item.State!);
        }

        drained.Should().Equal(2, 3, 4, 5, 6, 7, 8);
        queue.IsEmpty.Should().BeTrue();
    }
}
