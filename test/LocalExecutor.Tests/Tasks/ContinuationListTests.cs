using FluentAssertions;
using Xunit;

namespace ThreadPerCore.Tests.Tasks;

/// <summary>
/// The list behind a task with several awaiters. A registration that arrives after the completion closed the list
/// must be refused (the registrar then runs its continuation itself), or it is lost; entries whose owner ended are
/// compacted away once they may be half the list, never sooner, and the live ones keep their registration order.
/// </summary>
public sealed class ContinuationListTests
{
    [Fact]
    public void A_closed_list_refuses_a_registration_and_keeps_what_it_had()
    {
        var first = new Entry();
        var second = new Entry();
        var list = new ContinuationList(first, second);

        list.Close();

        list.TryAdd(new Entry()).Should().BeFalse("the completion already read the list: the registrar must run its continuation itself");
        list.Items.ToArray().Should().Equal(first, second);
    }

    [Fact]
    public void Abandoned_entries_are_compacted_once_they_may_be_half_the_list_and_the_others_keep_their_order()
    {
        Entry[] entries = [new(), new(), new(), new(), new()];
        var list = new ContinuationList(entries[0], entries[1]);
        for (int i = 2; i < entries.Length; i++)
        {
            list.TryAdd(entries[i]).Should().BeTrue();
        }

        entries[0].IsAbandoned = true;
        entries[2].IsAbandoned = true;
        entries[3].IsAbandoned = true;
        list.Abandoned();
        list.Abandoned(); // two of five: not yet half
        list.Abandoned(); // three of five: compacted

        list.TryAdd(entries[0]).Should().BeTrue("room freed by the compaction is reused");
        list.Close();
        list.Items.ToArray().Should().Equal(entries[1], entries[4], entries[0]);
    }

    [Fact]
    public void One_abandoned_entry_among_four_stays_until_it_is_worth_compacting()
    {
        Entry[] entries = [new(), new(), new(), new()];
        var list = new ContinuationList(entries[0], entries[1]);
        list.TryAdd(entries[2]);
        list.TryAdd(entries[3]);

        entries[1].IsAbandoned = true;
        list.Abandoned();
        list.Close();

        list.Items.ToArray().Should().Equal(entries, "compacting for one dead entry in four would make each abandonment cost a pass over the list");
    }

    [Fact]
    public void A_closed_list_ignores_an_abandonment()
    {
        var abandoned = new Entry { IsAbandoned = true };
        var kept = new Entry();
        var list = new ContinuationList(abandoned, kept);
        list.Close();

        list.Abandoned(); // the completing thread may be reading Items: the list no longer changes

        list.Items.ToArray().Should().Equal(abandoned, kept);
    }

    private sealed class Entry : IAbandonable
    {
        public bool IsAbandoned { get; set; }
    }
}
